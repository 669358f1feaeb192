"""The results store (SQLAlchemy 2): every finished run, committed as it finishes.

An SQLite file by default (WAL mode, so a reader never blocks the writer), or
any SQLAlchemy URL. Each run is one transaction, and a unique key on
(study, parameters, design, scenario, run index) means a run is stored once:
a sweep killed mid-way keeps every run that finished, and ``resume`` skips
them. Each run keeps its records too (one compact blob,
:mod:`hadrsim.experiments.record_store`), so reports and notebooks never simulate
a stored run again.

The schema carries a version. A store of an older version is read as it is
(``readonly``), migrated in place (``migrate``, :func:`migrate_store`: a backup
copy is kept next to an SQLite file) or refused with a message
naming its version and the command that migrates it; a newer one is refused.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    inspect,
    select,
    update,
)

if TYPE_CHECKING:
    import pandas as pd
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from hadrsim.experiments.record_store import MAGIC
from hadrsim.experiments.run import RunResult

SCHEMA_VERSION = 3  # 2: designs and events tables; 3: run_records (each run's records)
READABLE_VERSIONS = (2, 3)  # read as they are; 2 has no records
MIGRATE_COMMAND = "hadrsim results migrate {url}"

metadata = MetaData()
# one row; the primary key makes two processes opening a new store at once agree on it
schema_table = Table("hadrsim_schema", metadata, Column("version", Integer, primary_key=True))
studies = Table(
    "studies", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("spec", Text, nullable=False),
    UniqueConstraint("name", "seed", "spec"),
)
designs = Table(
    "designs", metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("ha_architecture", String(100)),
    Column("spec", Text, nullable=False),
    UniqueConstraint("study_id", "name"),
)
runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id"), nullable=False),
    Column("params", Text, nullable=False),
    Column("design", String(200), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("scenario", String(200), nullable=False),
    Column("run_index", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("wall_s", Float),
    Column("events", Integer),
    Column("history_hash", String(64)),
    UniqueConstraint("study_id", "params", "design", "scenario", "run_index"),
)
metrics = Table(
    "metrics", metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", Float),
)
episodes = Table(
    "episodes", metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("data", Text, nullable=False),
)
events = Table(  # the control plane's event log of each run (hadrsim events words it)
    "events", metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("time_s", Float, nullable=False),
    Column("event", String(100), nullable=False),
    Column("node", String(200)),
    Column("detail", Text, nullable=False),
)
run_records = Table(  # every record of the run: one blob (hadrsim.experiments.record_store)
    "run_records", metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True),
    Column("format", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)


class StoreError(ValueError):
    """A store that cannot be used (bad URL, other schema version)."""


def _finite(value: float) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


class ResultsStore:
    """A results database at a SQLAlchemy URL.

    ``readonly`` never creates or alters anything (tables, schema row, journal
    mode) and reads an older schema version as it is. Otherwise the store is
    created if new; an older version is migrated in place when ``migrate`` is set
    (with a backup copy of an SQLite file), else refused naming the command that
    migrates it.
    """

    def __init__(self, url: str, *, readonly: bool = False, migrate: bool = False):
        self.url = url
        self.readonly = readonly
        self.backup: Path | None = None  # the copy kept by a migration on open
        database = sqlite_path(url)
        if database is not None:
            _check_sqlite_file(url, database, must_exist=readonly)
        try:
            self.engine: Engine = create_engine(url)
        except Exception as exc:  # noqa: BLE001 - any URL problem is bad input
            raise StoreError(f"{url}: not a usable SQLAlchemy URL ({exc})") from None
        if readonly:
            self._check_tables()
        if self.engine.dialect.name == "sqlite" and not readonly:
            event.listen(self.engine, "connect", _sqlite_wal)
        if not readonly:
            self._create()
        self.version = self._version()
        if self.version == SCHEMA_VERSION or (readonly and self.version in READABLE_VERSIONS):
            return
        if not readonly and migrate and self.version in READABLE_VERSIONS:
            self.backup = migrate_store(self)
            return
        raise StoreError(self._version_message())

    def _check_tables(self) -> None:
        """Refuse a database that is not a hadrsim store, before reading anything."""
        try:
            tables = set(inspect(self.engine).get_table_names())
        except Exception as exc:  # noqa: BLE001 - missing driver, refused connection...
            self.engine.dispose()
            raise StoreError(f"{self.url}: cannot open the results store "
                             f"({_first_line(exc)})") from None
        if not _STORE_TABLES <= tables:
            self.engine.dispose()
            raise StoreError(f"{self.url}: not a hadrsim results store (tables "
                             f"{sorted(tables)}); write one with hadrsim run FILE --store URL")

    def _create(self) -> None:
        """Tables of a new store (an existing one keeps its version row)."""
        try:
            if inspect(self.engine).has_table("hadrsim_schema"):
                with self.engine.connect() as conn:
                    if conn.execute(select(schema_table)).first() is not None:
                        return  # an existing store: only a migration adds tables to it
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                if conn.execute(select(schema_table)).first() is None:
                    conn.execute(insert(schema_table).values(version=SCHEMA_VERSION))
        except (IntegrityError, OperationalError, ProgrammingError):
            pass  # another process created the store at the same moment: read what it wrote

    def _version(self) -> int | None:
        try:
            with self.engine.connect() as conn:
                versions = [row.version for row in conn.execute(select(schema_table))]
        except (OperationalError, ProgrammingError) as exc:
            raise StoreError(f"{self.url}: not a hadrsim results store ({_first_line(exc)})"
                             ) from None
        return versions[0] if len(versions) == 1 else None

    def _version_message(self) -> str:
        if self.version in READABLE_VERSIONS:
            return (f"{self.url}: results store schema version {self.version}, this hadrsim "
                    f"writes version {SCHEMA_VERSION}; migrate it in place (a backup is "
                    f"kept) with: {MIGRATE_COMMAND.format(url=self.url)} (or rerun with "
                    "--resume, which migrates it)")
        return (f"{self.url}: results store schema version {self.version}, this hadrsim "
                f"reads versions {list(READABLE_VERSIONS)}; use a new store")

    @property
    def has_records(self) -> bool:
        """Whether this store keeps run records (schema 3 and later)."""
        return self.version is not None and self.version >= 3

    def close(self) -> None:
        """Release the connections (an SQLite file can then be moved or deleted)."""
        self.engine.dispose()

    def study_id(self, name: str, seed: int, spec: str) -> int:
        """The id of this exact study (name, seed and spec), created if new."""
        with self.engine.begin() as conn:
            query = select(studies.c.id).where(studies.c.name == name, studies.c.seed == seed,
                                               studies.c.spec == spec)
            found = conn.execute(query).scalar()
            if found is not None:
                return found
            new_id = conn.execute(insert(studies).values(name=name, seed=seed, spec=spec)
                                  ).inserted_primary_key[0]
            rows = [{"study_id": new_id, "name": d["name"], "kind": d["kind"],
                     "ha_architecture": d.get("ha_architecture"), "spec": json.dumps(d)}
                    for d in json.loads(spec).get("designs", [])]
            if rows:
                conn.execute(insert(designs), rows)
            return new_id

    def finished(self, study_id: int, params: dict[str, Any] | None = None
                 ) -> set[tuple[str, str, int]]:
        """(design, scenario, run index) of the runs already stored for these parameters."""
        key = _params_key(params)
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs.c.design, runs.c.scenario, runs.c.run_index)
                                .where(runs.c.study_id == study_id, runs.c.params == key))
            return {(r.design, r.scenario, r.run_index) for r in rows}

    def add(self, study_id: int, result: RunResult, params: dict[str, Any] | None = None
            ) -> bool:
        """Store one finished run in one transaction; False if it was stored already."""
        try:
            with self.engine.begin() as conn:
                run_id = conn.execute(insert(runs).values(
                    study_id=study_id, params=_params_key(params), design=result.design,
                    kind=result.kind, scenario=result.scenario, run_index=result.run_index,
                    seed=result.seed, ok=result.ok, error=result.error, wall_s=result.wall_s,
                    events=result.events, history_hash=result.history_hash,
                )).inserted_primary_key[0]
                if result.metrics:
                    conn.execute(insert(metrics), [
                        {"run_id": run_id, "name": k, "value": _finite(v)}
                        for k, v in result.metrics.items()])
                if result.episodes:
                    conn.execute(insert(episodes), [
                        {"run_id": run_id, "number": i, "data": json.dumps(e, default=str)}
                        for i, e in enumerate(result.episodes)])
                if result.control:
                    conn.execute(insert(events), [
                        {"run_id": run_id, "number": i, "time_s": t, "event": name,
                         "node": node, "detail": detail}
                        for i, (t, name, node, detail) in enumerate(result.control)])
                blob = getattr(result, "records", None)
                if blob is not None:
                    conn.execute(insert(run_records).values(
                        run_id=run_id, format=blob[len(MAGIC)], data=blob))
            return True
        except IntegrityError:
            return False

    def results(self, study_id: int, params: dict[str, Any] | None = None) -> list[RunResult]:
        """The stored runs of a study as RunResults (to summarise a resumed study)."""
        key = _params_key(params)
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs).where(runs.c.study_id == study_id,
                                                   runs.c.params == key)
                                .order_by(runs.c.run_index, runs.c.id)).all()
            out = []
            for row in rows:
                values = {m.name: (math.nan if m.value is None else m.value)
                          for m in conn.execute(select(metrics).where(metrics.c.run_id == row.id))}
                eps = [json.loads(e.data) for e in conn.execute(
                    select(episodes).where(episodes.c.run_id == row.id)
                    .order_by(episodes.c.number))]
                control = [(e.time_s, e.event, e.node, e.detail) for e in conn.execute(
                    select(events).where(events.c.run_id == row.id).order_by(events.c.number))]
                out.append(RunResult(
                    row.design, row.kind, row.scenario, row.run_index, row.seed, 0.0,
                    metrics=values, episodes=eps, history_hash=row.history_hash or "",
                    events=row.events or 0, wall_s=row.wall_s or 0.0, error=row.error,
                    control=control,
                ))
        return out

    def records(self, study_id: int, design: str, scenario: str, run_index: int,
                params: dict[str, Any] | None = None) -> bytes | None:
        """The records blob of one stored run; None if the run is not stored.

        Raises StoreError when the run is stored without records (an older schema,
        or a run stored with records turned off).
        """
        with self.engine.connect() as conn:
            run_id = conn.execute(select(runs.c.id).where(
                runs.c.study_id == study_id, runs.c.params == _params_key(params),
                runs.c.design == design, runs.c.scenario == scenario,
                runs.c.run_index == run_index)).scalar()
            if run_id is None:
                return None
            data = (conn.execute(select(run_records.c.data)
                                 .where(run_records.c.run_id == run_id)).scalar()
                    if self.has_records else None)
        if data is None:
            why = (f"the store's schema version {self.version} predates stored records"
                   if not self.has_records else "it was stored without records")
            raise StoreError(f"{self.url}: run {design} / {scenario} / {run_index} has no "
                             f"stored records ({why}); run it again into a store to keep them")
        return bytes(data)

    def studies(self) -> list[Any]:
        """Every stored study (id, name, seed, spec), oldest first."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(studies.c.id, studies.c.name, studies.c.seed,
                                             studies.c.spec).order_by(studies.c.id)))

    def frame(self) -> pd.DataFrame:
        import pandas as pd  # only the export and summary need it, not every command
        """Every stored run as one tidy row (parameters and metrics as columns)."""
        with self.engine.connect() as conn:
            base = pd.read_sql(select(runs, studies.c.name.label("study"))
                               .join(studies, runs.c.study_id == studies.c.id), conn)
            values = pd.read_sql(select(metrics), conn)
        if base.empty:
            return base
        wide = values.pivot(index="run_id", columns="name", values="value")
        params = pd.DataFrame([json.loads(p) for p in base["params"]], index=base.index)
        out = pd.concat([base.drop(columns=["params"]), params], axis=1)
        return out.merge(wide, left_on="id", right_index=True, how="left")

    def summary(self) -> pd.DataFrame:
        """Runs per study and design (for ``hadrsim results list``); per source too when the
        store holds emulated runs (``hadrsim emulate --store``), so they are never counted
        as simulated ones."""
        frame = self.frame()
        if frame.empty:
            return frame
        keys = ["study", "design"]
        if "source" in frame.columns:
            frame["source"] = frame["source"].fillna("simulation")
            keys.append("source")
        return (frame.groupby(keys, sort=False)
                .agg(runs=("id", "count"), failed=("ok", lambda s: int((~s).sum())))
                .reset_index())


_STORE_TABLES = {"hadrsim_schema", "studies", "runs"}


def store_url(store: str | Path) -> str:
    """A SQLAlchemy URL from a URL (contains ``://``) or an SQLite file path."""
    text = str(store)
    return text if "://" in text else f"sqlite:///{Path(text).resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL (None: another backend, memory, bad URL)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - ResultsStore words a bad URL
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _check_sqlite_file(url: str, path: Path, must_exist: bool) -> None:
    """An SQLite store is a regular file (not a symlink, device or FIFO); a read-only
    open never creates one (SQLite would create a missing file on connect)."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        kind = "a symbolic link" if path.is_symlink() else "not a regular file"
        raise StoreError(f"{url}: {path} is {kind}; give the path of the database file "
                         "itself")
    if must_exist and not path.is_file():
        raise StoreError(f"{url}: no such results store (file {str(path)!r} does not "
                         "exist); write one with hadrsim run FILE --store URL")


def migrate_store(store: ResultsStore, *, backup: bool = True) -> Path | None:
    """Bring an older store to :data:`SCHEMA_VERSION` in place; returns the backup's path.

    An SQLite store is first copied next to itself (``results.db.v2.bak``) with
    SQLite's online backup; another backend cannot be copied from here, so it is
    migrated only with ``backup=False`` (back it up yourself first). Runs stored
    before keep no records; every run stored after does.
    """
    old = store.version
    if old == SCHEMA_VERSION:
        return None
    if old not in READABLE_VERSIONS:
        raise StoreError(store._version_message())
    copy = _backup(store, old) if backup else None
    metadata.create_all(store.engine)  # the tables the old schema lacks (run_records)
    with store.engine.begin() as conn:
        conn.execute(update(schema_table).where(schema_table.c.version == old)
                     .values(version=SCHEMA_VERSION))
    store.version = store._version()
    return copy


def _backup(store: ResultsStore, version: int | None) -> Path:
    path = sqlite_path(store.url)
    if path is None:
        raise StoreError(f"{store.url}: only an SQLite store is backed up before migrating; "
                         "back this one up yourself, then migrate it with backup=False "
                         "(hadrsim results migrate URL --no-backup)")
    target = path.with_name(f"{path.name}.v{version}.bak")
    number = 1
    while os.path.lexists(target):  # a dangling symlink too: never written through
        target = path.with_name(f"{path.name}.v{version}.bak.{number}")
        number += 1
    source, copy = sqlite3.connect(path), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _params_key(params: dict[str, Any] | None) -> str:
    return json.dumps(params or {}, sort_keys=True, default=str)


def _sqlite_wal(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def store_results(store: ResultsStore, study_id: int, results: Iterable[RunResult],
                  params: dict[str, Any] | None = None) -> int:
    """Store many runs; returns how many were new."""
    return sum(store.add(study_id, r, params) for r in results)
