"""``hadrsim emulate``: a design and scenario on real PostgreSQL servers, beside the simulation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from hadrsim.cli.common import (
    FileArg,
    _bad_input,
    _check_output,
    _load,
    _store_problem,
    _write_json_atomically,
    app,
    console,
    errors,
)
from hadrsim.cli.interrupt import interruptible


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
    store: Annotated[str | None, typer.Option(
        help="Results store (SQLAlchemy URL or SQLite path): each run committed as it "
        "finishes, marked source: emulation (the simulated ones source: simulation).")
    ] = None,
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
    results_store = _open_store(store)
    try:
        with interruptible(store, _added_runs(results_store), hint=""):
            result = run(study, design, scenario, runs=runs, time_scale=time_scale,
                         sim_runs=sim_runs, keep=keep, store=results_store,
                         progress=lambda line: errors.print(line, markup=False,
                                                            highlight=False))
    except EmulatorUnavailable as exc:
        raise _bad_input(str(exc)) from None
    document = result.to_json()
    console.print(_table(document))
    for metric, why in document["not_applicable"].items():
        console.print(f"{metric}: not applicable to emulation ({why})", markup=False)
    if result.stored is not None:
        console.print(f"stored in {store}: {result.stored['emulation']} emulated runs "
                      f"(source: emulation), {result.stored['simulation']} simulated",
                      markup=False)
    if json_path is not None:
        _write_json_atomically(json_path, document)
        console.print(f"results written to {json_path}")


def _open_store(store: str | None) -> Any:
    """The results store, created if new (exit 2 if unusable), or None."""
    if store is None:
        return None
    from hadrsim.experiments.store import ResultsStore, store_url

    try:
        return ResultsStore(store_url(store))
    except Exception as exc:  # noqa: BLE001 - an unusable store is bad input
        raise _store_problem(store, exc) from None


def _added_runs(store: Any) -> Callable[[], int] | None:
    """How many runs this command has added to ``store`` so far (for an interruption)."""
    if store is None:
        return None
    from sqlalchemy import func, select

    from hadrsim.experiments.store import runs as runs_table

    def total() -> int:
        with store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(runs_table)).scalar() or 0)

    before = total()
    return lambda: total() - before


def _table(document: dict[str, Any]) -> Any:
    from rich.table import Table

    pg = document["postgresql"]
    promote = document["promote_s"]
    promoted = f"; pg_promote {sum(promote) / len(promote):.2f} s" if promote else ""
    restore = document.get("restore_s") or []
    if restore:
        promoted += f"; point-in-time restore {sum(restore) / len(restore):.2f} s"
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
