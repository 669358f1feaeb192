"""Control-plane breakdown: where an episode's recovery time went."""

import math

from hadrsim.simulator.checkers import Breakdown, breakdown, breakdowns


def test_steps_are_gaps_between_first_events(event, episode):
    """Detection, decision, promotion and DNS are gaps between the first step events."""
    events = [
        event(13.0, "failure_detected"),
        event(14.0, "operator_paged"),
        event(15.0, "promotion_started"),
        event(15.5, "failure_detected"),
        event(35.0, "promotion_completed"),
        event(95.0, "endpoint_updated"),
    ]
    assert breakdown(events, episode(10.0, 200.0)) == Breakdown(3.0, 2.0, 20.0, 60.0)


def test_missing_steps_are_nan(event, episode):
    """A failover that never promoted leaves promotion and DNS unknown."""
    events = [event(13.0, "failure_detected"), event(15.0, "promotion_started")]
    result = breakdown(events, episode(10.0, 200.0))
    assert result[:2] == (3.0, 2.0)
    assert math.isnan(result.promotion_s)
    assert math.isnan(result.dns_s)


def test_events_are_confined_to_each_window(event, episode):
    """Each episode sees only events in [start_s, window_end_s)."""
    events = [
        event(5.0, "failure_detected"),
        event(12.0, "failure_detected"),
        event(20.0, "failure_detected"),
        event(21.0, "promotion_started"),
    ]
    first, second = breakdowns(events, [episode(10.0, 20.0), episode(20.0, 50.0)])
    assert first.detection_s == 2.0
    assert math.isnan(first.decision_s)
    assert (second.detection_s, second.decision_s) == (0.0, 1.0)


def test_no_events_all_nan(episode):
    """An episode without control events has an all-NaN breakdown."""
    assert all(math.isnan(v) for v in breakdown([], episode(10.0, 20.0)))
