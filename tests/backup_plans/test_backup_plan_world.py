"""Backup-plan jobs run on the one engine, :class:`World`; RPO asks the one restore service."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

import hadrsim.backup_plans
from hadrsim.backup_plans import BackupAuditSettings, RecoveryPoint, simulate_backups
from hadrsim.backup_plans.catalog import PlanCatalog
from hadrsim.backup_plans.jobs import run_backups
from hadrsim.simulator.backups import BackupCatalog
from hadrsim.simulator.random import Streams
from hadrsim.simulator.world import World

COPY = {"region": "us-west-2", "delete_after_days": 35, "copy_delay_s": 1800}


def test_jobs_run_on_a_world_until_the_last_copy_has_landed(bp):
    """run_backups on World(seed, run, horizon) gives simulate_backups' history; the world
    stops when the last job fired inside the horizon, and its copies, have finished."""
    study = bp.study(bp.plan(bp.rule(copy_to=[COPY]), bp.rule(
        name="hourly", schedule="cron(15 * ? * * *)")))
    settings = BackupAuditSettings(horizon_days=10, warmup_days=2)
    world = World(study.seed, 1, 10 * 86400.0)
    history = run_backups(world, study, settings)
    assert history == simulate_backups(study, settings, run_index=1)
    ends = [j.end_s for j in history.jobs] + [c.end_s for c in history.copies]
    assert world.now == max(ends) and max(j.scheduled_s for j in history.jobs) < 10 * 86400.0
    fresh = Streams(study.seed, 1)
    for name in ("backup_plans/plan/daily/db", "backup_plans/plan/daily/db/copy/0",
                 "backup_plans/plan/hourly/db"):  # the world's named streams were drawn from
        state = world.streams.generator(name).bit_generator.state
        assert state != fresh.generator(name).bit_generator.state


def test_records_come_back_in_spec_order(bp):
    """Jobs grouped by rule, each rule's in scheduled order, whatever order they finished."""
    study = bp.study(bp.plan(bp.rule(start_window_min=600), bp.rule(
        name="hourly", schedule="cron(15 * ? * * *)", start_window_min=600)))
    jobs = simulate_backups(study).frames()["jobs"]
    assert list(jobs.rule.drop_duplicates()) == ["daily", "hourly"]
    for _, rule in jobs.groupby("rule"):
        assert rule.scheduled_s.is_monotonic_increasing
    assert not jobs[jobs.rule == "hourly"].end_s.is_monotonic_increasing  # overlapping jobs


def test_continuous_rpo_is_the_backup_catalogs_latest_restorable_time():
    """Inside its coverage, a continuous point's newest restorable time is what the engine's
    BackupCatalog says; before the first archive there is nothing to restore."""
    point = RecoveryPoint("db", "plan", "pitr", "continuous", "us-east-1", None,
                          1234.5, 1234.5, math.inf, math.inf)
    plan = PlanCatalog([point], archive_interval_s=300.0)
    engine = BackupCatalog(None, archive_interval_s=300.0, archive_phase_s=1234.5,
                           retention_days=7, snapshot_at_s=0.0)
    for now in np.linspace(1234.5, 5 * 86400.0, 997):
        assert plan.latest_restorable_time(float(now)) == engine.latest_restorable_time(now)
    assert plan.latest_restorable_time(1234.0) is None


def test_snapshot_points_count_from_available_until_they_expire():
    """A snapshot restores to its point_s once its job ended, until its lifecycle deletes it."""
    def snap(point, available, expires):
        return RecoveryPoint("db", "p", "r", "snapshot", "us-east-1", None, point,
                             available, math.inf, expires)
    plan = PlanCatalog([snap(100.0, 200.0, 1000.0), snap(500.0, 900.0, 5000.0)], 300.0)
    got = [plan.latest_restorable_time(t) for t in (150.0, 200.0, 899.0, 900.0, 1000.0, 5000.0)]
    assert got == [None, 100.0, 100.0, 500.0, 500.0, None]
    assert plan.steps(0.0, 6000.0) == [0.0, 200.0, 900.0, 1000.0, 5000.0, 6000.0]


def test_continuous_and_explicit_points_share_one_catalog_per_region():
    """PITR and a snapshot in one Region, a copy in another: the newest of all, and before
    the continuous point starts, or after it is deleted, only the explicit points."""
    def point(kind, region, point_s, available_s, expires_s=math.inf):
        return RecoveryPoint("db", "p", "r", kind, region, None, point_s, available_s,
                             math.inf, expires_s)
    plan = PlanCatalog([point("continuous", "us-east-1", 1000.0, 1000.0, 4000.0),
                        point("snapshot", "us-east-1", 1290.0, 1295.0),
                        point("copy", "us-west-2", 500.0, 800.0)], 300.0)
    assert len(plan._catalogs) == 2
    got = [plan.latest_restorable_time(t) for t in (900.0, 1000.0, 1294.0, 1295.0, 1300.0,
                                                    3999.0, 4000.0)]
    assert got == [500.0, 1000.0, 1000.0, 1290.0, 1300.0, 3700.0, 1290.0]
    assert plan.steps(3500.0, 4500.0) == [3500.0, 3700.0, 4000.0, 4500.0]


def test_no_backup_plan_module_imports_simpy():
    """Only hadrsim.simulator.world touches SimPy; the jobs schedule through World."""
    package = Path(hadrsim.backup_plans.__file__).parent
    pattern = re.compile(r"^\s*(import simpy|from simpy\b)", re.MULTILINE)
    offenders = [p.name for p in package.glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
