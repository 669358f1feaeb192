"""``hadrsim results``: read a results store (list, show, export; never creates one) and
migrate one written by an older hadrsim."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hadrsim.cli.common import (
    _bad_input,
    _check_output,
    _write_atomically,
    _write_csv_atomically,
    app,
    console,
)
from hadrsim.cli.stored import open_existing_store, study_from_store

results_app = typer.Typer(help="Read a results store.", no_args_is_help=True)
app.add_typer(results_app, name="results")


@results_app.command("list")
def results_list(url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the store.")]) -> None:
    """Runs per study and design in a store."""
    summary = open_existing_store(url).summary()
    console.print(summary.to_string(index=False) if not summary.empty else "empty store")


@results_app.command("export")
def results_export(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the store.")],
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the tidy rows as CSV.")
                        ] = None,
    parquet_path: Annotated[Path | None, typer.Option(
        "--parquet", help="Write them as Parquet (needs pyarrow: 'hadrsim[parquet]').")] = None,
) -> None:
    """Every stored run as one tidy row (parameters and metrics as columns)."""
    if csv_path is None and parquet_path is None:
        raise _bad_input("results export: give --csv PATH and/or --parquet PATH")
    _check_output(csv_path, "--csv")
    _check_output(parquet_path, "--parquet")
    if parquet_path is not None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise _bad_input("--parquet needs pyarrow: python -m pip install "
                             "'hadrsim[parquet]'") from None
    frame = open_existing_store(url).frame()
    if csv_path is not None:
        _write_csv_atomically(csv_path, frame)
        console.print(f"{len(frame)} runs written to {csv_path}")
    if parquet_path is not None:
        _write_atomically(parquet_path, lambda handle: frame.to_parquet(handle, index=False),
                          binary=True)
        console.print(f"{len(frame)} runs written to {parquet_path}")


@results_app.command("show")
def results_show(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the store.")],
    study: Annotated[str | None, typer.Option(help="The stored study (if several).")] = None,
    seed: Annotated[int | None, typer.Option(help="Its seed (if several).")] = None,
) -> None:
    """A stored study's tables (as ``run`` prints them), from its stored runs only."""
    from hadrsim.experiments.tables import compare_table, design_table, scenario_figures_table

    results = study_from_store(url, study, seed, None)
    document = results.document
    for entry in document["designs"]:
        console.print(design_table(entry))
    if results.study.policy:
        console.print(compare_table(document, results.study.policy))
        console.print(scenario_figures_table(document))


@results_app.command("migrate")
def results_migrate(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the store.")],
    backup: Annotated[bool, typer.Option(
        help="Copy an SQLite store next to itself first (STORE.vN.bak).")] = True,
) -> None:
    """Bring a store written by an older hadrsim to this version's schema, in place."""
    from hadrsim.experiments.store import SCHEMA_VERSION, StoreError, migrate_store

    store = open_existing_store(url)
    try:
        if store.version == SCHEMA_VERSION:
            console.print(f"{url}: already at store schema {SCHEMA_VERSION}", markup=False,
                          highlight=False)
            return
        old = store.version
        copy = migrate_store(store, backup=backup)
    except StoreError as exc:
        raise _bad_input(str(exc)) from None
    finally:
        store.close()
    kept = f"; the old store is kept as {copy}" if copy is not None else ""
    console.print(f"{url}: migrated from store schema {old} to {SCHEMA_VERSION}{kept}",
                  markup=False, highlight=False, soft_wrap=True)
