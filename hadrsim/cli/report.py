"""``hadrsim report``: one self-contained HTML file from a study file or a results store.

A study file is run first (like ``compare``); a results store (an SQLAlchemy
URL, recognised by its ``://``) is only read: the study's spec is stored with
its runs, so the report needs nothing else. Reading a store never writes to
it, and a URL that names no hadrsim store is refused before anything is
created (an SQLite path that does not exist would otherwise become an empty
database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import make_url

from hadrsim.cli.common import (
    _bad_input,
    _load,
    _prices,
    _write_atomically,
    app,
    console,
    errors,
    run_progress,
)
from hadrsim.experiments.montecarlo import execute, plan_runs
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.store import ResultsStore, StoreError, studies
from hadrsim.report import render_report
from hadrsim.spec.study import Study

_STORE_TABLES = {"hadrsim_schema", "studies", "runs"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _check_report_output(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise _bad_input(f"-o {path}: directory {parent} does not exist")
    if path.is_dir():
        raise _bad_input(f"-o {path}: is a directory; give a file name")


def _run_with_progress(study: Study, runs: int | None, workers: int) -> list[RunResult]:
    """Every run of the study, with the progress bar ``run`` and ``compare`` show."""
    tasks = plan_runs(study, None, runs)
    with run_progress(len(tasks)) as advance:
        return execute(study, tasks, workers=workers, on_result=advance)


def _open_existing_store(url: str) -> ResultsStore:
    """A hadrsim store at ``url``, refusing anything that would make us create or alter one."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - any unparsable URL is bad input
        raise _bad_input(f"{url}: not a usable SQLAlchemy URL ({_first_line(exc)})") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or not Path(database).is_file():
            raise _bad_input(f"{url}: no such results store (file {database or '(none)'!r} "
                             "does not exist); write one with hadrsim run FILE --store URL")
    try:
        engine = create_engine(url)
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - missing driver, refused connection...
        raise _bad_input(f"{url}: cannot open the results store ({_first_line(exc)})") from None
    if not _STORE_TABLES <= tables:
        raise _bad_input(f"{url}: not a hadrsim results store (tables {sorted(tables)}); "
                         "write one with hadrsim run FILE --store URL")
    try:
        return ResultsStore(url)
    except (StoreError, Exception) as exc:  # noqa: BLE001 - e.g. another schema version
        raise _bad_input(_first_line(exc)) from None


def _from_store(url: str, name: str | None, seed: int | None, runs: int | None
                ) -> tuple[Study, list[RunResult]]:
    """The study (from its stored spec) and its stored runs, chosen by name and seed."""
    store = _open_existing_store(url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(studies.c.id, studies.c.name, studies.c.seed,
                                       studies.c.spec).order_by(studies.c.id)).all()
        matching = [r for r in rows if (name is None or r.name == name)
                    and (seed is None or r.seed == seed)]
        stored = sorted({f"{r.name} (seed {r.seed})" for r in rows})
        if not rows:
            raise _bad_input(f"{url}: the store holds no study yet")
        if not matching:
            wanted = " ".join(filter(None, [name and f"named {name!r}",
                                            seed is not None and f"with seed {seed}"]))
            raise _bad_input(f"{url}: no stored study {wanted}; stored: {stored}")
        if len({(r.name, r.seed) for r in matching}) > 1:
            raise _bad_input(f"{url}: the store holds several studies: {stored}; pick one "
                             "with --study NAME (and --seed S)")
        row = matching[-1]  # a study file edited and run again: its latest version
        if len(matching) > 1:
            errors.print(f"note: {len(matching)} stored versions of {row.name} (seed "
                         f"{row.seed}); reporting the latest", markup=False, highlight=False)
        try:
            study = Study.model_validate_json(row.spec)
        except ValidationError as exc:
            raise _bad_input(f"{url}: stored study {row.name!r} is not valid for this hadrsim "
                             f"({_first_line(exc)})") from None
        results = store.results(row.id)
    finally:
        store.engine.dispose()
    if runs is not None:
        results = [r for r in results if r.run_index < runs]
    if not results:
        raise _bad_input(f"{url}: study {row.name!r} has no stored run"
                         + (f" with index < {runs}" if runs is not None else "")
                         + " (sweep runs are not reported)")
    return study, results


@app.command("report")
def report(
    source: Annotated[str, typer.Argument(
        help="Study file (YAML) to run, or a results store URL (contains ://).",
        metavar="STUDY_OR_STORE", show_default=False)],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="The HTML file to write.", show_default=False)],
    runs: Annotated[int | None, typer.Option(
        min=1, help="Runs per scenario (a store: only run indices below N).")] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Root seed (a store: the stored study with this seed).")] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    prices: Annotated[Path | None, typer.Option(help="Price overrides (YAML key: USD).")] = None,
    study_name: Annotated[str | None, typer.Option(
        "--study", help="Which study of a store holding several.")] = None,
) -> None:
    """Write one self-contained HTML report: verdicts, tables, figures, episode timelines."""
    price_table = _prices(prices)
    _check_report_output(output)
    if "://" in source:
        study, results = _from_store(source, study_name, seed, runs)
    else:
        study = _load(Path(source), seed)
        if study_name is not None and study_name != study.name:
            raise _bad_input(f"--study {study_name!r}: {source} holds study {study.name!r} "
                             "(--study picks a study in a results store)")
        results = _run_with_progress(study, runs, workers)
    html = render_report(study, results, price_table)
    _write_atomically(output, lambda handle: handle.write(html))
    failed = sum(1 for r in results if not r.ok)
    note = f", {failed} failed" if failed else ""
    console.print(f"report written to {output} ({len(results)} runs{note}, "
                  f"{len(html) / 1e6:.1f} MB)", markup=False, highlight=False)
