"""``hadrsim results``: read a results store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hadrsim.cli.common import _check_output, _open_store, _write_csv_atomically, app, console

results_app = typer.Typer(help="Read a results store.", no_args_is_help=True)
app.add_typer(results_app, name="results")


@results_app.command("list")
def results_list(url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the store.")]) -> None:
    """Runs per study and design in a store."""
    summary = _open_store(url).summary()
    console.print(summary.to_string(index=False) if not summary.empty else "empty store")


@results_app.command("export")
def results_export(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the store.")],
    csv_path: Annotated[Path, typer.Option("--csv", help="Where to write the tidy rows.")],
) -> None:
    """Every stored run as one tidy CSV row (parameters and metrics as columns)."""
    _check_output(csv_path)
    frame = _open_store(url).frame()
    _write_csv_atomically(csv_path, frame)
    console.print(f"{len(frame)} runs written to {csv_path}")
