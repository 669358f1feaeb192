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

Everything here is a pure function of the study, the settings and the run index; every
(plan, rule, design) draws from its own named stream (:class:`Streams`), so adding a
rule or a copy action never changes the draws of another.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from hadrsim.backup_plans.spec import BackupAuditSettings
from hadrsim.simulator.random import Streams

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
    horizon_s = settings.horizon_days * _DAY_S
    streams = Streams(study.seed, run_index)
    jobs: list[BackupJob] = []
    copies: list[CopyJob] = []
    points: list[RecoveryPoint] = []
    for plan in study.backup_plans:
        fires = {}
        for rule in plan.rules:
            fires[rule.name] = rule.cron.fire_times(0.0, horizon_s, settings.epoch)
        for resource in plan.selection:
            region = home_region(study.design(resource))
            for rule in plan.rules:
                stream = f"backup_plans/{plan.name}/{rule.name}/{resource}"
                _rule_jobs(rule, fires[rule.name], streams, stream, plan.name, resource, region,
                           jobs, copies, points)
    return BackupHistory(study.seed, run_index, horizon_s, jobs, copies, points)


def _rule_jobs(rule, scheduled, streams, stream, plan, resource, region, jobs, copies, points):
    rng = streams.generator(stream)
    n = len(scheduled)
    start = scheduled + rng.uniform(0.0, rule.start_window_min * 60.0, n)
    end = start + rule.duration_s.draw(rng, n)
    failed = rng.random(n) < rule.failure_probability
    too_long = end - start > rule.completion_window_min * 60.0
    status = np.where(failed, "FAILED", np.where(too_long, "ABORTED", "COMPLETED"))
    for k in range(n):
        jobs.append(BackupJob(resource, plan, rule.name, region, float(scheduled[k]),
                              float(start[k]), float(end[k]), str(status[k])))
    done = np.flatnonzero(status == "COMPLETED")
    lifecycle = rule.lifecycle
    if rule.continuous and len(done):
        first = float(end[done[0]])
        points.append(RecoveryPoint(resource, plan, rule.name, "continuous", region, None,
                                    first, first, math.inf, math.inf))
    elif not rule.continuous:
        for k in done:
            created = float(start[k])
            points.append(RecoveryPoint(
                resource, plan, rule.name, "snapshot", region, None, created, float(end[k]),
                _after_days(created, lifecycle.move_to_cold_storage_after_days),
                _after_days(created, lifecycle.delete_after_days),
            ))
    for c, action in enumerate(rule.copy_to):
        crng = streams.generator(f"{stream}/copy/{c}")
        delay = action.copy_delay_s.draw(crng, n)
        copy_failed = crng.random(n) < action.failure_probability
        for k in done:
            begin, finish = float(end[k]), float(end[k] + delay[k])
            ok = not copy_failed[k]
            copies.append(CopyJob(resource, plan, rule.name, region, action.region,
                                  action.account, float(start[k]), begin, finish,
                                  "COMPLETED" if ok else "FAILED"))
            if ok:
                points.append(RecoveryPoint(
                    resource, plan, rule.name, "copy", action.region, action.account,
                    float(start[k]), finish, math.inf,
                    _after_days(finish, action.delete_after_days),
                ))


def _after_days(t: float, days: int | None) -> float:
    return math.inf if days is None else t + days * _DAY_S
