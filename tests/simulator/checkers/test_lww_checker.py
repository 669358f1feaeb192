"""Last-writer-wins conflicts and lost updates, read from each write's ``prev``."""

from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import (
    final_values_by_version,
    lost_updates,
    lww_conflict_pairs,
    lww_conflicts,
)
from hadrsim.simulator.records import ClientOp

EAST = "us-east-1"
WEST = "us-west-2"


def test_single_writer_chain_has_no_conflict_or_loss(write):
    """Each write replacing the previous one: nothing concurrent, nothing lost."""
    ops = [
        write(1.0, value=1, version=1, prev=None),
        write(2.0, value=2, version=2, prev=1),
        write(3.0, value=3, version=3, prev=2),
    ]
    assert lww_conflicts(ops) == 0
    assert lost_updates(ops) == 0


def test_concurrent_cross_region_writes_conflict_and_one_is_lost(write):
    """Two regions replace the same value; the lower version is silently overwritten."""
    ops = [
        write(1.0, value=1, version=1, region=EAST, client="e"),
        write(2.0, value=2, version=20, prev=1, region=EAST, client="e"),
        write(2.0, value=3, version=21, prev=1, region=WEST, client="w"),
    ]
    assert lww_conflicts(ops) == 1
    assert lost_updates(ops) == 1  # write 2: nobody replaced it knowingly, 3 won


def test_same_region_pairs_are_not_conflicts(write):
    """Writes from one region sharing a prev are not cross-region conflicts."""
    ops = [
        write(1.0, value=1, version=1, prev=None, client="a"),
        write(1.0, value=2, version=2, prev=None, client="b"),
        write(1.0, value=3, version=3, prev=None, region=EAST),
    ]
    # Pairs (1,3) and (2,3) cross regions; (1,2) does not.
    assert lww_conflicts(ops) == 2


def test_conflict_pairs_are_the_pairs_counted_as_rows(write):
    """The pairs lww_conflicts counts, each in acknowledgement order, first pair first."""
    ops = [
        write(1.0, value=1, version=1, prev=None, client="a"),
        write(1.0, 1.2, value=2, version=2, prev=None, client="b"),
        write(1.0, 1.1, value=3, version=3, prev=None, region=EAST),
        write(5.0, 5.2, value=4, version=4, prev=9, key=1),
        write(5.0, 5.1, value=5, version=5, prev=9, key=1, region=EAST, outcome="unknown"),
    ]
    pairs = lww_conflict_pairs(ops)
    assert [(a.value, b.value) for a, b in pairs] == [(1, 3), (3, 2)]
    assert len(pairs) == lww_conflicts(ops)
    assert lww_conflict_pairs([]) == []


def test_conflicts_need_acknowledged_writes_of_one_key(write):
    """Unacknowledged writes and other keys do not conflict."""
    ops = [
        write(1.0, value=1, version=1, prev=None),
        write(1.0, value=2, version=2, prev=None, region=EAST, outcome="unknown"),
        write(1.0, value=3, version=3, prev=None, region=EAST, key=1),
    ]
    assert lww_conflicts(ops) == 0


def test_final_values_decide_the_survivor(write):
    """With explicit final values, the surviving write is not lost; others are."""
    ops = [
        write(1.0, value=2, version=20, prev=None, region=EAST),
        write(1.0, value=3, version=21, prev=None, region=WEST),
    ]
    assert lost_updates(ops) == 1
    assert lost_updates(ops, final_values={0: 2}) == 1
    # A key the final state does not hold: every unreplaced write is lost.
    assert lost_updates(ops, final_values={}) == 2


def test_final_values_by_version_picks_greatest_version(write):
    """The default final value per key is the acknowledged write with the greatest version."""
    ops = [
        write(1.0, value=1, version=30),
        write(2.0, value=2, version=20),
        write(3.0, value=3, version=99, outcome="unknown"),
        write(1.0, value=4, version=5, key=1),
    ]
    assert final_values_by_version(ops) == {0: 1, 1: 4}


@st.composite
def multi_region_histories(draw):
    """Writes applied at one of two regions, each replacing that region's current value."""
    current = {EAST: None, WEST: None}
    ops = []
    for i in range(draw(st.integers(0, 20))):
        region = draw(st.sampled_from([EAST, WEST]))
        ops.append(
            ClientOp(
                "c",
                region,
                "write",
                0,
                i,
                i,
                float(i),
                float(i) + 0.5,
                "ok",
                None,
                None,
                current[region],
            )
        )
        current[region] = i
        if draw(st.booleans()):  # replication catches the other region up
            other = WEST if region == EAST else EAST
            current[other] = i
    return ops


@given(multi_region_histories())
def test_property_losses_bounded_by_writes_and_zero_when_sequential(ops):
    """Lost updates never exceed the writes; one region alone loses nothing."""
    assert 0 <= lost_updates(ops) <= max(0, len(ops) - 1)
    one_region = [op for op in ops if op.client_region == EAST]
    chained = [
        op._replace(prev=None if i == 0 else one_region[i - 1].value)
        for i, op in enumerate(one_region)
    ]
    assert lost_updates(chained) == 0
    assert lww_conflicts(chained) == 0


@given(multi_region_histories())
def test_property_every_unseen_write_but_the_last_is_lost(ops):
    """With LWW by version, the writes nobody replaced knowingly are lost, bar the winner."""
    replaced = {op.prev for op in ops}
    unseen = [op for op in ops if op.value not in replaced]
    assert lost_updates(ops) == max(0, len(unseen) - 1)
