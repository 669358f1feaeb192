"""Reading a results store from the CLI without ever creating or altering one.

``ResultsStore(url)`` creates its tables (and SQLite creates a missing file), which is
right for ``run --store`` and wrong for commands that only read: a mistyped path would
leave an empty database behind. These helpers refuse such URLs first.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import make_url

from hadrsim.cli.common import _bad_input, errors
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.store import ResultsStore, StoreError, studies
from hadrsim.spec.study import Study

_STORE_TABLES = {"hadrsim_schema", "studies", "runs"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def open_existing_store(url: str) -> ResultsStore:
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


def study_from_store(url: str, name: str | None, seed: int | None, runs: int | None
                ) -> tuple[Study, list[RunResult]]:
    """The study (from its stored spec) and its stored runs, chosen by name and seed."""
    store = open_existing_store(url)
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
