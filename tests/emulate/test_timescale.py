"""The time scale divides control durations and leaves network time-outs and latencies alone."""

from __future__ import annotations

import pytest

from hadrsim.emulate.emulation import NO_TIME_OUT_S, emulated_semantics
from hadrsim.emulate.timescale import (
    MIN_CHECK_INTERVAL_S,
    TARGET_S,
    default_time_scale,
    scale_study,
)
from hadrsim.experiments.run import run_once


@pytest.fixture
def study(make_study):
    return make_study(
        horizon_s=1800.0,
        workload={"idle_interval_s": 5.0, "dns_cache_s": 10.0},
        scenarios=[{"name": "hang", "scheduled": [
            {"kind": "instance_hang", "at_s": 300.0, "duration_s": 120.0}]},
            {"name": "other", "scheduled": [{"kind": "instance_crash", "at_s": 10.0}]}],
    )


def test_the_default_scale_makes_the_horizon_last_a_minute(study):
    """1800 s of study time at the default scale is 60 s of emulation; never below 1."""
    assert default_time_scale(study, "hang") == pytest.approx(1800.0 / TARGET_S)
    short = study.model_copy(update={"horizon_s": 30.0})
    assert default_time_scale(short, "hang") == 1.0


def test_control_durations_shrink_and_network_time_outs_do_not(study):
    """Horizon, fault times, think times, health-check interval, TTL, promotion law: / 30;
    the operation and health-check time-outs and the network: unchanged."""
    scaled = scale_study(study, "maz", "hang", 30.0)
    design, original = scaled.design("maz"), study.design("maz")
    fault = scaled.scenario("hang").scheduled[0]
    assert [d.name for d in scaled.designs] == ["maz"]
    assert [s.name for s in scaled.scenarios] == ["hang"]
    assert scaled.horizon_s == pytest.approx(60.0)
    assert (fault.at_s, fault.duration_s) == pytest.approx((10.0, 4.0))
    assert scaled.workload.probe_interval_s == pytest.approx(study.workload.probe_interval_s / 30)
    assert scaled.workload.idle_interval_s == pytest.approx(5.0 / 30)
    assert scaled.workload.dns_cache_s == pytest.approx(10.0 / 30)
    assert design.detection.interval_s == pytest.approx(
        max(original.detection.interval_s / 30, MIN_CHECK_INTERVAL_S))
    assert design.dns_ttl_s == pytest.approx(original.dns_ttl_s / 30)
    assert design.promotion_s.mean == pytest.approx(original.promotion_s.mean / 30)
    assert design.detection.timeout_s == original.detection.timeout_s
    assert scaled.workload.op_timeout_s == study.workload.op_timeout_s
    assert scaled.network == study.network


def test_a_scale_below_one_is_refused(study):
    """A factor that would stretch time is an error, not a silent no-op."""
    with pytest.raises(ValueError, match="time scale"):
        scale_study(study, "maz", "hang", 0.5)


def test_the_twin_simulation_uses_postgresql_rules_and_runs(study):
    """The side-by-side study takes the measured promotion and PostgreSQL's no-time-out
    synchronous commit, and the simulator runs it."""
    scaled = scale_study(study, "maz", "hang", 30.0)
    twin = emulated_semantics(scaled, "maz", [0.2, 0.4])
    design = twin.design("maz")
    assert design.sync_timeout_s == NO_TIME_OUT_S
    assert design.promotion_s.mean == pytest.approx(0.3)
    result = run_once(twin, "maz", "hang", 0)
    assert result.ok, result.error


def test_the_log_upload_interval_shrinks_and_the_twin_restores_as_postgresql(make_study):
    """RDS's 5-min log upload (what a point-in-time restore reaches) is a control duration:
    / 30; the twin's restore after a storage loss takes the measured restores' mean."""
    study = make_study(
        designs=[{"name": "single", "kind": "rds_single_az"}],
        scenarios=[{"name": "loss", "scheduled": [{"kind": "storage_loss", "at_s": 450.0}]}],
    )
    scaled = scale_study(study, "single", "loss", 30.0)
    assert study.design("single").log_archive_interval_s == 300.0
    assert scaled.design("single").log_archive_interval_s == pytest.approx(10.0)
    twin = emulated_semantics(scaled, "single", [], restore_s=[0.3, 0.5])
    assert twin.design("single").restore_s.mean == pytest.approx(0.4)
    result = run_once(twin, "single", "loss", 0)
    assert result.ok, result.error
    events = {event: t for t, event, _, _ in result.control}
    assert events["restore_completed"] - events["restore_started"] == pytest.approx(0.4)
