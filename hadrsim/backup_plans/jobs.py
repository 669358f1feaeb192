"""Backup and copy jobs of AWS Backup plans over a horizon, and the recovery points they leave.

For each (plan, rule, selected design) the rule fires at its cron times; each backup job
starts uniformly inside the start window, runs for a drawn duration and completes unless
it fails (``failure_probability``) or outlasts the completion window (then AWS cancels
it: ``ABORTED``). A completed job leaves a snapshot recovery point in the design's home
Region, moved to cold storage and deleted as the lifecycle says, and starts one copy
job per copy action, which after a drawn delay leaves a copy point in the target Region.

A *continuous* rule (PITR) has one continuous recovery point, from the end of the rule's
first completed job on: the newest restorable time then lags now by up to one log
archive interval (S5). Its scheduled jobs still run and feed the copy actions (copies of
a continuous backup are snapshots), but leave no separate local snapshot point.

The jobs run on a :class:`~hadrsim.simulator.world.World`, the engine every hadrsim
simulation uses: each job is a chain of World callbacks (fire at the cron time, start,
end, then each copy lands), and a recovery point is recorded when the job that makes it
completes. The history is still a pure function of the study, the settings and the run
index: every (plan, rule, design) draws from its own named stream of the world
(``backup_plans/<plan>/<rule>/<design>``, copies ``.../copy/<n>``), all its jobs' draws in
one batch when the rule is set up, so adding a rule or a copy action never changes the
draws of another. Records come back in spec order (plan, design, rule, then job), not in
the order the jobs finished, so the frames read grouped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from hadrsim.simulator.world import World
from hadrsim.spec.backup_plans import BackupAuditSettings

if TYPE_CHECKING:
    from hadrsim.spec.study import Study

_DAY_S = 86400.0


class BackupJob(NamedTuple):
    resource: str
    plan: str
    rule: str
    region: str
    scheduled_s: float
    start_s: float
    end_s: float
    status: str  # COMPLETED, FAILED, ABORTED (outlasted the completion window)


class CopyJob(NamedTuple):
    resource: str
    plan: str
    rule: str
    source_region: str
    region: str
    account: str | None
    point_s: float  # the data's time: the source backup's start
    start_s: float
    end_s: float
    status: str  # COMPLETED, FAILED


class RecoveryPoint(NamedTuple):
    resource: str
    plan: str
    rule: str
    kind: str  # snapshot, continuous, copy
    region: str
    account: str | None
    point_s: float  # data as of this time (continuous: coverage starts here)
    available_s: float  # restorable from this time on
    cold_s: float  # moved to cold storage (inf: never)
    expires_s: float  # deleted (inf: never)


class BackupHistory(NamedTuple):
    """The facts of one simulated horizon; metrics are functions over them."""

    seed: int
    run_index: int
    horizon_s: float
    jobs: list[BackupJob]
    copies: list[CopyJob]
    points: list[RecoveryPoint]

    def frames(self) -> dict[str, pd.DataFrame]:
        """Tidy records as DataFrames: ``jobs``, ``copies``, ``points``."""
        return {
            "jobs": pd.DataFrame(self.jobs, columns=BackupJob._fields),
            "copies": pd.DataFrame(self.copies, columns=CopyJob._fields),
            "points": pd.DataFrame(self.points, columns=RecoveryPoint._fields),
        }


def home_region(design) -> str:
    """The Region a design's backups are taken in (its primary; a table's first Region)."""
    region = getattr(design, "region", None)
    if region is None:
        region = (getattr(design, "regions", None) or [None])[0]
    if region is None:  # pragma: no cover - Study resolves every design's Region
        raise ValueError(f"design {design.name!r} has no Region")
    return region


def simulate_backups(
    study: Study, settings: BackupAuditSettings | None = None, run_index: int = 0
) -> BackupHistory:
    """Jobs, copies and recovery points of every plan of ``study`` over the horizon."""
    settings = settings or BackupAuditSettings()
    world = World(study.seed, run_index, settings.horizon_days * _DAY_S)
    return run_backups(world, study, settings)


def run_backups(
    world: World, study: Study, settings: BackupAuditSettings | None = None
) -> BackupHistory:
    """Run every plan's jobs of ``study`` on ``world`` (a fresh one, at time 0).

    Rules fire over ``[0, world.horizon_s)``; the world runs until the last job fired
    inside the horizon (and its copies) has finished, which may be past the horizon.
    """
    settings = settings or BackupAuditSettings()
    horizon_s = world.horizon_s
    log = _Log(world)
    for plan in study.backup_plans:
        fires = {rule.name: rule.cron.fire_times(0.0, horizon_s, settings.epoch).tolist()
                 for rule in plan.rules}
        for resource in plan.selection:
            region = home_region(study.design(resource))
            for rule in plan.rules:
                _RuleJobs(world, log, rule, fires[rule.name], (plan.name, resource, region))
    log.start()
    world.run(until=log.idle)
    streams = world.streams
    return BackupHistory(streams.root_seed, streams.run_index, horizon_s,
                         log.sorted(log.jobs), log.sorted(log.copies), log.sorted(log.points))


class _Log:
    """The history as the jobs make it, and an event that fires once no job is left."""

    def __init__(self, world: World):
        self.world = world
        self.jobs: list[tuple[tuple, BackupJob]] = []  # (spec-order key, record)
        self.copies: list[tuple[tuple, CopyJob]] = []
        self.points: list[tuple[tuple, RecoveryPoint]] = []
        self.groups = 0  # (plan, design, rule) triples set up so far
        self.idle = world.new_event()
        self._pending = 0

    def later(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """``fn(*args)`` after ``delay`` seconds, counted until it has run."""
        self._pending += 1
        self.world.call_later(delay, self._run, fn, args)

    def _run(self, fn: Callable[..., None], args: tuple) -> None:
        self._pending -= 1
        fn(*args)
        if self._pending == 0:
            self.idle.succeed()

    def start(self) -> None:
        if self._pending == 0:  # no rule fires inside the horizon
            self.idle.succeed()

    @staticmethod
    def sorted(keyed: list[tuple[tuple, Any]]) -> list:
        return [record for _, record in sorted(keyed, key=lambda kr: kr[0])]


class _RuleJobs:
    """The jobs of one rule on one design: draws taken up front, run as World callbacks."""

    def __init__(self, world: World, log: _Log, rule, scheduled: list[float],
                 where: tuple[str, str, str]):
        self.world, self.log, self.rule = world, log, rule
        self.plan, self.resource, self.region = where
        self.group = log.groups
        log.groups += 1
        stream = f"backup_plans/{self.plan}/{rule.name}/{self.resource}"
        rng = world.streams.generator(stream)
        n = len(scheduled)
        # one batch per stream, in this order: the draws of the pure-numpy version
        self.wait = rng.uniform(0.0, rule.start_window_min * 60.0, n).tolist()
        self.duration = rule.duration_s.draw(rng, n).tolist()
        self.failed = (rng.random(n) < rule.failure_probability).tolist()
        self.copy_draws = []  # per copy action: (delays, failed)
        for c, action in enumerate(rule.copy_to):
            crng = world.streams.generator(f"{stream}/copy/{c}")
            delay = action.copy_delay_s.draw(crng, n).tolist()
            self.copy_draws.append((delay, (crng.random(n) < action.failure_probability).tolist()))
        self.continuous_from: float | None = None
        for k, at in enumerate(scheduled):
            log.later(at, self._fire, k)

    def _fire(self, k: int) -> None:
        self.log.later(self.wait[k], self._start, k, self.world.now)

    def _start(self, k: int, scheduled: float) -> None:
        self.log.later(self.duration[k], self._end, k, scheduled, self.world.now)

    def _end(self, k: int, scheduled: float, start: float) -> None:
        rule, end = self.rule, self.world.now
        if self.failed[k]:
            status = "FAILED"
        elif end - start > rule.completion_window_min * 60.0:
            status = "ABORTED"  # AWS cancels a job that outlasts its completion window
        else:
            status = "COMPLETED"
        self.log.jobs.append(((self.group, k), BackupJob(
            self.resource, self.plan, rule.name, self.region, scheduled, start, end, status)))
        if status != "COMPLETED":
            return
        if rule.continuous and self.continuous_from is None:
            self.continuous_from = end
            self._point((0, k), "continuous", self.region, None, end, end, math.inf, math.inf)
        elif not rule.continuous:
            lifecycle = rule.lifecycle
            self._point((0, k), "snapshot", self.region, None, start, end,
                        _after_days(start, lifecycle.move_to_cold_storage_after_days),
                        _after_days(start, lifecycle.delete_after_days))
        for c, (delay, _) in enumerate(self.copy_draws):
            self.log.later(delay[k], self._copied, c, k, start, end)

    def _copied(self, c: int, k: int, start: float, begin: float) -> None:
        action, finish = self.rule.copy_to[c], self.world.now
        ok = not self.copy_draws[c][1][k]
        self.log.copies.append(((self.group, c, k), CopyJob(
            self.resource, self.plan, self.rule.name, self.region, action.region,
            action.account, start, begin, finish, "COMPLETED" if ok else "FAILED")))
        if ok:
            self._point((1 + c, k), "copy", action.region, action.account, start, finish,
                        math.inf, _after_days(finish, action.delete_after_days))

    def _point(self, order: tuple[int, int], kind: str, region: str, account: str | None,
               point_s: float, available_s: float, cold_s: float, expires_s: float) -> None:
        self.log.points.append(((self.group, *order), RecoveryPoint(
            self.resource, self.plan, self.rule.name, kind, region, account, point_s,
            available_s, cold_s, expires_s)))


def _after_days(t: float, days: int | None) -> float:
    return math.inf if days is None else t + days * _DAY_S
