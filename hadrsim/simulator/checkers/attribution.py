"""Which fault lost a write: the episode in whose window the data branched away from it.

A lost write is charged to one episode, and the RPO and RTO checkers both use
that one answer (a write lost in a later episode is never charged to an earlier
one, nor does it make the earlier episode look unrecovered).

1. *Branch rule* (when the records show it). A lost commit batch at position
   ``(timeline, lsn)`` beyond the end of its timeline's surviving range was cut
   off when the surviving log moved on to the timeline that succeeded it: the
   surviving range that starts right after (``lsn_from == end + 1``, LSNs keep
   counting across timelines). That timeline's first record (its promotion to
   ``primary`` in the role log, else its first commit) is the moment the
   surviving data branched away from the write; the write goes to the episode
   whose window holds that moment. A write acknowledged by a zombie primary
   after the promotion is charged the same way: its timeline was already left.
2. *Acknowledgement rule* (fallback, when no branch is recorded: last-writer-wins
   losers, batches on a timeline the surviving log never held, histories
   without commit records). By the write's acknowledgement time ``a``: the
   latest episode whose fault was under way at ``a`` (a fault with an end,
   ``start_s <= a < end_s``: a partition's LWW losers, a zombie's writes during
   an outage); else the first episode starting at or after ``a`` (the fault
   struck before the write reached the copy that survived); else the last
   episode starting before ``a`` if its fault is permanent (still under way).
   A write acknowledged after the last fault ended is charged to none: the
   loss is *unexplained* (a multi-active table's last-writer-wins losers in
   normal operation, or a model defect), counted in the run's lost writes but
   in no episode's window.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

import numpy as np

from hadrsim.simulator.checkers._table import as_commits
from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import Commit, FinalRead, RoleChange


class Branches:
    """The surviving log's timelines, where each began, and what succeeded what."""

    def __init__(
        self, final: FinalRead, commits: Iterable[Commit], roles: Iterable[RoleChange]
    ) -> None:
        self._end: dict[int, int] = {}
        starts: dict[int, list[int]] = {}
        for timeline, lsn_from, lsn_to in final.surviving_ranges:
            self._end[timeline] = max(self._end.get(timeline, lsn_to), lsn_to)
            starts.setdefault(lsn_from, []).append(timeline)
        self._starts = starts
        first: dict[int, float] = {}
        for change in roles:
            if change.role == "primary" and change.timeline in self._end:
                first[change.timeline] = min(first.get(change.timeline, math.inf), change.time_s)
        batches = as_commits(commits)
        first_commit: dict[int, float] = {}
        for timeline in self._end:
            on_it = batches.time_s[batches.timeline == timeline]
            if len(on_it):
                first_commit[timeline] = float(on_it.min())
        self._began = {tid: first.get(tid, first_commit.get(tid, math.nan)) for tid in self._end}

    def past_end(self, timeline: int, lsn: int) -> bool:
        """Is ``(timeline, lsn)`` beyond everything the surviving log holds of its timeline?"""
        end = self._end.get(timeline)
        return end is None or lsn > end

    def past_end_many(self, timelines: np.ndarray, lsns: np.ndarray) -> np.ndarray:
        """:meth:`past_end` of each ``(timeline, lsn)`` pair of the two columns."""
        past = np.ones(len(lsns), bool)
        for timeline, end in self._end.items():
            on_it = timelines == timeline
            past[on_it] = lsns[on_it] > end
        return past

    def cut_off_s(self, timeline: int, lsn: int) -> float:
        """When the surviving log left position ``(timeline, lsn)`` behind; NaN if unknowable.

        Only a position past its timeline's surviving end, followed by a
        surviving timeline starting right after that end, has a recorded branch.
        """
        end = self._end.get(timeline)
        if end is None or lsn <= end:
            return math.nan
        successors = [t for t in self._starts.get(end + 1, ()) if t != timeline]
        times = [self._began[t] for t in successors if not math.isnan(self._began[t])]
        return min(times) if times else math.nan

    def branch_times(self) -> list[float]:
        """When each surviving timeline that succeeded another surviving one began."""
        ends = set(self._end.items())
        return [
            self._began[t]
            for lsn_from, timelines in self._starts.items()
            for t in timelines
            if any(end == lsn_from - 1 and p != t for p, end in ends)
            and not math.isnan(self._began[t])
        ]


class Charger:
    """Maps a lost write to the index of the episode charged with it (None: unexplained)."""

    def __init__(self, episodes: Sequence[Episode]) -> None:
        # A stable sort keeps list order among equal starts, so "first" and "last" are defined.
        self._order = sorted(range(len(episodes)), key=lambda i: episodes[i].start_s)
        self._starts = [episodes[i].start_s for i in self._order]
        self._episodes = episodes

    def by_branch(self, cut_off_s: float) -> int | None:
        """The episode whose window holds ``cut_off_s`` (None before the first one or NaN)."""
        if math.isnan(cut_off_s):
            return None
        position = bisect_right(self._starts, cut_off_s) - 1
        if position < 0:
            return None
        # Among faults starting together (one shared window), the first listed is charged.
        position = bisect_left(self._starts, self._starts[position])
        return self._order[position]

    def by_ack(self, ack_s: float) -> int | None:
        """The acknowledgement rule of the module docstring."""
        if not self._order:
            return None
        under_way = [
            i for i in self._order
            if (end := self._episodes[i].end_s) is not None
            and self._episodes[i].start_s <= ack_s < end
        ]
        if under_way:
            return under_way[-1]
        position = bisect_left(self._starts, ack_s)
        if position < len(self._order):
            return self._order[position]
        last = self._order[-1]
        return last if self._episodes[last].end_s is None else None

    def charge(self, cut_off_s: float, ack_s: float) -> int | None:
        """Branch rule first, acknowledgement rule when no branch is recorded."""
        index = self.by_branch(cut_off_s)
        return self.by_ack(ack_s) if index is None else index

    def charge_many(self, cut_offs: list[float], acks: list[float]) -> list[int | None]:
        """:meth:`charge` of each pair; the branch rule asked once per distinct cut-off."""
        by_branch: dict[float, int | None] = {}
        charged = []
        for cut_off_s, ack_s in zip(cut_offs, acks, strict=True):
            if math.isnan(cut_off_s):
                index = None
            elif (index := by_branch.get(cut_off_s, -1)) == -1:
                index = by_branch[cut_off_s] = self.by_branch(cut_off_s)
            charged.append(self.by_ack(ack_s) if index is None else index)
        return charged
