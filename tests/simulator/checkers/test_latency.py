"""Latency percentiles over successful client operations."""

import math

import pytest

from hadrsim.simulator.checkers import latency_percentiles_ms


def test_percentiles_use_linear_interpolation(write):
    """Latencies 10..100 ms give numpy's linear percentiles, keyed p50/p99/p99.9."""
    ops = [write(float(i), i + (i + 1) / 100.0) for i in range(10)]
    result = latency_percentiles_ms(ops, "write")
    assert list(result) == ["p50", "p99", "p99.9"]
    assert result["p50"] == pytest.approx(55.0)
    assert result["p99"] == pytest.approx(99.1)
    assert result["p99.9"] == pytest.approx(99.91)


def test_only_ok_ops_of_the_kind_count(write, read):
    """Timeouts and other kinds do not enter the latency distribution."""
    ops = [write(0.0, 0.02), write(1.0, 31.0, "unknown"), write(2.0, 2.5, "fail"), read(3.0, 9.0)]
    result = latency_percentiles_ms(ops, "write", qs=(50,))
    assert result == {"p50": pytest.approx(20.0)}


def test_no_ok_op_gives_nan(write):
    """Without a successful op every percentile is NaN."""
    result = latency_percentiles_ms([write(0.0, outcome="fail")], "write")
    assert set(result) == {"p50", "p99", "p99.9"}
    assert all(math.isnan(v) for v in result.values())
