"""Episodes: one per fault, each observed until the next fault starts."""

from hadrsim.simulator.checkers import episodes


def test_sorted_by_start_then_fault_id(fault):
    """Episodes come out in time order, ties broken by fault id."""
    eps = episodes([fault(3, 50.0), fault(2, 10.0), fault(1, 50.0)], horizon_s=100.0)
    assert [(e.fault_id, e.start_s) for e in eps] == [(2, 10.0), (1, 50.0), (3, 50.0)]


def test_window_ends_at_next_start_and_last_at_horizon(fault):
    """Each window closes when the next fault starts; the last one at the horizon."""
    eps = episodes([fault(1, 10.0), fault(2, 40.0)], horizon_s=100.0)
    assert [e.window_end_s for e in eps] == [40.0, 100.0]


def test_simultaneous_faults_share_window_to_next_distinct_start(fault):
    """Faults starting together both observe until the next later fault."""
    eps = episodes([fault(1, 10.0), fault(2, 10.0), fault(3, 30.0)], horizon_s=100.0)
    assert [e.window_end_s for e in eps] == [30.0, 30.0, 100.0]


def test_fault_fields_are_carried_over(fault):
    """Scope, class, end time and affected locations come from the fault record."""
    (ep,) = episodes([fault(7, 5.0, affected=("us-east-1", "use1-az1"), end_s=9.0)], 20.0)
    assert ep.fault_id == 7
    assert ep.disruption == "Region"
    assert ep.end_s == 9.0
    assert ep.affected_locations == ("us-east-1", "use1-az1")


def test_no_faults_no_episodes():
    """A run without faults has no episodes."""
    assert episodes([], horizon_s=100.0) == []
