"""The ``hadrsim`` command: a thin typer layer over the Python API.

Exit status: 0 ok, 2 bad input (the message names the field path, the value and
what is allowed; nothing is written), 1 internal error.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from hadrsim.backup_plans import backup_report
from hadrsim.backup_plans.report import controls_table, rpo_table
from hadrsim.dms import MigrationError, create_sample, migrate
from hadrsim.dms.report import migration_table, plan_table, sizes_table
from hadrsim.dms.simulate import DmsTaskSpec, plan_migration
from hadrsim.dms.sizing import size_tables
from hadrsim.experiments.montecarlo import execute, plan_runs
from hadrsim.experiments.sequential import run_until_precise
from hadrsim.experiments.store import ResultsStore, StoreError
from hadrsim.experiments.summary import summarize_study
from hadrsim.experiments.sweep import SweepError, parse_assignment, run_sweep, sweep_studies
from hadrsim.experiments.tables import compare_table, design_table, sweep_table
from hadrsim.models.pricing import load_prices
from hadrsim.spec.loader import SpecError, load_study
from hadrsim.spec.study import Study

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate and compare database HA/DR designs: RTO, RPO, availability.")
console = Console(width=None if Console().is_terminal else 160)
errors = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="Study file (YAML).", show_default=False)]


def _bad_input(message: str) -> typer.Exit:
    errors.print("error:", style="red", end=" ")
    errors.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _load(path: Path, seed: int | None = None) -> Study:
    try:
        study = load_study(path)
    except SpecError as exc:
        raise _bad_input(str(exc)) from None
    if seed is not None:
        study = study.model_copy(update={"seed": seed})
    return study


def _check_output(path: Path | None) -> None:
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise _bad_input(f"--json {path}: directory {parent} does not exist")
    if path.is_dir():
        raise _bad_input(f"--json {path}: is a directory; give a file name")


def _strict_json(value):
    """NaN and infinities become null: strict JSON readers reject them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    return value


def _write_atomically(path: Path, write) -> None:
    """``write(handle)`` into a temporary file, then rename: never a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json_atomically(path: Path, document: dict) -> None:
    _write_atomically(path, lambda handle: json.dump(
        _strict_json(document), handle, indent=2, allow_nan=False))


def _write_csv_atomically(path: Path, frame) -> None:
    _write_atomically(path, lambda handle: frame.to_csv(handle, index=False))


def _prices(path: Path | None) -> dict[str, float]:
    try:
        return load_prices(path)
    except (OSError, ValueError) as exc:
        raise _bad_input(f"--prices {path}: {exc}") from None


def _print_recommendation(document: dict) -> None:
    advice = document.get("recommendation")
    if advice:
        pick = advice["design"] or "none"
        console.print(f"recommendation: {pick} — {advice['reason']}", markup=False)


def _check_dask(scheduler: str) -> None:
    if scheduler != "local" and not scheduler.startswith(("tcp://", "tls://")):
        raise _bad_input(f"--scheduler {scheduler!r}: use 'local' or tcp://HOST:PORT")
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise _bad_input("--scheduler needs Dask: python -m pip install 'hadrsim[dask]'") from None


def _open_store(url: str | None) -> ResultsStore | None:
    if url is None:
        return None
    try:
        return ResultsStore(url)
    except (StoreError, Exception) as exc:  # noqa: BLE001 - an unusable store is bad input
        raise _bad_input(f"--store {url}: {exc}") from None


def _simulate(study: Study, designs: list[str] | None, runs: int | None, workers: int,
              prices: dict[str, float] | None = None, precision: float | None = None,
              max_runs: int = 1000, store: ResultsStore | None = None,
              resume: bool = False, scheduler: str | None = None):
    tasks = plan_runs(study, designs, runs)
    study_id = None
    if store is not None:
        study_id = store.study_id(study.name, study.seed, study.model_dump_json())
        if resume:
            done = store.finished(study_id)
            tasks = [t for t in tasks if (t.design, t.scenario, t.run_index) not in done]
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
        console=errors, transient=True, disable=not errors.is_terminal,
    ) as progress:
        bar = progress.add_task("simulating", total=len(tasks), rate="")
        done = [0, 0.0]

        def advance(result) -> None:
            if store is not None:
                store.add(study_id, result)  # committed as soon as it finishes
            done[0] += 1
            done[1] += result.wall_s
            rate = f"{done[0] / max(progress.tasks[0].elapsed or 1e-9, 1e-9):.1f} runs/s"
            progress.update(bar, advance=1, rate=rate)

        if precision is None:
            results = execute(study, tasks, workers=workers, on_result=advance,
                              scheduler=scheduler)
        else:
            progress.update(bar, total=None)
            results, left = run_until_precise(
                study, precision, designs=designs, batch=runs or 10, max_runs=max_runs,
                workers=workers, on_result=advance)
            if left:
                errors.print(f"stopped at {max_runs} runs; still imprecise: "
                             + "; ".join(left[:5]), markup=False)
    if store is not None and resume:
        wanted = {(t.design, t.scenario, t.run_index) for t in plan_runs(study, designs, runs)}
        results = [r for r in store.results(study_id)
                   if (r.design, r.scenario, r.run_index) in wanted]
    return summarize_study(study, results, prices)


@app.command()
def run(
    file: FileArg,
    design: Annotated[list[str] | None, typer.Option(help="Only this design (repeatable).")] = None,
    runs: Annotated[int | None, typer.Option(min=1, help="Runs per scenario.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: study's).")] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
    store: Annotated[str | None, typer.Option(
        help="Results store: an SQLAlchemy URL, e.g. sqlite:///results.db.")] = None,
    resume: Annotated[bool, typer.Option(help="Skip runs the store already has.")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask: 'local' (a LocalCluster of --workers processes) or tcp://HOST:PORT.")] = None,
) -> None:
    """Simulate every design under every fault scenario; a table per design."""
    study = _load(file, seed)
    results_store = _open_store(store)
    if resume and results_store is None:
        raise _bad_input("--resume needs --store URL")
    for name in design or []:
        if name not in {d.name for d in study.designs}:
            raise _bad_input(f"--design {name!r}: no such design; designs: "
                             f"{[d.name for d in study.designs]}")
    _check_output(json_path)
    if scheduler is not None:
        _check_dask(scheduler)
    document = _simulate(study, design, runs, workers, store=results_store, resume=resume,
                         scheduler=scheduler)
    for entry in document["designs"]:
        console.print(design_table(entry))
        for err in entry["errors"]:
            errors.print("failed run:", style="red", end=" ")
            errors.print(err, markup=False, highlight=False)
    if study.policy:
        console.print(compare_table(document, study.policy))
    if json_path is not None:
        _write_json_atomically(json_path, document)
        console.print(f"results written to {json_path}")


@app.command()
def compare(
    file: FileArg,
    runs: Annotated[int | None, typer.Option(min=1, help="Runs per scenario.")] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
    prices: Annotated[Path | None, typer.Option(help="Price overrides (YAML key: USD).")] = None,
    precision: Annotated[float | None, typer.Option(
        min=0.0, help="Run batches until every CI half-width <= this (relative; P(met): "
        "absolute) instead of a fixed number of runs.")] = None,
    max_runs: Annotated[int, typer.Option(min=1, help="Cap for --precision.")] = 1000,
) -> None:
    """The designs of a study side by side, with the policy verdict and a recommendation."""
    study = _load(file, seed)
    price_table = _prices(prices)
    if not study.policy:
        raise _bad_input(f"{file}: policy: compare needs a policy (e.g. Hardware: "
                         "{rto_s: 120, rpo_s: 0})")
    _check_output(json_path)
    document = _simulate(study, None, runs, workers, price_table, precision, max_runs)
    console.print(compare_table(document, study.policy))
    _print_recommendation(document)
    if json_path is not None:
        _write_json_atomically(json_path, document)
        console.print(f"results written to {json_path}")


@app.command()
def sweep(
    file: FileArg,
    set_: Annotated[list[str], typer.Option("--set", help="PATH=V1,V2 (repeatable): a grid.")],
    runs: Annotated[int | None, typer.Option(min=1, help="Runs per scenario.")] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the tidy rows.")] = None,
) -> None:
    """Run the study over a grid of spec values set by dotted paths; one row per run."""
    study = _load(file, seed)
    _check_output(csv_path)
    try:
        assignments = [parse_assignment(text) for text in set_]
        sweep_studies(study, assignments)  # validate every grid point before running any
    except SweepError as exc:
        raise _bad_input(str(exc)) from None
    frame = run_sweep(study, assignments, runs=runs, workers=workers)
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
    sys.stdout.write(json.dumps(Study.model_json_schema(), indent=2) + "\n")


@app.command("sample-db")
def sample_db(
    path_or_url: Annotated[str, typer.Argument(
        help="SQLite file path or SQLAlchemy URL.", show_default=False)],
    rows: Annotated[int, typer.Option(min=1, help="Orders (customers: 1/4 of it; "
                                      "about 2.5 items per order).")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated content.")] = 2026,
) -> None:
    """Create the SecureCart orders database (customers, products, orders, order_items)."""
    try:
        made = create_sample(path_or_url, orders_n=rows, seed=seed)
    except MigrationError as exc:
        raise _bad_input(str(exc)) from None
    counts = ", ".join(f"{name} {n:,}" for name, n in made.rows.items())
    console.print(f"{made.url}: {made.total_rows:,} rows ({counts}), seed {made.seed}",
                  markup=False, highlight=False)


@app.command("migrate")
def migrate_command(
    source_url: Annotated[str, typer.Argument(
        help="Source: SQLAlchemy URL or SQLite file.", show_default=False)],
    target_url: Annotated[str, typer.Argument(
        help="Target: SQLAlchemy URL or SQLite file.", show_default=False)],
    batch_rows: Annotated[int, typer.Option(min=1, help="Rows per full-load batch "
                                            "and per CDC apply.")] = 1000,
    cdc_seconds: Annotated[float, typer.Option(min=0, help="Replicate changes this long, "
                                               "then cut over.")] = 10.0,
) -> None:
    """Migrate a database: full load, CDC while the source takes writes, cutover, validation.

    Exit status 0 when validation finds source and target identical, 1 when it finds
    differences, 2 when an endpoint is unusable (nothing is written then).
    """
    def announce(phase: str) -> None:
        if phase == "cutover":
            errors.print("cutover: the source now rejects writes; point the application "
                         "at the target")

    try:
        result = migrate(source_url, target_url, batch_rows=batch_rows,
                         cdc_seconds=cdc_seconds, on_phase=announce)
    except MigrationError as exc:
        raise _bad_input(str(exc)) from None
    console.print(migration_table(result))
    for name, how in result.differences.items():
        errors.print("differs:", style="red", end=" ")
        errors.print(f"{name}: {how}", markup=False, highlight=False)
    raise typer.Exit(0 if result.ok else 1)


@app.command("backup-audit")
def backup_audit(
    file: FileArg,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
) -> None:
    """Audit the study's AWS Backup plans against controls; RPO from simulated jobs.

    Exit status 0 when every control passes, 1 when one fails, 2 for a bad file.
    """
    study = _load(file)
    _check_output(json_path)
    report = backup_report(study)
    console.print(controls_table(report))
    if report.rpo:
        console.print(rpo_table(report))
    if json_path is not None:
        _write_json_atomically(json_path, report.to_dict())
        console.print(f"results written to {json_path}")
    raise typer.Exit(0 if report.passed else 1)


@app.command("dms-plan")
def dms_plan(
    source_url: Annotated[str, typer.Argument(
        help="Source to size: SQLAlchemy URL or SQLite file.", show_default=False)],
    throughput_mb_s: Annotated[float, typer.Option(min=0.001, help="Full-load MB/s per "
                                                   "thread.")] = DmsTaskSpec().throughput_mb_s,
    cdc_seconds: Annotated[float, typer.Option(min=0, help="Simulated CDC time before "
                                               "cutover.")] = DmsTaskSpec().cdc_s,
    runs: Annotated[int, typer.Option(min=1, help="Simulated runs.")] = 100,
    seed: Annotated[int, typer.Option(min=0, help="Root seed.")] = 0,
) -> None:
    """Simulate a DMS migration of a real source: its tables sized, then N seeded runs of
    full load, CDC, cutover and validation (nothing is written to the source)."""
    try:
        tables = size_tables(source_url)
    except MigrationError as exc:
        raise _bad_input(str(exc)) from None
    spec = DmsTaskSpec(throughput_mb_s=throughput_mb_s, cdc_s=cdc_seconds)
    plan = plan_migration(tables, spec, runs=runs, seed=seed)
    console.print(sizes_table(plan, source_url))
    console.print(plan_table(plan))


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


def main() -> None:  # pragma: no cover - console-script shim
    app()
