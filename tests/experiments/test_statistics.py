"""Tests for hadrsim.experiments.statistics: summaries over many runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from hadrsim.experiments.statistics import half_width, summarize

_NUMBERS = ("mean", "std", "p50", "p95", "p99")


def _assert_plain(summary: dict) -> None:
    assert type(summary["n"]) is int
    assert type(summary["n_inf"]) is int
    assert all(type(summary[key]) is float for key in _NUMBERS)
    assert all(type(bound) is float for bound in summary["ci95"])
    json.dumps(summary)


def test_hand_computed_summary():
    """1..5: mean 3, s = sqrt(2.5), p95 = 1 + 0.95 * 4, t(0.975, 4) = 2.776445."""
    summary = summarize([3.0, 1.0, 5.0, 2.0, 4.0])
    assert summary["n"] == 5
    assert summary["n_inf"] == 0
    assert summary["mean"] == pytest.approx(3.0)
    assert summary["std"] == pytest.approx(math.sqrt(2.5))
    assert summary["p50"] == pytest.approx(3.0)
    assert summary["p95"] == pytest.approx(4.8)
    assert summary["p99"] == pytest.approx(4.96)
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert summary["ci95"] == pytest.approx([3.0 - half, 3.0 + half])
    assert half_width(summary) == pytest.approx(half)
    _assert_plain(summary)


def test_interval_matches_scipy_one_sample_t():
    """The CI equals scipy's one-sample t-test interval, an independent route."""
    values = np.random.default_rng(7).exponential(2.0, size=40)
    summary = summarize(values.tolist())
    ci = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    assert summary["ci95"] == pytest.approx([ci.low, ci.high], rel=1e-12)
    assert summary["p99"] == pytest.approx(np.percentile(values, 99))


def test_nan_is_dropped():
    """NaN means "unknown": it changes neither n nor any figure, and is counted."""
    with_nan = summarize([1.0, math.nan, 2.0, 3.0, math.nan])
    assert with_nan.pop("n_unknown") == 2
    plain = summarize([1.0, 2.0, 3.0])
    assert plain.pop("n_unknown") == 0
    assert with_nan == plain


def test_empty_is_all_nan():
    """No data (or only NaN): n is 0 and every figure NaN, still JSON-able."""
    for values in ([], [math.nan, math.nan]):
        summary = summarize(values)
        assert summary["n"] == 0
        assert all(math.isnan(summary[key]) for key in _NUMBERS)
        assert all(math.isnan(bound) for bound in summary["ci95"])
        assert math.isnan(half_width(summary))
        _assert_plain(summary)


def test_single_value_gives_point_interval():
    """n = 1: the interval is [mean, mean]; the sample std is undefined (NaN)."""
    summary = summarize([4.5])
    assert summary["n"] == 1
    assert summary["mean"] == summary["p50"] == summary["p99"] == 4.5
    assert summary["ci95"] == [4.5, 4.5]
    assert math.isnan(summary["std"])
    assert half_width(summary) == 0.0
    _assert_plain(summary)


def test_zero_variance_gives_point_interval():
    """Equal values: std 0 and [mean, mean], not scipy's NaN for a zero scale."""
    summary = summarize([0.1, 0.1, 0.1])
    assert summary["std"] == pytest.approx(0.0, abs=1e-15)
    assert summary["ci95"] == [summary["mean"], summary["mean"]]


def test_infinity_is_kept_and_reported():
    """An infinite RTO is not dropped: infinite mean, finite median, no crash."""
    summary = summarize([1.0, 2.0, 3.0, math.inf, math.nan])
    assert summary["n"] == 4
    assert summary["n_inf"] == 1
    assert summary["mean"] == math.inf
    assert math.isnan(summary["std"])
    assert summary["p50"] == pytest.approx(2.5)
    assert summary["p95"] == math.inf
    assert summary["ci95"] == [math.inf, math.inf]
    assert math.isnan(half_width(summary))
    _assert_plain(summary)


def test_infinity_at_the_bottom_and_both_signs():
    """-inf is kept too; interpolating between -inf and +inf is undefined (NaN)."""
    low = summarize([-math.inf, 1.0, 2.0])
    assert low["mean"] == -math.inf
    assert low["p50"] == 1.0
    both = summarize([-math.inf, math.inf])
    assert math.isnan(both["mean"])
    assert math.isnan(both["p50"])
    assert all(math.isnan(bound) for bound in both["ci95"])


def test_rejects_nested_values():
    """A 2-D input is a caller's mistake, not a sample."""
    with pytest.raises(ValueError):
        summarize([[1.0, 2.0], [3.0, 4.0]])


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=50))
def test_interval_brackets_mean_and_percentiles_are_ordered(values):
    """For finite data: lo <= mean <= hi and p50 <= p95 <= p99 within the range."""
    summary = summarize(values)
    lo, hi = summary["ci95"]
    mean = summary["mean"]
    tol = 1e-9 * max(1.0, abs(mean))
    assert lo - tol <= mean <= hi + tol
    assert min(values) <= summary["p50"] <= summary["p95"] <= summary["p99"] <= max(values)
    _assert_plain(summary)
