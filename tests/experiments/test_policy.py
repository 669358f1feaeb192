"""Tests for hadrsim.experiments.policy: resiliency policy verdicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from hadrsim.experiments.policy import (
    DISRUPTION_CLASSES,
    PolicyTarget,
    episode_meets,
    meets_with_confidence,
    policy_verdict,
)

TARGET = PolicyTarget(rto_s=60.0, rpo_s=5.0)


def _row(disruption="AZ", recovered=True, rto=10.0, rpo=0.0) -> dict:
    return {
        "disruption": disruption,
        "recovered_write": recovered,
        "rto_write_s": rto,
        "rpo_s": rpo,
    }


def test_vocabulary_is_resilience_hubs():
    """The four disruption classes of AWS Resilience Hub, spelled as it does."""
    assert DISRUPTION_CLASSES == ("Software", "Hardware", "AZ", "Region")


def test_episode_within_targets_meets():
    """Recovered, under both targets: met."""
    assert episode_meets(_row(rto=10.0, rpo=1.0), TARGET)


def test_episode_equal_to_targets_meets():
    """Targets are inclusive."""
    assert episode_meets(_row(rto=60.0, rpo=5.0), TARGET)


def test_episode_over_either_target_fails():
    """Just over the RTO or the RPO: not met."""
    assert not episode_meets(_row(rto=60.001), TARGET)
    assert not episode_meets(_row(rpo=5.001), TARGET)


def test_unknown_measurements_fail():
    """A NaN RTO or RPO is not evidence of meeting the target."""
    assert not episode_meets(_row(rto=math.nan), TARGET)
    assert not episode_meets(_row(rpo=math.nan), TARGET)


def test_unrecovered_episode_fails():
    """Writes never came back: not met, whatever the recorded times say."""
    assert not episode_meets(_row(recovered=False, rto=0.0), TARGET)


def test_recovered_must_be_a_real_boolean():
    """NaN or None in recovered_write (truthy/falsy by accident) is not recovery."""
    assert not episode_meets(_row(recovered=math.nan), TARGET)
    assert not episode_meets(_row(recovered=None), TARGET)
    assert episode_meets(_row(recovered=np.bool_(True)), TARGET)


def test_target_rejects_negative_and_nan():
    """A target no episode could meet is a configuration error."""
    with pytest.raises(ValueError):
        PolicyTarget(rto_s=-1.0, rpo_s=0.0)
    with pytest.raises(ValueError):
        PolicyTarget(rto_s=60.0, rpo_s=math.nan)
    assert PolicyTarget(rto_s=math.inf, rpo_s=0.0).rto_s == math.inf


def test_verdict_counts_and_matches_scipy_wilson():
    """Per class: counts, k/n and the interval scipy's binomtest gives."""
    rows = [_row("AZ") for _ in range(8)] + [_row("AZ", rto=120.0) for _ in range(2)]
    rows += [_row("Region", recovered=False), _row("Region"), _row("Software")]
    policy = {"AZ": TARGET, "Region": PolicyTarget(rto_s=900.0, rpo_s=60.0)}
    verdict = policy_verdict(iter(rows), policy)
    assert list(verdict) == ["AZ", "Region"]
    az = verdict["AZ"]
    assert (az["episodes"], az["met"], az["p_met"]) == (10, 8, 0.8)
    expected = stats.binomtest(8, 10).proportion_ci(confidence_level=0.95, method="wilson")
    assert az["ci95"] == pytest.approx([expected.low, expected.high], rel=1e-12)
    assert (az["rto_s"], az["rpo_s"]) == (60.0, 5.0)
    region = verdict["Region"]
    assert (region["episodes"], region["met"], region["p_met"]) == (2, 1, 0.5)
    json.dumps(verdict)


def test_wilson_interval_by_hand():
    """8 of 10 met: Wilson's formula with z = 1.959964 gives [0.49016, 0.94332]."""
    z = 1.959963984540054
    n, p = 10, 0.8
    center = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    spread = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    verdict = policy_verdict(
        [_row("Hardware")] * 8 + [_row("Hardware", rpo=9.0)] * 2, {"Hardware": TARGET}
    )
    lo, hi = verdict["Hardware"]["ci95"]
    assert [lo, hi] == pytest.approx([center - spread, center + spread], rel=1e-12)
    assert [lo, hi] == pytest.approx([0.49016, 0.94332], abs=1e-5)


def test_class_without_episodes_is_nan():
    """No episode of a class: no made-up probability."""
    entry = policy_verdict([_row("AZ")], {"Region": TARGET})["Region"]
    assert (entry["episodes"], entry["met"]) == (0, 0)
    assert math.isnan(entry["p_met"])
    assert all(math.isnan(bound) for bound in entry["ci95"])
    assert not meets_with_confidence(entry)


def test_unknown_class_names_are_errors():
    """A typo in the policy or in a row must not read as "no episodes"."""
    with pytest.raises(ValueError):
        policy_verdict([_row("AZ")], {"az": TARGET})
    with pytest.raises(ValueError):
        policy_verdict([_row("Zone")], {"AZ": TARGET})


def test_meets_with_confidence_uses_lower_bound():
    """All 100 met clears 0.95 (lower bound ~0.963); all 50 met does not (~0.929)."""
    many = policy_verdict([_row()] * 100, {"AZ": TARGET})["AZ"]
    few = policy_verdict([_row()] * 50, {"AZ": TARGET})["AZ"]
    assert many["p_met"] == few["p_met"] == 1.0
    assert meets_with_confidence(many)
    assert not meets_with_confidence(few)
    assert meets_with_confidence(few, threshold=0.9)


@given(
    st.integers(min_value=1, max_value=2000).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n))
    )
)
def test_interval_brackets_estimate(n_and_k):
    """For any k of n: 0 <= lo <= p_met <= hi <= 1."""
    n, k = n_and_k
    rows = [_row()] * k + [_row(recovered=False)] * (n - k)
    entry = policy_verdict(rows, {"AZ": TARGET})["AZ"]
    lo, hi = entry["ci95"]
    assert 0.0 <= lo <= entry["p_met"] <= hi <= 1.0
