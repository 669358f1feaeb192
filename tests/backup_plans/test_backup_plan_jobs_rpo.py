"""Simulated backup and copy jobs, and the RPO a plan gives under corruption and Region loss."""

from __future__ import annotations

import math

import numpy as np

from hadrsim.backup_plans import BackupAuditSettings, plan_rpo, simulate_backups

H = 3600.0
COPY = {"region": "us-west-2", "delete_after_days": 35, "copy_delay_s": 1800}


def _rpo(study, settings=None):
    history = simulate_backups(study, settings)
    return {r.scenario: r for r in plan_rpo(study, history, settings)}


def test_jobs_start_inside_their_start_windows(bp):
    """Every job starts in [scheduled, scheduled + start window) and finishes after it starts."""
    study = bp.study(bp.plan(bp.rule(start_window_min=120), bp.rule(
        name="hourly", schedule="cron(15 * ? * * *)", start_window_min=60)))
    jobs = simulate_backups(study).frames()["jobs"]
    assert len(jobs) == 30 + 30 * 24
    lag = jobs.start_s - jobs.scheduled_s
    window = np.where(jobs.rule == "daily", 120 * 60.0, 60 * 60.0)
    assert (lag >= 0).all() and (lag < window).all()
    assert (jobs.end_s > jobs.start_s).all()
    assert ((jobs.scheduled_s % 86400) == 5 * H)[jobs.rule == "daily"].all()


def test_failures_and_completion_window(bp):
    """Failed jobs leave no point; jobs longer than the completion window are ABORTED."""
    study = bp.study(bp.plan(bp.rule(failure_probability=0.5, completion_window_min=60,
                                     duration_s={"dist": "uniform", "low": 0, "high": 7200})))
    frames = simulate_backups(study).frames()
    status = frames["jobs"].status.value_counts()
    assert {"COMPLETED", "FAILED", "ABORTED"} <= set(status.index)
    assert len(frames["points"]) == status["COMPLETED"]


def test_same_seed_same_history(bp):
    """The history is a pure function of the study's seed and the run index."""
    study = bp.study(bp.plan(bp.rule(copy_to=[COPY])))
    assert simulate_backups(study) == simulate_backups(study)
    assert simulate_backups(study, run_index=1) != simulate_backups(study)


def test_copies_follow_successful_backups_after_the_copy_delay(bp):
    """A copy starts when its backup ends and lands in the target Region after the delay."""
    study = bp.study(bp.plan(bp.rule(copy_to=[COPY], failure_probability=0.0)))
    frames = simulate_backups(study).frames()
    jobs, copies = frames["jobs"], frames["copies"]
    assert len(copies) == len(jobs)
    assert np.allclose(copies.start_s.to_numpy(), jobs.end_s.to_numpy())
    assert np.allclose((copies.end_s - copies.start_s).to_numpy(), 1800.0)
    points = frames["points"]
    assert set(points.kind) == {"snapshot", "copy"}
    assert set(points[points.kind == "copy"].region) == {"us-west-2"}


def test_lifecycle_sets_cold_storage_and_expiry(bp):
    """Snapshots go cold and expire at creation + the lifecycle's days."""
    lifecycle = {"move_to_cold_storage_after_days": 1, "delete_after_days": 91}
    points = simulate_backups(bp.study(bp.plan(bp.rule(lifecycle=lifecycle)))).frames()["points"]
    assert np.allclose((points.cold_s - points.point_s).to_numpy(), 86400.0)
    assert np.allclose((points.expires_s - points.point_s).to_numpy(), 91 * 86400.0)


def test_daily_plan_corruption_rpo_is_a_day_plus_the_window(bp):
    """Daily snapshots: worst RPO under corruption ~ 24 h + start window (8 h) + duration."""
    rpo = _rpo(bp.study(bp.plan(bp.rule(failure_probability=0.0))))["corruption"]
    assert rpo.covered == 1.0
    assert 26 * H < rpo.worst_s < 24 * H + 8 * H + 2 * H
    assert 11 * H < rpo.mean_s < 14 * H


def test_short_retention_leaves_gaps(bp):
    """Points kept one day with a weekly schedule: days with nothing to restore (inf)."""
    weekly = bp.rule(schedule="cron(0 5 ? * SUN *)", lifecycle={"delete_after_days": 1})
    rpo = _rpo(bp.study(bp.plan(weekly)))["corruption"]
    assert math.isinf(rpo.worst_s) and math.isinf(rpo.mean_s)
    assert 0.05 < rpo.covered < 0.3


def test_continuous_backup_corruption_rpo_is_five_minutes(bp):
    """Continuous backup: the newest restorable time lags by at most the 5-min archive."""
    rule = bp.rule(continuous=True, lifecycle={"delete_after_days": 35})
    rpo = _rpo(bp.study(bp.plan(rule)))["corruption"]
    assert rpo.worst_s <= 300.0 + 1e-6 and rpo.worst_s > 299.0
    assert abs(rpo.mean_s - 150.0) < 1.0


def test_region_loss_without_a_copy_has_no_recovery_point(bp):
    """Without a cross-Region copy nothing survives a Region loss: infinite RPO, 0% covered."""
    rpo = _rpo(bp.study(bp.plan(bp.rule(continuous=True,
                                        lifecycle={"delete_after_days": 35}))))["region_loss"]
    assert math.isinf(rpo.worst_s) and rpo.covered == 0.0


def test_region_loss_with_a_copy_is_interval_plus_copy_delay(bp):
    """With a copy, worst RPO under Region loss ~ interval + window + duration + copy delay."""
    settings = BackupAuditSettings(horizon_days=20, warmup_days=2)
    rule = bp.rule(copy_to=[{**COPY, "copy_delay_s": 2 * H}], failure_probability=0.0,
                   start_window_min=60, duration_s=600)
    rpo = _rpo(bp.study(bp.plan(rule)), settings)
    corruption, region = rpo["corruption"], rpo["region_loss"]
    assert region.covered == 1.0
    assert 24 * H + 2 * H < region.worst_s <= 24 * H + 1 * H + 600 + 2 * H + 1e-6
    assert abs(region.worst_s - corruption.worst_s - 2 * H) < 1 * H
    assert abs(region.mean_s - corruption.mean_s - 2 * H) < 60.0  # edges of the window
