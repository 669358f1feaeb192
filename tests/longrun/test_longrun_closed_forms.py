"""The long-run view against closed forms of repairable systems.

Times are scaled down (MTTF 10,000 s, MTTR 1,000 s: lambda/mu = 0.1) so that many
failures, and many overlaps, happen in a short simulated time; the model has no
other clock that matters here than its detection and client retry times, which
the expected values include through the library's measured failover time T.

The model's both-down rule (README, "The long-run view"): a failure class is its
own alternating renewal process of what its target names (``primary``,
``standby``); a standby that was down while the primary kept committing is out
of sync, and an out-of-sync standby is never promoted, so when the primary fails
while the standby is down, writes stop until *the primary* is repaired. Then the
unavailability of the pair is ``q**2 + lambda (1 - q)**2 (T_primary + T_standby)``
with ``q = lambda / (lambda + mu)``: each primary failure finds the standby down
with probability q and is then down for its whole repair (mean 1/mu); the rest
cost their failover time.
"""

from __future__ import annotations

import pytest

from hadrsim.longrun import long_run
from hadrsim.spec.loader import parse_study

pytestmark = pytest.mark.slow

MTTF_H = 10_000 / 3600
MTTR_H = 1_000 / 3600
LAMBDA = 1 / 10_000
Q = (1 / 10_000) / (1 / 10_000 + 1 / 1_000)


def _study(design: dict, faults: list[dict], max_episodes: int = 200) -> dict:
    return {
        "name": "closed-form", "seed": 11,
        "workload": {"observed_clients": 2, "idle_interval_s": 600},
        "designs": [design],
        "scenarios": [{"name": "failures", "stochastic": faults}],
        "longrun": {"library": {"max_compound": 100, "max_episodes": max_episodes}},
    }


def _fault(kind: str, target: str) -> dict:
    return {"kind": kind, "target": target, "mttf_h": MTTF_H,
            "mttr_h": {"dist": "exponential", "mean": MTTR_H}}


def _unavailability(document: dict) -> tuple[float, float, float]:
    availability = document["designs"][0]["availability"]
    low, high = availability["ci95"]
    return 1 - availability["mean"], 1 - high, 1 - low


def _pair(promotion_s: float) -> dict:
    return {"name": "maz", "kind": "rds_multi_az_instance", "replace_host_s": None,
            "promotion_s": promotion_s, "dns_ttl_s": 0, "sync_timeout_s": 0.5,
            "detection": {"interval_s": 1, "failure_threshold": 1, "timeout_s": 0.5}}


def test_a_single_repairable_unit_is_up_mttf_over_mttf_plus_mttr():
    """A Single-AZ instance whose AZ fails: down exactly as long as the AZ is."""
    study = parse_study(_study({"name": "single", "kind": "rds_single_az"},
                               [_fault("az_outage", "primary_az")], max_episodes=40))
    document = long_run(study, years=0.5, runs=40, workers=2).to_json()
    mean, low, high = _unavailability(document)
    assert low <= Q <= high, (mean, low, high, Q)
    # an interval with teeth (the bootstrap treats the 40 stratified repairs as independent
    # draws, so it is wider than the error really is)
    assert high - low < Q


def _pair_view(promotion_s: float) -> tuple[dict, float, float, float, float]:
    """The pair's document, its unavailability (mean, low, high) and the closed form."""
    study = parse_study(_study(_pair(promotion_s), [_fault("instance_crash", "primary"),
                                                   _fault("instance_crash", "standby")]))
    document = long_run(study, years=0.1, runs=40, workers=2).to_json()
    t_primary, t_standby = (c["mean_downtime_s"] for c in document["designs"][0]["classes"])
    expected = Q**2 + LAMBDA * (1 - Q) ** 2 * (t_primary + t_standby)
    return document, *_unavailability(document), expected


def test_a_pair_with_instant_failover_is_down_q_squared():
    """Detection 1 s, promotion 0: the pair is down when both are, q**2 (plus lambda T)."""
    document, mean, low, high, expected = _pair_view(0.0)
    assert document["designs"][0]["classes"][0]["mean_downtime_s"] < 10
    assert low <= expected <= high, (mean, low, high, expected)
    assert high - low < 1.5 * expected
    assert document["designs"][0]["compound"]["simulated"] == 100


def test_a_pair_with_failover_time_t_adds_lambda_t():
    """Promotion 60 s: each primary failure with the standby up costs T ~ 61 s."""
    document, mean, low, high, expected = _pair_view(60.0)
    t_primary = document["designs"][0]["classes"][0]["mean_downtime_s"]
    assert 60 <= t_primary <= 70
    assert low <= expected <= high, (mean, low, high, expected)
    assert LAMBDA * t_primary > 0.5 * Q**2  # the failover term is not negligible here
