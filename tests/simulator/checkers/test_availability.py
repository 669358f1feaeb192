"""Availability: the share of the horizon outside client-seen outages."""

import math

from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import (
    Episode,
    availability,
    nines,
    observed_success_ratio,
    success_ratio,
)


def test_no_episodes_is_fully_available():
    """Without faults nothing is down."""
    assert availability([], [], horizon_s=100.0) == 1.0


def test_single_outage_counts_its_rto(episode):
    """An outage of 10 s in 100 s leaves 90% availability."""
    assert availability([episode(20.0, 100.0)], [10.0], horizon_s=100.0) == 0.9


def test_overlapping_outages_count_once(episode):
    """Outages [10, 30] and [20, 40] cover 30 s, not 40 s."""
    eps = [episode(10.0, 20.0), episode(20.0, 100.0)]
    assert availability(eps, [20.0, 20.0], horizon_s=100.0) == 0.7


def test_outage_is_clipped_to_horizon(episode):
    """Downtime past the horizon is not counted."""
    assert availability([episode(90.0, 100.0)], [50.0], horizon_s=100.0) == 0.9


def test_outage_outside_horizon_adds_no_downtime(episode):
    """A fault starting after the horizon does not count (nor can it be negative)."""
    assert availability([episode(150.0, 200.0)], [10.0], horizon_s=100.0) == 1.0


def test_unknown_rto_makes_availability_unknown(episode):
    """An episode no surviving client observed (RTO NaN) leaves availability unknown.

    Regression (issue 11, item 5): it used to add no downtime, so a single-Region
    design under a Region outage, all clients dead with it, read 100%.
    """
    eps = [episode(10.0, 50.0), episode(50.0, 100.0)]
    assert math.isnan(availability(eps, [math.nan, 10.0], horizon_s=100.0))


def test_observed_success_ratio_is_unknown_when_an_episode_went_unobserved(write):
    """The success ratio of an unobserved run is NaN, not the dead clients' share."""
    ops = [write(1.0), write(2.0)]
    assert math.isnan(observed_success_ratio(ops, "write", [math.nan]))
    assert observed_success_ratio(ops, "write", [3.0]) == 1.0


def test_success_ratio_counts_ok_of_one_kind(write, read):
    """Only ops of the asked kind count, ok over all outcomes."""
    ops = [write(1.0), write(2.0, outcome="fail"), write(3.0, outcome="unknown"), read(4.0)]
    assert success_ratio(ops, "write") == 1 / 3
    assert success_ratio(ops, "read") == 1.0


def test_success_ratio_without_ops_is_nan(read):
    """No ops of that kind gives NaN, not a perfect score."""
    assert math.isnan(success_ratio([read(1.0)], "write"))


def test_nines():
    """0.999 is three nines, 0.9 one, perfect availability infinitely many."""
    assert math.isclose(nines(0.999), 3.0)
    assert math.isclose(nines(0.9), 1.0)
    assert nines(0.0) == 0.0
    assert nines(1.0) == math.inf
    assert math.isnan(nines(math.nan))


@given(
    st.lists(
        st.tuples(st.floats(-50, 200), st.one_of(st.floats(0, 300), st.just(math.nan))),
        max_size=8,
    ),
    st.floats(1e-3, 200),
)
def test_property_availability_within_unit_interval(outages, horizon_s):
    """Availability is within [0, 1], or NaN exactly when an episode went unobserved."""
    eps = [Episode(0, "k", "s", "AZ", start, None, start + 1.0, ()) for start, _ in outages]
    rtos = [rto for _, rto in outages]
    value = availability(eps, rtos, horizon_s)
    if any(math.isnan(rto) for rto in rtos):
        assert math.isnan(value)
    else:
        assert 0.0 <= value <= 1.0
