"""A simulated AWS DMS full-load-and-CDC task: how long a migration takes and what it costs.

The model runs on a :class:`~hadrsim.simulator.world.World` (the one engine every hadrsim
simulation uses: its processes, stores and named random streams), float seconds from the
task's start:

- **Full load**: up to ``max_full_load_subtasks`` tables load at once, in the order given,
  each taking ``bytes / throughput + rows x per-row cost`` on its thread.
- **Source writes** go on from the start: every ``tick_s`` a Poisson number of changes
  commits on the source and lands in its log (one *batch*).
- **CDC**: a reader takes batches from the source log while the task is up and the source
  reachable; the applier applies them in commit order, once full load is done (changes
  committed during full load are cached until then, as DMS does), each no earlier than its
  commit time plus the pipeline latency, at most ``cdc_apply_rate_per_s`` changes a
  second. The latency is a level redrawn every ``cdc_latency_period_s`` (calibration 10:
  lognormal, median 2 s, tail to minutes); its p99 is what a CloudWatch ``CDCLatencyTarget``
  graph would show, not the latency of one change in a hundred.
- **Validation** (after each table's full load, ``validation_threads`` at once): a compare
  time proportional to the table's rows.
- **Cutover**, ``cdc_s`` after full load ends (and not before validation has finished),
  at the first tick the lag is under ``cutover_max_lag_s``: stop writes, drain the
  backlog, switch the application to the target. The cutover
  downtime is from stop-writes until the target accepts writes.
- **Faults**: a task failure stops everything for ``restart_s``; full load and validation
  restart the tables they were on from the start; CDC resumes from its checkpoint (the last
  applied batch), re-reading what was read but not applied, so the lag grows but nothing is
  lost. A source outage stops what reads the source (full load, validation, the CDC reader);
  the application keeps writing to it unless ``app_writes`` is false (the database itself is
  down), and CDC catches up afterwards.

Every run returns tidy records (table attempts, applied batches) and the figures computed
from them; ``changes_lost`` (committed minus applied, from the records) is 0 in every
scenario the model covers, and tests assert it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hadrsim.dms.sizing import TableSize
from hadrsim.dms.task_spec import DmsTaskSpec, SourceOutage, TaskFailure
from hadrsim.experiments.statistics import NONNEGATIVE, Summary, summarize
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.world import Interrupt, PriorityItem, Process, World

_BATCH = 256


@dataclass(frozen=True)
class Attempt:
    """One thread's work on one table; ``done`` False when a fault cut it short."""

    phase: Literal["full-load", "validation"]
    table: str
    started_s: float
    ended_s: float
    done: bool


@dataclass(frozen=True)
class Applied:
    """One batch of source changes: committed at ``commit_s``, applied at ``applied_s``."""

    batch: int
    commit_s: float
    applied_s: float
    changes: int


@dataclass(frozen=True, kw_only=True)
class DmsRun:
    """One simulated migration: the figures and the records they come from."""

    seed: int
    run_index: int
    full_load_s: float
    cdc_lag_p50_s: float
    cdc_lag_p99_s: float
    backlog_at_cutover: int
    cutover_downtime_s: float
    total_migration_s: float
    changes_committed: int
    changes_applied: int
    changes_lost: int
    validation_s: float
    validation_suspended: bool
    lost_work_s: float
    attempts: tuple[Attempt, ...] = field(repr=False)
    applied: tuple[Applied, ...] = field(repr=False)

    def lag_of(self, committed_from_s: float, committed_to_s: float) -> np.ndarray:
        """Lag (applied minus commit) of every change committed in the window."""
        return _lags([a for a in self.applied if committed_from_s <= a.commit_s
                      < committed_to_s])

    @property
    def stop_writes_s(self) -> float:
        """When writes to the source stopped: the cutover window's start."""
        return self.total_migration_s - self.cutover_downtime_s

    @property
    def drained_s(self) -> float:
        """When the target had every committed change (the switch to it follows)."""
        return max([self.stop_writes_s] + [a.applied_s for a in self.applied])

    def _pending(self, at_s: float) -> list[Applied]:
        return [a for a in self.applied if a.commit_s <= at_s < a.applied_s]

    def lag_at(self, at_s: float) -> float:
        """Age at ``at_s`` of the oldest change committed on the source and not yet on the
        target (0 when none): what the target would lack, in time, if it took over then."""
        pending = self._pending(at_s)
        return at_s - min(a.commit_s for a in pending) if pending else 0.0

    def backlog_at(self, at_s: float) -> int:
        """Changes committed on the source by ``at_s`` and not yet on the target."""
        return sum(a.changes for a in self._pending(at_s))


METRICS = ("full_load_s", "cdc_lag_p50_s", "cdc_lag_p99_s", "backlog_at_cutover",
           "cutover_downtime_s", "total_migration_s", "changes_applied", "changes_lost",
           "validation_s", "lost_work_s")


def _lags(batches: Sequence[Applied]) -> np.ndarray:
    if not batches:
        return np.zeros(0)
    return np.repeat([a.applied_s - a.commit_s for a in batches],
                     [a.changes for a in batches])


class _Gate:
    """Open unless some reason holds it closed; ``opened`` fires when it opens again."""

    def __init__(self, world: World):
        self.world = world
        self._closed: Counter[str] = Counter()
        self.opened = world.new_event()

    @property
    def is_open(self) -> bool:
        return not +self._closed

    def close(self, reason: str) -> None:
        self._closed[reason] += 1

    def open(self, reason: str) -> None:
        self._closed[reason] -= 1
        if self.is_open:
            self.opened.succeed()
            self.opened = self.world.new_event()

    def wait(self):
        while not self.is_open:
            yield self.opened


class _Pool:
    """Threads working through tables; a fault sends the tables in progress back."""

    def __init__(self, world: World, phase, threads: int,
                 seconds: Callable[[TableSize], float], gate: _Gate, total: int,
                 on_done: Callable[[TableSize], None]):
        self.world, self.phase, self.seconds, self.gate = world, phase, seconds, gate
        self.queue = world.priority_store()
        self.on_done = on_done
        self.remaining = total
        self.finished = world.new_event()
        self.attempts: list[Attempt] = []
        self.lost_work_s = 0.0
        self._busy: dict[Process, None] = {}
        if total == 0:
            self.finished.succeed()
        self._workers = [world.process(self._work()) for _ in range(threads)]

    def add(self, order: int, table: TableSize) -> None:
        self.queue.put(PriorityItem(order, table))

    def interrupt(self, reason: str) -> None:
        busy, self._busy = self._busy, {}  # each holder is interrupted once
        for proc in busy:
            proc.interrupt(reason)

    def _work(self):
        world = self.world
        me = world.active_process
        while True:
            item = yield self.queue.get()
            table, started = item.item, None
            self._busy[me] = None
            try:
                yield from self.gate.wait()
                started = world.now
                yield world.timeout(self.seconds(table))
            except Interrupt:
                if started is not None:
                    self.lost_work_s += world.now - started
                    self.attempts.append(Attempt(self.phase, table.name, started,
                                                 world.now, False))
                self.queue.put(item)
                continue
            finally:
                self._busy.pop(me, None)
            self.attempts.append(Attempt(self.phase, table.name, started, world.now, True))
            self.on_done(table)
            self.remaining -= 1
            if self.remaining == 0:
                self.finished.succeed()


@dataclass
class _Batch:
    id: int
    commit_s: float
    changes: int


class _Migration:
    """Build the parts, then ``run`` them; one instance per run."""

    def __init__(self, world: World, tables: Sequence[TableSize], spec: DmsTaskSpec):
        self.spec = spec
        self.world = world
        streams = world.streams
        self.writes = streams.generator("dms/source-writes")
        self.latency = streams.sampler("dms/cdc-latency", spec.cdc_latency_s)
        self.switch: Sampler = streams.sampler("dms/cutover", spec.cutover_switch_s)
        self._counts: list[int] = []
        self._levels: dict[int, float] = {}
        self.task = _Gate(world)  # the replication task is running (needed to apply)
        self.reads = _Gate(world)  # ... and it can reach the source (needed to read)
        self.log = world.priority_store()  # the source's change log
        self.inflight = world.store()  # read by the task, not yet applied
        self.committed: dict[int, _Batch] = {}
        self.applied: dict[int, Applied] = {}
        self.writing = True
        self.app_down = 0
        self.full_load_done = world.new_event()
        self.drained = world.new_event()
        self.times: dict[str, float] = {}
        self.backlog = 0
        tables = list(tables)
        self.validation = _Pool(world, "validation", spec.validation_threads,
                                lambda t: t.rows / spec.validation_rows_per_s, self.reads,
                                len(tables) if spec.validation else 0, lambda t: None)
        self.order = {t.name: i for i, t in enumerate(tables)}
        self.full_load = _Pool(world, "full-load", spec.max_full_load_subtasks,
                               spec.load_seconds, self.reads, len(tables), self._loaded)
        for i, table in enumerate(tables):
            self.full_load.add(i, table)
        self._holding: tuple[Process, _Batch] | None = None

    def _loaded(self, table: TableSize) -> None:
        if self.spec.validation:
            self.validation.add(self.order[table.name], table)

    # -- source writes and CDC -----------------------------------------------------------
    def _poisson(self) -> int:
        if not self._counts:
            self._counts = self.writes.poisson(self.spec.write_rate_per_s * self.spec.tick_s,
                                               _BATCH).tolist()[::-1]
        return self._counts.pop()

    def _writer(self):
        next_id = 0
        while True:
            yield self.world.timeout(self.spec.tick_s)
            changes = self._poisson()
            if not self.writing:
                return
            if changes and not self.app_down:
                batch = _Batch(next_id, self.world.now, changes)
                next_id += 1
                self.committed[batch.id] = batch
                self.log.put(PriorityItem(batch.id, batch))

    def _reader(self):
        while True:
            yield from self.reads.wait()
            item = yield self.log.get()
            if not self.reads.is_open:
                self.log.put(item)
                continue
            self.inflight.put(item.item)

    def _level(self, commit_s: float) -> float:
        period = int(commit_s // self.spec.cdc_latency_period_s)
        if period not in self._levels:
            self._levels[period] = self.latency()
        return self._levels[period]

    def _applier(self):
        yield self.full_load_done
        me = self.world.active_process
        while True:
            batch = yield self.inflight.get()
            self._holding = (me, batch)
            try:
                yield from self.task.wait()
                due = batch.commit_s + self._level(batch.commit_s)
                if due > self.world.now:
                    yield self.world.timeout(due - self.world.now)
                yield self.world.timeout(batch.changes / self.spec.cdc_apply_rate_per_s)
            except Interrupt:
                self.log.put(PriorityItem(batch.id, batch))
                continue
            finally:
                self._holding = None
            self.applied[batch.id] = Applied(batch.id, batch.commit_s, self.world.now,
                                             batch.changes)
            self._check_drained()

    def lag_now(self) -> float:
        """Age of the oldest unapplied change (batches are applied in commit order)."""
        oldest = self.committed.get(len(self.applied))
        return 0.0 if oldest is None else self.world.now - oldest.commit_s

    def _check_drained(self) -> None:
        if (not self.writing and not self.drained.triggered
                and len(self.applied) == len(self.committed)):
            self.drained.succeed()

    # -- faults ---------------------------------------------------------------------------
    def _fault(self, fault: TaskFailure | SourceOutage):
        yield self.world.timeout(fault.at_s)
        if self.times.get("target_accepts") is not None:
            return
        if isinstance(fault, TaskFailure):
            self.task.close("fault")
            self.reads.close("task")
            self.full_load.interrupt("task failure")
            self.validation.interrupt("task failure")
            if self._holding is not None:  # back to the checkpoint: re-read what is unapplied
                holder, self._holding = self._holding[0], None
                holder.interrupt("task failure")
            for batch in self.inflight.items:
                self.log.put(PriorityItem(batch.id, batch))
            self.inflight.items.clear()
            yield self.world.timeout(fault.restart_s)
            self.task.open("fault")
            self.reads.open("task")
        else:
            self.reads.close("source")
            self.app_down += not fault.app_writes
            self.full_load.interrupt("source outage")
            self.validation.interrupt("source outage")
            yield self.world.timeout(fault.duration_s)
            self.app_down -= not fault.app_writes
            self.reads.open("source")

    # -- the task ---------------------------------------------------------------------------
    def _task(self):
        yield self.full_load.finished
        self.times["full_load_done"] = self.world.now
        self.full_load_done.succeed()
        yield self.world.timeout(self.spec.cdc_s)
        yield self.validation.finished
        while self.lag_now() > self.spec.cutover_max_lag_s:
            yield self.world.timeout(self.spec.tick_s)
        self.times["stop_writes"] = self.world.now
        self.writing = False
        self.backlog = sum(b.changes for i, b in self.committed.items() if i not in self.applied)
        self._check_drained()
        yield self.drained
        self.times["drained"] = self.world.now
        low, high = self.spec.cutover_switch_range_s
        yield self.world.timeout(min(max(self.switch(), low), high))
        self.times["target_accepts"] = self.world.now

    def run(self) -> None:
        for proc in (self._writer(), self._reader(), self._applier()):
            self.world.process(proc)
        for fault in self.spec.faults:
            self.world.process(self._fault(fault))
        self.world.run(until=self.world.process(self._task()))


def simulate_migration(tables: Sequence[TableSize], spec: DmsTaskSpec | None = None, *,
                       seed: int = 0, run_index: int = 0) -> DmsRun:
    """One seeded run of the migration of ``tables`` (sizes from ``size_tables``)."""
    # A migration ends when the target accepts writes, not at a horizon: run_migration
    # runs the world until then, so the horizon only bounds the (unused) recorder.
    return run_migration(World(seed, run_index, math.inf), tables, spec)


def run_migration(world: World, tables: Sequence[TableSize],
                  spec: DmsTaskSpec | None = None) -> DmsRun:
    """Run the migration of ``tables`` on ``world`` (its clock and named streams).

    ``world`` must be fresh (time 0): the migration runs it until the target accepts
    writes. The run's seed and index are the world's.
    """
    spec = spec or DmsTaskSpec()
    model = _Migration(world, tables, spec)
    model.run()
    seed, run_index = world.streams.root_seed, world.streams.run_index
    t = model.times
    applied = tuple(sorted(model.applied.values(), key=lambda a: a.batch))
    committed = sum(b.changes for b in model.committed.values())
    changes_applied = sum(a.changes for a in applied)
    during = _lags([a for a in applied
                    if t["full_load_done"] <= a.commit_s <= t["stop_writes"]])
    attempts = tuple(model.full_load.attempts + model.validation.attempts)
    checks = [a for a in attempts if a.phase == "validation" and a.done]
    validation_s = (max(a.ended_s for a in checks) - min(a.started_s for a in checks)
                    if checks else 0.0)
    # Nothing is ever lost in this model, so validation finds no differing rows; the
    # FailureMaxCount limits only matter once a fault can lose or corrupt changes.
    lost = committed - changes_applied
    return DmsRun(
        seed=seed, run_index=run_index,
        full_load_s=t["full_load_done"],
        cdc_lag_p50_s=float(np.percentile(during, 50)) if during.size else math.nan,
        cdc_lag_p99_s=float(np.percentile(during, 99)) if during.size else math.nan,
        backlog_at_cutover=model.backlog,
        cutover_downtime_s=t["target_accepts"] - t["stop_writes"],
        total_migration_s=t["target_accepts"],
        changes_committed=committed,
        changes_applied=changes_applied,
        changes_lost=lost,
        validation_s=validation_s,
        validation_suspended=lost > spec.validation_failure_max_count,
        lost_work_s=model.full_load.lost_work_s + model.validation.lost_work_s,
        attempts=attempts,
        applied=applied,
    )


@dataclass(frozen=True, kw_only=True)
class DmsPlan:
    """Many runs of one migration: the runs and a summary per metric."""

    spec: DmsTaskSpec
    tables: tuple[TableSize, ...]
    seed: int
    runs: tuple[DmsRun, ...] = field(repr=False)
    summaries: dict[str, Summary] = field(repr=False)


def plan_migration(tables: Sequence[TableSize], spec: DmsTaskSpec | None = None, *,
                   runs: int = 100, seed: int = 0) -> DmsPlan:
    """``runs`` seeded runs (run indexes 0..runs-1) and their summaries."""
    if runs < 1:
        raise ValueError("runs must be >= 1")
    spec = spec or DmsTaskSpec()
    done = tuple(simulate_migration(tables, spec, seed=seed, run_index=i) for i in range(runs))
    summaries = {m: summarize([float(getattr(r, m)) for r in done], NONNEGATIVE)
                 for m in METRICS}
    return DmsPlan(spec=spec, tables=tuple(tables), seed=seed, runs=done, summaries=summaries)
