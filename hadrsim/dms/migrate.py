"""A real local migration, in the phases of an AWS DMS full-load-and-CDC task.

1. **Check** (nothing written): connect to the source and read its schema, then connect to
   the target and check it does not already hold the tables.
2. **Capture**: install the change log and triggers on the source (``cdc.py``), so nothing
   written from now on can be missed.
3. **Full load**: create the tables on the target, copy each in committed batches
   (``load.py``) while the source keeps taking writes.
4. **CDC**: replay the captured changes onto the target, polling, until cutover is asked for
   (``cutover`` event set by the caller, or ``cdc_seconds`` elapsed).
5. **Cutover**: fence the source (writes rejected from now on), drain the change log. The
   cutover downtime is the time from the fence to a drained target: how long the
   application can write nowhere.
6. **Validation** (``validate.py``), while the source is still fenced and so cannot move.
7. **Cleanup**: remove triggers, change log and fence from the source, also when a phase
   failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hadrsim.dms import cdc
from hadrsim.dms.endpoints import (
    check_target_empty,
    create_target,
    open_engine,
    parse_url,
    reflect_source,
    shown,
    target_tables,
)
from hadrsim.dms.load import TableLoad, load_table
from hadrsim.dms.validate import TableCheck, validate

POLL_S = 0.05  # CDC poll interval when the change log is empty


@dataclass(frozen=True, kw_only=True)
class TableReport:
    table: str
    rows_loaded: int
    full_load_s: float
    changes_applied: int
    check: TableCheck


@dataclass(frozen=True, kw_only=True)
class MigrationResult:
    """Everything one migration did and measured; ``ok`` when validation passed."""

    source: str
    target: str
    tables: list[TableReport]
    full_load_s: float
    cdc_s: float
    changes_applied: int
    upserts: int
    deletes: int
    last_seq: int
    cdc_latency_p50_s: float
    cdc_latency_max_s: float
    cutover_downtime_s: float
    validation_s: float

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables)

    @property
    def ok(self) -> bool:
        return all(t.check.ok for t in self.tables)

    @property
    def differences(self) -> dict[str, str]:
        return {t.table: t.check.describe() for t in self.tables if not t.check.ok}


def migrate(
    source_url: str,
    target_url: str,
    *,
    batch_rows: int = 1000,
    cdc_seconds: float = 10.0,
    cutover: threading.Event | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> MigrationResult:
    """Migrate ``source_url`` to ``target_url``; raises ``MigrationError`` on bad input.

    CDC runs until ``cutover`` is set or ``cdc_seconds`` have passed, whichever is first.
    ``on_phase`` is told each phase as it starts: "full-load", "cdc", "cutover",
    "validation", "cleanup".
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    phase = on_phase or (lambda _: None)
    src_url, dst_url = parse_url(source_url, "source"), parse_url(target_url, "target")
    source = open_engine(src_url, "source", must_exist=True)
    target = None
    try:
        tables = reflect_source(source)
        target = open_engine(dst_url, "target")
        check_target_empty(target, tables)
        destinations = target_tables(tables)
        pairs = {s.name: (s, d) for s, d in zip(tables, destinations, strict=True)}

        cdc.install_capture(source, tables)
        try:
            phase("full-load")
            started = time.perf_counter()
            with target.begin() as conn:
                create_target(conn, destinations)
            loads: list[TableLoad] = [load_table(source, target, s, d, batch_rows)
                                      for s, d in pairs.values()]
            full_load_s = time.perf_counter() - started

            phase("cdc")
            stats = cdc.ApplyStats()
            started = time.perf_counter()
            deadline = started + cdc_seconds
            while not (cutover is not None and cutover.is_set()) and \
                    time.perf_counter() < deadline:
                if not cdc.apply_pending(source, target, pairs, stats, batch_rows):
                    time.sleep(POLL_S)

            phase("cutover")
            fenced = time.perf_counter()
            cdc.raise_fence(source)
            cdc.drain(source, target, pairs, stats, batch_rows)
            cutover_downtime_s = time.perf_counter() - fenced
            cdc_s = fenced - started

            phase("validation")
            started = time.perf_counter()
            checks = validate(source, target, tables)
            validation_s = time.perf_counter() - started
        finally:
            phase("cleanup")
            cdc.remove_capture(source)
    finally:
        source.dispose()
        if target is not None:
            target.dispose()

    latencies = np.asarray(stats.latencies_s) if stats.latencies_s else np.zeros(1)
    return MigrationResult(
        source=shown(src_url),
        target=shown(dst_url),
        tables=[
            TableReport(table=load.table, rows_loaded=load.rows, full_load_s=load.seconds,
                        changes_applied=stats.changes.get(load.table, 0), check=check)
            for load, check in zip(loads, checks, strict=True)
        ],
        full_load_s=full_load_s,
        cdc_s=cdc_s,
        changes_applied=stats.total,
        upserts=stats.upserts,
        deletes=stats.deletes,
        last_seq=stats.last_seq,
        cdc_latency_p50_s=float(np.median(latencies)),
        cdc_latency_max_s=float(latencies.max()),
        cutover_downtime_s=cutover_downtime_s,
        validation_s=validation_s,
    )
