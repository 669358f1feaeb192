"""Simple cases against closed forms (calibration.md, "Closed-form checks")."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hadrsim.experiments.montecarlo import execute, plan_runs

MTTF_H, MTTR_H = 10.0, 0.2


@pytest.mark.slow
def test_single_instance_availability_matches_mttf_over_mttf_plus_mttr(make_study):
    """A = MTTF / (MTTF + MTTR) lies in the 95% CI of the simulated write availability.

    One instance, no automatic replacement (repair = the fault's exponential
    duration), crashes arriving every exp(MTTF).
    """
    study = make_study(
        runs=40,
        horizon_s=500 * 3600.0,
        workload={"observed_clients": 1, "observed_write_fraction": 1.0,
                  "idle_interval_s": 600.0, "retry_backoff_s": 5.0, "op_timeout_s": 1.0},
        designs=[{"name": "one", "kind": "rds_single_az", "replace_host_s": None}],
        scenarios=[{"name": "crashes", "stochastic": [
            {"kind": "instance_crash", "mttf_h": MTTF_H,
             "mttr_h": {"dist": "exponential", "mean": MTTR_H}}]}],
    )
    results = execute(study, plan_runs(study), workers=2)
    assert all(r.ok for r in results)
    availability = np.array([r.metrics["availability_write"] for r in results])
    expected = MTTF_H / (MTTF_H + MTTR_H)
    lo, hi = stats.t.interval(0.95, len(availability) - 1, loc=availability.mean(),
                              scale=stats.sem(availability))
    assert lo <= expected <= hi, (lo, availability.mean(), hi, expected)
    episodes = sum(len(r.episodes) for r in results)
    assert episodes > 40 * 30  # ~49 crashes per 500 h run


def test_failover_pair_unavailability_is_about_rate_times_failover_time(make_study):
    """Failover pair: downtime ~= failures x failover time (lambda x T), RPO 0."""
    study = make_study(
        runs=6,
        horizon_s=200 * 3600.0,
        workload={"observed_clients": 1, "idle_interval_s": 600.0, "retry_backoff_s": 1.0},
        designs=[{"name": "maz", "kind": "rds_multi_az_instance",
                  "promotion_s": 60.0, "replace_host_s": 300.0}],
        scenarios=[{"name": "crashes", "stochastic": [
            {"kind": "instance_crash", "mttf_h": 20.0, "mttr_h": 0.5}]}],
    )
    results = execute(study, plan_runs(study), workers=1)
    for r in results:
        episodes = len(r.episodes)
        downtime = (1 - r.metrics["availability_write"]) * r.horizon_s
        # each failover: detection (<= 17 s) + promotion 60 s + TTL 5 s + retry
        assert 60.0 * episodes <= downtime <= 90.0 * episodes
        assert r.metrics["lost_writes"] == 0
