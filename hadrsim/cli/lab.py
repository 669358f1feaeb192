"""``hadrsim lab``: the course labs' notebooks, graded for a class list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hadrsim.cli.common import (
    _bad_input,
    _check_output,
    _write_csv_atomically,
    app,
    console,
    errors,
)

lab_app = typer.Typer(help="The course labs (notebooks/): grading.", no_args_is_help=True)
app.add_typer(lab_app, name="lab")


@lab_app.command("grade")
def lab_grade(
    notebook: Annotated[Path, typer.Argument(help="The lab notebook (.ipynb).")],
    params: Annotated[Path, typer.Option(
        "--params", help="Class list CSV: a 'student' column, optionally 'notebook' (the "
        "student's own copy), and one column per notebook parameter.")],
    out: Annotated[Path, typer.Option("--out", help="Write the verdicts here (CSV).")
                   ] = Path("verdicts.csv"),
    timeout: Annotated[float, typer.Option(min=1.0, help="Seconds per cell at most.")] = 600.0,
) -> None:
    """Run NOTEBOOK once per student with their parameters (papermill, STRICT = False) and
    write one verdict row each: green, red or error, and every check's status."""
    from hadrsim.lab.grading import grade, read_class_list

    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise _bad_input(f"{notebook}: not a notebook file (.ipynb)")
    try:
        students = read_class_list(params)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise _bad_input(f"--params {params}: {exc}") from None
    missing = [s["notebook"] for s in students
               if s.get("notebook") and not Path(s["notebook"]).is_file()]
    if missing:
        raise _bad_input(f"--params {params}: notebook(s) not found: {', '.join(missing)}")
    _check_output(out, "--out")
    try:
        import papermill  # noqa: F401
    except ImportError:
        raise _bad_input("grading needs papermill: python -m pip install 'hadrsim[lab]'"
                         ) from None
    import pandas as pd

    rows = grade(notebook, students, timeout_s=timeout,
                 progress=lambda line: errors.print(line, markup=False, highlight=False))
    _write_csv_atomically(out, pd.DataFrame(rows))
    greens = sum(r["verdict"] == "green" for r in rows)
    console.print(f"{len(rows)} graded, {greens} green: verdicts written to {out}",
                  markup=False)
