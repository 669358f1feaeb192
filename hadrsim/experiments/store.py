"""The results store (SQLAlchemy 2): every finished run, committed as it finishes.

An SQLite file by default (WAL mode, so a reader never blocks the writer), or
any SQLAlchemy URL. Each run is one transaction, and a unique key on
(study, parameters, design, scenario, run index) means a run is stored once:
a sweep killed mid-way keeps every run that finished, and ``resume`` skips
them. The schema carries a version; a store of another version is refused with
a clear message instead of being misread.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from hadrsim.experiments.run import RunResult

SCHEMA_VERSION = 2  # 2: designs and events tables

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


class StoreError(ValueError):
    """A store that cannot be used (bad URL, other schema version)."""


def _finite(value: float) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


class ResultsStore:
    """A results database at a SQLAlchemy URL."""

    def __init__(self, url: str):
        try:
            self.engine: Engine = create_engine(url)
        except Exception as exc:  # noqa: BLE001 - any URL problem is bad input
            raise StoreError(f"{url}: not a usable SQLAlchemy URL ({exc})") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_wal)
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                if conn.execute(select(schema_table)).first() is None:
                    conn.execute(insert(schema_table).values(version=SCHEMA_VERSION))
        except (IntegrityError, OperationalError, ProgrammingError):
            pass  # another process created the store at the same moment: read what it wrote
        with self.engine.connect() as conn:
            versions = [row.version for row in conn.execute(select(schema_table))]
        if versions != [SCHEMA_VERSION]:
            raise StoreError(f"{url}: results store schema version {versions}, this "
                             f"hadrsim reads version {SCHEMA_VERSION}; use a new store")

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

    def frame(self) -> pd.DataFrame:
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
        """Runs per study and design (for ``hadrsim results list``)."""
        frame = self.frame()
        if frame.empty:
            return frame
        return (frame.groupby(["study", "design"], sort=False)
                .agg(runs=("id", "count"), failed=("ok", lambda s: int((~s).sum())))
                .reset_index())


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
