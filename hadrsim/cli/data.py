"""Data commands: the SecureCart sample database, real migrations, DMS plans, backup audits."""

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

# hadrsim.dms and hadrsim.backup_plans (sqlalchemy, pandas) are imported by the commands
# that use them (start-up time, issue 14).


def migrate(*args: Any, **kwargs: Any) -> Any:
    """:func:`hadrsim.dms.migrate`, imported on first use (a module attribute, so that
    tests can wrap it)."""
    from hadrsim.dms import migrate

    return migrate(*args, **kwargs)


@app.command("sample-db")
def sample_db(
    path_or_url: Annotated[str, typer.Argument(
        help="SQLite file path or SQLAlchemy URL.", show_default=False)],
    rows: Annotated[int, typer.Option(min=1, help="Orders (customers: 1/4 of it; "
                                      "about 2.5 items per order).")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated content.")] = 2026,
) -> None:
    """Create the SecureCart orders database (customers, products, orders, order_items)."""
    from hadrsim.dms import MigrationError, create_sample

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
    from hadrsim.dms import MigrationError
    from hadrsim.dms.report import migration_table

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
    from hadrsim.backup_plans import backup_report
    from hadrsim.backup_plans.report import controls_table, rpo_table

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
    throughput_mb_s: Annotated[float | None, typer.Option(
        min=0.001, help="Full-load MB/s per thread (default: the simulated task's, "
        "hadrsim.dms.simulate.DmsTaskSpec).", show_default=False)] = None,
    cdc_seconds: Annotated[float | None, typer.Option(
        min=0, help="Simulated CDC time before cutover (default: the simulated task's).",
        show_default=False)] = None,
    runs: Annotated[int, typer.Option(min=1, help="Simulated runs.")] = 100,
    seed: Annotated[int, typer.Option(min=0, help="Root seed.")] = 0,
) -> None:
    """Simulate a DMS migration of a real source: its tables sized, then N seeded runs of
    full load, CDC, cutover and validation (nothing is written to the source)."""
    from hadrsim.dms import MigrationError
    from hadrsim.dms.report import plan_table, sizes_table
    from hadrsim.dms.simulate import DmsTaskSpec, plan_migration
    from hadrsim.dms.sizing import size_tables

    try:
        tables = size_tables(source_url)
    except MigrationError as exc:
        raise _bad_input(str(exc)) from None
    given = {"throughput_mb_s": throughput_mb_s, "cdc_s": cdc_seconds}
    spec = DmsTaskSpec(**{k: v for k, v in given.items() if v is not None})
    plan = plan_migration(tables, spec, runs=runs, seed=seed)
    console.print(sizes_table(plan, source_url))
    console.print(plan_table(plan))


