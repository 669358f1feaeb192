"""The write-ahead log as timelines (PostgreSQL's idea), shared by all copies.

Every promotion starts a new *timeline* that branches from its parent at the
promoted node's last durable position. LSNs keep counting across timelines, so a
position is ``(timeline, lsn)`` and a node's whole log is the chain of its
timeline's ancestors up to their branch points. Copies are positions into this
one structure; nothing is copied when a batch is shipped.

A timeline stores only the observed writes (``write_id`` at ``lsn`` for ``key``);
background writes exist as LSN counts. Reading a key at a position walks the
lineage; that is what a replica returns to a client, and the final read after a
run lists which writes survive.
"""

from __future__ import annotations

from bisect import bisect_right

_LSN_BITS = 40


def version(tid: int, lsn: int) -> int:
    """The version clients see: later timelines always compare newer.

    LSNs restart from the branch point on a new timeline, so a write lost with
    an old branch can have a larger LSN than a later one; packing the timeline
    first keeps versions of one key increasing across failovers.
    """
    return (tid << _LSN_BITS) | lsn


class Timeline:
    """One branch of history, from ``branch_lsn + 1`` onwards."""

    __slots__ = ("tid", "parent", "branch_lsn", "lsns", "write_ids", "_by_key")

    def __init__(self, tid: int, parent: Timeline | None, branch_lsn: int):
        self.tid = tid
        self.parent = parent
        self.branch_lsn = branch_lsn
        self.lsns: list[int] = []
        self.write_ids: list[int] = []
        self._by_key: dict[int, tuple[list[int], list[int]]] = {}

    def append(self, lsn: int, write_id: int, key: int) -> None:
        self.lsns.append(lsn)
        self.write_ids.append(write_id)
        entry = self._by_key.get(key)
        if entry is None:
            entry = self._by_key[key] = ([], [])
        entry[0].append(lsn)
        entry[1].append(write_id)

    def lineage(self, tip: int) -> list[tuple[Timeline, int, int]]:
        """``(timeline, lsn_from, lsn_to)`` spans of the log ending at ``(self, tip)``."""
        spans = []
        timeline: Timeline | None = self
        limit = tip
        while timeline is not None:
            spans.append((timeline, timeline.branch_lsn + 1, limit))
            limit = min(limit, timeline.branch_lsn)
            timeline = timeline.parent
        spans.reverse()
        return spans

    def contains(self, tip: int, tid: int, lsn: int) -> bool:
        """Is position ``(tid, lsn)`` part of the log ending at ``(self, tip)``?"""
        timeline: Timeline | None = self
        limit = tip
        while timeline is not None:
            if timeline.tid == tid:
                return lsn <= limit
            limit = min(limit, timeline.branch_lsn)
            timeline = timeline.parent
        return False

    def read(self, tip: int, key: int) -> tuple[int | None, int | None]:
        """The newest observed write to ``key`` in the log ending at ``(self, tip)``:
        ``(write id, lsn)``, or ``(None, None)``."""
        entry = self._by_key.get(key)
        if entry is not None and entry[0][-1] <= tip:  # the commonest: a write at the tip
            return entry[1][-1], entry[0][-1]
        found = self._find(tip, key)
        return (None, None) if found is None else (found[0], found[1])

    def read_version(self, tip: int, key: int) -> tuple[int | None, int | None]:
        """Like :meth:`read`, with the client-visible :func:`version` of the write."""
        entry = self._by_key.get(key)
        if entry is not None and entry[0][-1] <= tip:
            return entry[1][-1], version(self.tid, entry[0][-1])
        found = self._find(tip, key)
        return (None, None) if found is None else (found[0], version(found[2], found[1]))

    def _find(self, tip: int, key: int) -> tuple[int, int, int] | None:
        timeline: Timeline | None = self
        limit = tip
        while timeline is not None:
            entry = timeline._by_key.get(key)
            if entry is not None:
                i = bisect_right(entry[0], limit)
                if i:
                    return entry[1][i - 1], entry[0][i - 1], timeline.tid
            limit = min(limit, timeline.branch_lsn)
            timeline = timeline.parent
        return None

    def write_ids_upto(self, tip: int) -> frozenset[int]:
        """Every observed write id in the log ending at ``(self, tip)``."""
        ids: set[int] = set()
        for timeline, _lo, hi in self.lineage(tip):
            ids.update(timeline.write_ids[: bisect_right(timeline.lsns, hi)])
        return frozenset(ids)

    def common_prefix(self, tip: int, other: Timeline, other_tip: int) -> tuple[Timeline, int]:
        """The longest log both ``(self, tip)`` and ``(other, other_tip)`` share.

        What ``pg_rewind`` computes when an old primary rejoins: everything after
        it is discarded from the rejoining copy.
        """
        mine = {t.tid: (t, hi) for t, _lo, hi in self.lineage(tip)}
        best: tuple[Timeline, int] | None = None
        for timeline, lo, hi in other.lineage(other_tip):
            if timeline.tid in mine:
                shared = min(hi, mine[timeline.tid][1])
                if shared >= lo - 1:
                    best = (timeline, shared)
        if best is None:  # pragma: no cover - every log shares the root timeline
            raise ValueError("logs share no timeline")
        return best


class Log:
    """Creates timelines; the registry of one dataset's history."""

    def __init__(self) -> None:
        self.root = Timeline(1, None, 0)
        self._count = 1

    def branch(self, parent: Timeline, at_lsn: int) -> Timeline:
        self._count += 1
        return Timeline(self._count, parent, at_lsn)
