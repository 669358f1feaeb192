"""Divergent keys: where a dataset's available replicas disagree at the end."""

from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import divergent_keys
from hadrsim.simulator.records import ReplicaState


def replica(node, values, dataset="db", available=True, role="replica"):
    return ReplicaState(node, dataset, role, available, tuple(values.items()))


def test_converged_replicas_do_not_diverge():
    """Replicas holding the same value for every key agree."""
    same = {0: 1, 1: None, 2: 7}
    assert divergent_keys([replica("a", same, role="primary"), replica("b", same)]) == 0


def test_disagreeing_keys_are_counted():
    """Each key with differing values counts once, however many replicas differ."""
    replicas = [
        replica("a", {0: 1, 1: 2, 2: 3}),
        replica("b", {0: 1, 1: 5, 2: None}),
        replica("c", {0: 1, 1: 6, 2: 3}),
    ]
    assert divergent_keys(replicas) == 2


def test_unavailable_replicas_are_ignored():
    """An unavailable replica answers no read; alone, a replica cannot diverge."""
    replicas = [replica("a", {0: 1}), replica("b", {0: 2}, available=False)]
    assert divergent_keys(replicas) == 0


def test_datasets_are_compared_separately_and_summed():
    """Replicas of different datasets are not compared with each other."""
    replicas = [
        replica("a", {0: 1}, dataset="east"),
        replica("b", {0: 2}, dataset="west"),
        replica("c", {0: 1, 1: 4}, dataset="x"),
        replica("d", {0: 2, 1: 4}, dataset="x"),
        replica("e", {0: 3, 1: 5}, dataset="y"),
        replica("f", {0: 3, 1: 6}, dataset="y"),
    ]
    assert divergent_keys(replicas) == 2


def test_a_missing_key_counts_as_empty():
    """A key one replica does not list is empty there."""
    assert divergent_keys([replica("a", {0: 1}), replica("b", {})]) == 1
    assert divergent_keys([replica("a", {0: None}), replica("b", {})]) == 0


states = st.dictionaries(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 3)))


@given(st.lists(states, min_size=1, max_size=4))
def test_property_bounded_by_keys_and_zero_for_copies(values):
    """Never more than the keys in play; identical copies of any state never diverge."""
    replicas = [replica(str(i), v) for i, v in enumerate(values)]
    keys = set().union(*values)
    assert 0 <= divergent_keys(replicas) <= len(keys)
    assert divergent_keys([replica("a", values[0]), replica("b", values[0])]) == 0
