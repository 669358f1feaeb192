"""``hadrsim emulate``: a design and scenario on real PostgreSQL servers, beside the simulation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hadrsim.cli.common import (
    FileArg,
    _bad_input,
    _check_output,
    _load,
    _write_json_atomically,
    app,
    console,
    errors,
)


@app.command()
def emulate(
    file: FileArg,
    design: Annotated[str, typer.Option(help="The design to emulate.")],
    scenario: Annotated[str, typer.Option(help="The scenario whose faults to inject.")],
    runs: Annotated[int, typer.Option(min=1, max=100, help="Emulated runs, one after another.")
                    ] = 1,
    time_scale: Annotated[float | None, typer.Option(
        min=1.0, help="Divide the study's control durations by this (default: the scenario's "
        "horizon lasts 60 s).")] = None,
    sim_runs: Annotated[int, typer.Option(
        min=1, max=10_000, help="Simulated runs of the same scaled scenario, side by side.")
    ] = 30,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: study's).")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
    keep: Annotated[bool, typer.Option(
        "--keep", help="Leave the servers' directory (data, logs) for inspection.")] = False,
) -> None:
    """Run DESIGN under SCENARIO on local PostgreSQL servers (127.0.0.1), measure with the
    simulation's checkers, and show the simulation of the same scaled scenario beside it
    (see README, "The emulator")."""
    from hadrsim.emulate import EmulatorUnavailable, NotEmulated, check
    from hadrsim.emulate import emulate as run

    study = _load(file, seed)
    try:
        check(study, design, scenario)
    except KeyError as exc:
        raise _bad_input(str(exc.args[0]) if exc.args else str(exc)) from None
    except NotEmulated as exc:
        raise _bad_input(str(exc)) from None
    _check_output(json_path)
    try:
        result = run(study, design, scenario, runs=runs, time_scale=time_scale,
                     sim_runs=sim_runs, keep=keep,
                     progress=lambda line: errors.print(line, markup=False, highlight=False))
    except EmulatorUnavailable as exc:
        raise _bad_input(str(exc)) from None
    document = result.to_json()
    console.print(_table(document))
    if json_path is not None:
        _write_json_atomically(json_path, document)
        console.print(f"results written to {json_path}")


def _table(document: dict[str, Any]) -> Any:
    from rich.table import Table

    pg = document["postgresql"]
    promote = document["promote_s"]
    promoted = f"; pg_promote {sum(promote) / len(promote):.2f} s" if promote else ""
    table = Table(title=(
        f"{document['design']} x {document['scenario']}: emulated on PostgreSQL "
        f"{pg['version']} ({pg['source']}) vs simulated; time scale 1/{document['time_scale']:g}"
        f" (horizon {document['horizon_s']:g} s){promoted}"))
    for header in ("metric", "emulation mean [95% CI] (n)", "simulation mean [95% CI] (n)",
                   "relative difference"):
        table.add_column(header)
    for row in document["side_by_side"]:
        diff = row["relative_difference"]
        table.add_row(row["metric"], _cell(row["emulation"]), _cell(row["simulation"]),
                      "-" if diff is None else f"{diff:+.0%}")
    return table


def _cell(summary: dict[str, Any]) -> str:
    mean, n = summary.get("mean"), summary.get("n", 0)
    if mean is None or n == 0:
        return "unknown" if summary.get("n_unknown") else "-"
    low, high = summary.get("ci95") or (None, None)
    bound = ">= " if summary.get("mean_is_lower_bound") else ""
    # one run has no interval: a [x, x] would read as certainty
    interval = "" if low is None or n < 2 else f" [{low:.3g}, {high:.3g}]"
    return f"{bound}{mean:.3g}{interval} ({n})"
