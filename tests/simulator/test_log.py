"""The log as timelines: positions, lineage across branches, reads, pg_rewind's prefix."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.log import Log, Timeline, version


def history() -> tuple[Log, Timeline, Timeline]:
    """Root timeline with writes at LSNs 2, 4, 5, 7; timeline 2 branches at LSN 4.

    Timeline 1 (the old primary) goes on to LSN 7 after the branch point; timeline 2
    (the promoted standby) writes LSNs 5 and 6 of its own.
    """
    log = Log()
    root = log.root
    root.append(2, 102, key=1)
    root.append(4, 104, key=2)
    root.append(5, 105, key=1)  # only on the old primary: lost at failover
    root.append(7, 107, key=3)
    branch = log.branch(root, 4)
    branch.append(5, 205, key=1)
    branch.append(6, 206, key=2)
    return log, root, branch


def test_timelines_are_numbered_from_one():
    """The root is timeline 1; each branch takes the next number."""
    log, root, branch = history()
    assert (root.tid, branch.tid) == (1, 2)
    assert branch.parent is root and branch.branch_lsn == 4
    assert log.branch(branch, 6).tid == 3


def test_lineage_lists_spans_from_the_root():
    """A position's log is its ancestors up to their branch points, then its own span."""
    _, root, branch = history()
    assert [(t.tid, lo, hi) for t, lo, hi in branch.lineage(6)] == [(1, 1, 4), (2, 5, 6)]
    assert [(t.tid, lo, hi) for t, lo, hi in root.lineage(7)] == [(1, 1, 7)]


def test_lineage_of_a_tip_before_the_branch_point_clips_the_parent():
    """A tip below the branch point keeps only that much of the parent."""
    log, root, _ = history()
    late = log.branch(root, 6)
    assert [(t.tid, lo, hi) for t, lo, hi in late.lineage(5)] == [(1, 1, 5), (3, 7, 5)]


def test_contains_follows_the_lineage():
    """Positions on an ancestor up to the branch point belong to the log; later ones not."""
    _, root, branch = history()
    assert branch.contains(6, 1, 4)
    assert branch.contains(6, 1, 1)
    assert not branch.contains(6, 1, 5)  # after the branch point: the old primary's tail
    assert branch.contains(6, 2, 5)
    assert not branch.contains(5, 2, 6)  # beyond the tip
    assert not root.contains(7, 2, 5)  # a descendant is not part of its parent
    assert root.contains(7, 1, 0)  # positions, not writes: the empty log prefixes every log


def test_read_returns_the_newest_write_to_a_key_on_the_lineage():
    """Reading walks back through ancestors and stops at the branch point."""
    _, root, branch = history()
    assert root.read(7, 1) == (105, 5)
    assert root.read(4, 1) == (102, 2)
    assert branch.read(6, 1) == (205, 5)
    assert branch.read(4, 1) == (102, 2)  # tip at the branch point: only the parent's
    assert branch.read(6, 3) == (None, None)  # LSN 7 of timeline 1 is not in this log
    assert root.read(1, 1) == (None, None)


def test_write_ids_upto_collects_observed_writes_across_branches():
    """The surviving writes of a position: ancestors up to the branch, then its own."""
    _, root, branch = history()
    assert branch.write_ids_upto(6) == {102, 104, 205, 206}
    assert branch.write_ids_upto(5) == {102, 104, 205}
    assert root.write_ids_upto(7) == {102, 104, 105, 107}
    assert root.write_ids_upto(3) == {102}


def test_common_prefix_of_a_diverged_old_primary_is_the_branch_point():
    """pg_rewind: the old primary keeps the log up to where the new timeline branched."""
    _, root, branch = history()
    timeline, lsn = root.common_prefix(7, branch, 6)
    assert (timeline.tid, lsn) == (1, 4)
    timeline, lsn = branch.common_prefix(6, root, 7)
    assert (timeline.tid, lsn) == (1, 4)


def test_common_prefix_of_a_copy_behind_the_branch_point_is_its_own_tip():
    """A copy that never got past the branch point has nothing to discard."""
    _, root, branch = history()
    timeline, lsn = root.common_prefix(3, branch, 6)
    assert (timeline.tid, lsn) == (1, 3)


def test_common_prefix_on_the_same_timeline_is_the_shorter_tip():
    """Two positions on one timeline share the shorter one."""
    _, root, _ = history()
    timeline, lsn = root.common_prefix(7, root, 5)
    assert (timeline.tid, lsn) == (1, 5)


def test_common_prefix_of_siblings_is_their_shared_ancestor():
    """Two branches of one parent share the parent up to the earlier branch point."""
    log, root, branch = history()
    sibling = log.branch(root, 7)
    sibling.append(8, 308, key=9)
    timeline, lsn = sibling.common_prefix(8, branch, 6)
    assert (timeline.tid, lsn) == (1, 4)


def test_common_prefix_with_a_descendant_is_the_position_itself():
    """A position that is part of the other log is the whole shared prefix."""
    log, _, branch = history()
    grandchild = log.branch(branch, 6)
    grandchild.append(7, 307, key=1)
    timeline, lsn = branch.common_prefix(6, grandchild, 7)
    assert (timeline.tid, lsn) == (2, 6)
    assert grandchild.contains(7, timeline.tid, lsn)


def test_a_position_at_its_timelines_branch_point_is_contained():
    """(timeline 2, LSN 4), the tip of a promotion at LSN 4, is part of its own log and later."""
    log, _, _ = history()
    fresh = log.branch(log.root, 4)  # a promotion at LSN 4, no write yet
    assert fresh.contains(4, fresh.tid, 4)
    later = log.branch(fresh, 4)  # another promotion before any write
    assert later.contains(4, fresh.tid, 4)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), max_size=30),
       st.integers(0, 40), st.integers(0, 3))
def test_read_of_a_tip_write_is_the_lineage_walk(writes, branch_at, key):
    """A read answers the key's last write on its own timeline directly when that write
    is at or before the tip (a group's append, a read at the primary); every answer is
    the lineage walk's."""
    log = Log()
    root, lsn = log.root, 0
    for k, step in writes[: len(writes) // 2]:
        lsn += step
        root.append(lsn, 1000 + lsn, key=k)
    branch = log.branch(root, min(branch_at, lsn))
    for k, step in writes[len(writes) // 2:]:
        lsn += step
        branch.append(lsn, 2000 + lsn, key=k)
    for timeline in (root, branch):
        for tip in range(lsn + 2):
            found = timeline._find(tip, key)
            assert timeline.read(tip, key) == (
                (None, None) if found is None else (found[0], found[1]))
            assert timeline.read_version(tip, key) == (
                (None, None) if found is None else (found[0], version(found[2], found[1])))
