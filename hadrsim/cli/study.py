"""Study commands: run, compare, sweep, validate, schema, events."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hadrsim.cli.common import (
    MAX_RUNS,
    FileArg,
    RunsOpt,
    YesOpt,
    _bad_input,
    _check_dask,
    _check_output,
    _check_resources,
    _experiment,
    _load,
    _prices,
    _write_csv_atomically,
    _write_json_atomically,
    app,
    console,
    errors,
    run_progress,
)
from hadrsim.cli.interrupt import interruptible, stored_runs

# The library is imported by the commands that use it (start-up time, issue 14). These two
# are module attributes so that tests can replace them (the refusals come before the work).


def simulate(*args: Any, **kwargs: Any) -> Any:
    """:func:`hadrsim.experiments.run.simulate`, imported on first use."""
    from hadrsim.experiments.run import simulate

    return simulate(*args, **kwargs)


def run_sweep(*args: Any, **kwargs: Any) -> Any:
    """:func:`hadrsim.experiments.sweep.run_sweep`, imported on first use."""
    from hadrsim.experiments.sweep import run_sweep

    return run_sweep(*args, **kwargs)


@app.command()
def run(
    file: FileArg,
    design: Annotated[list[str] | None, typer.Option(help="Only this design (repeatable).")] = None,
    runs: RunsOpt = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: study's).")] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
    store: Annotated[str | None, typer.Option(
        help="Results store: an SQLAlchemy URL, e.g. sqlite:///results.db.")] = None,
    resume: Annotated[bool, typer.Option(help="Skip runs the store already has.")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask: 'local' (a LocalCluster of --workers processes) or tcp://HOST:PORT.")] = None,
    yes: YesOpt = False,
) -> None:
    """Simulate every design under every fault scenario; a table per design."""
    from hadrsim.experiments.tables import compare_table, design_table

    study = _load(file, seed)
    experiment = _experiment(study, store, resume=resume, scheduler=scheduler)
    for name in design or []:
        if name not in {d.name for d in study.designs}:
            raise _bad_input(f"--design {name!r}: no such design; designs: "
                             f"{[d.name for d in study.designs]}")
    _check_output(json_path)
    if scheduler is not None:
        _check_dask(scheduler)
    _check_resources(study, runs, design, yes, workers)
    # Ctrl-C/SIGTERM: exit 130, saying what the store keeps
    with interruptible(store, stored_runs(experiment.open_store(), study)):
        with run_progress(len(experiment.tasks(runs, design, resume))) as tick:
            results = experiment.run(runs, workers, resume, design, on_result=tick)
    document = results.document
    for entry in document["designs"]:
        console.print(design_table(entry))
        for err in entry["errors"]:
            errors.print("failed run:", style="red", end=" ")
            errors.print(err, markup=False, highlight=False)
    if study.policy:
        console.print(compare_table(document, study.policy))
    if json_path is not None:
        _write_json_atomically(json_path, results.summary())
        console.print(f"results written to {json_path}")


@app.command()
def compare(
    file: FileArg,
    design: Annotated[list[str] | None, typer.Option(
        help="Only this design (repeatable): decide it alone.")] = None,
    runs: Annotated[int | None, typer.Option(
        min=1, max=MAX_RUNS, help="A fixed number of runs per scenario instead of the "
        "sequential decision.")] = None,
    max_runs: Annotated[int | None, typer.Option(
        min=1, max=100_000, help="Cap of the sequential decision (default: the study's "
        "decision.max_runs).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: study's).")
                    ] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
    prices: Annotated[Path | None, typer.Option(help="Price overrides (YAML key: USD).")] = None,
    store: Annotated[str | None, typer.Option(
        help="Results store: an SQLAlchemy URL, e.g. sqlite:///results.db.")] = None,
    resume: Annotated[bool, typer.Option(help="Reuse the runs the store already has.")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask: 'local' (a LocalCluster of --workers processes) or tcp://HOST:PORT.")] = None,
    detail: Annotated[bool, typer.Option(
        help="Also a table per design: means with intervals, percentiles.")] = False,
    yes: YesOpt = False,
) -> None:
    """Decide which design to choose: the cheapest one proven to meet the policy.

    Runs seeds in batches until each verdict that matters is proven at the study's
    confidence (decision: block), then prints the decision, the verdict table and
    the figures per scenario.
    """
    from hadrsim.experiments.tables import compare_table, design_table, scenario_figures_table

    study = _load(file, seed)
    price_table = _prices(prices)
    if not study.policy:
        raise _bad_input(f"{file}: policy: compare needs a policy (e.g. Hardware: "
                         "{rto_s: 120, rpo_s: 0})")
    known = [d.name for d in study.designs]
    for name in design or []:
        if name not in known:
            raise _bad_input(f"--design {name!r}: no such design; designs: {known}")
    if max_runs is not None and runs is not None:
        raise _bad_input("--max-runs caps the sequential decision; with --runs the number of "
                         "runs is fixed: give one or the other")
    experiment = _experiment(study, store, resume=resume, scheduler=scheduler,
                             prices=price_table, max_runs=max_runs)
    study = experiment.study
    _check_output(json_path)
    if scheduler is not None:
        _check_dask(scheduler)
    _check_resources(study, runs, design, yes, workers, sequential=runs is None)
    with (interruptible(store, stored_runs(experiment.open_store(), study)),
          run_progress(None, "deciding" if runs is None else "simulating") as tick):
        results = experiment.decide(design, runs, workers, resume, on_result=tick)
    document = results.document
    advice = document["recommendation"]
    console.print(advice["sentence"], markup=False, highlight=False)
    console.print(compare_table(document, study.policy))
    console.print(scenario_figures_table(document))
    if detail:
        for entry in document["designs"]:
            console.print(design_table(entry))
    if json_path is not None:
        _write_json_atomically(json_path, results.summary())
        console.print(f"results written to {json_path}")


@app.command()
def sweep(
    file: FileArg,
    set_: Annotated[list[str], typer.Option("--set", help="PATH=V1,V2 (repeatable): a grid.")],
    runs: RunsOpt = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the tidy rows.")] = None,
    store: Annotated[str | None, typer.Option(
        help="Results store (SQLAlchemy URL): every run committed as it finishes, with its "
        "grid point's parameters.")] = None,
    resume: Annotated[bool, typer.Option(help="Skip runs the store already has.")] = False,
    yes: YesOpt = False,
) -> None:
    """Run the study over a grid of spec values set by dotted paths; one row per run."""
    from hadrsim.experiments.sweep import SweepError, parse_assignment, plan_sweep
    from hadrsim.experiments.tables import sweep_table

    study = _load(file, seed)
    _check_output(csv_path, "--csv")
    results_store = _experiment(study, store, resume=resume).open_store()
    try:
        assignments = [parse_assignment(text) for text in set_]
        plan = plan_sweep(study, assignments, runs, results_store, resume)  # validates all
    except SweepError as exc:
        raise _bad_input(str(exc)) from None
    _check_resources([point.study for point in plan], runs, None, yes, workers)
    with (interruptible(store, stored_runs(results_store, study)),
          run_progress(sum(len(point.tasks) for point in plan), "sweeping") as tick):
        frame = run_sweep(study, assignments, workers=workers, on_result=tick,
                          store=results_store, resume=resume, plan=plan)
    console.print(sweep_table(frame, [path for path, _ in assignments]))
    if csv_path is not None:
        _write_csv_atomically(csv_path, frame)
        console.print(f"{len(frame)} rows written to {csv_path}")


@app.command()
def validate(file: FileArg) -> None:
    """Check a study file; prints every problem with its field path."""
    study = _load(file)
    console.print(f"{file}: ok ({len(study.designs)} designs, {len(study.scenarios)} "
                  f"scenarios, {study.runs} runs each)")


@app.command()
def schema() -> None:
    """Print the JSON Schema of study files."""
    from hadrsim.spec.study import Study

    sys.stdout.write(json.dumps(Study.model_json_schema(), indent=2) + "\n")


@app.command()
def events(
    file: FileArg,
    design: Annotated[str, typer.Option(help="The design to simulate.")],
    scenario: Annotated[str, typer.Option(help="The fault scenario.")],
    run_index: Annotated[int, typer.Option("--run", min=0, help="Run index (seed stream).")] = 0,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: study's).")] = None,
    yes: YesOpt = False,
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Write {'Events': [...]} as rds.describe_events returns.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the log as CSV.")] = None,
) -> None:
    """The RDS-style event log of one run: faults, detection, failover, DNS, restores."""
    from rich.table import Table

    from hadrsim.experiments.event_log import describe_events, event_log

    study = _load(file, seed)
    for flag, name, known in (("--design", design, [d.name for d in study.designs]),
                              ("--scenario", scenario, [s.name for s in study.scenarios])):
        if name not in known:
            raise _bad_input(f"{flag} {name!r}: not in the study; choose from {known}")
    _check_output(json_path)
    _check_output(csv_path, "--csv")
    _check_resources(study, 1, [design], yes)
    world = simulate(study, design, scenario, run_index)
    log = event_log(world.rec, design)
    table = Table(title=f"{design} / {scenario} / run {run_index}: events",
                  title_justify="left")
    for column in ("time s", "source", "type", "categories", "message"):
        table.add_column(column, justify="right" if column == "time s" else "left")
    for row in log.itertuples(index=False):
        table.add_row(f"{row.time_s:,.1f}", row.SourceIdentifier, row.SourceType,
                      ", ".join(row.EventCategories), row.Message)
    console.print(table)
    if json_path is not None:
        _write_json_atomically(json_path, describe_events(world.rec, design))
        console.print(f"{len(log)} events written to {json_path}")
    if csv_path is not None:
        flat = log.assign(EventCategories=log["EventCategories"].map(";".join))
        _write_csv_atomically(csv_path, flat)
        console.print(f"{len(log)} events written to {csv_path}")
