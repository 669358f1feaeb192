"""RPO: acknowledged writes the surviving database no longer holds.

A write is *acknowledged* when its client saw ``outcome == "ok"``. After the run
the final read lists the observed write ids present in the surviving log; an
acknowledged write absent from it is *lost* (Jepsen's set semantics). Writes
whose outcome is unknown are neither lost nor required: they may or may not
have committed.

Each lost write is charged to the fault that destroyed it: the first episode
starting at or after its acknowledgement. The episode's loss window ``rpo_s``
is the fault time minus the earliest such acknowledgement.

:func:`lost_writes_from_commits` counts losses a second, independent way, from
commit batches that fell outside the surviving log, to cross-check the client
history. Its observed count may exceed the history's: a batch can hold writes
whose client never saw the acknowledgement (outcome unknown or fail).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import NamedTuple

from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import ClientOp, Commit, FinalRead


class EpisodeLoss(NamedTuple):
    """Writes lost to one episode and its loss window (0.0 when none lost)."""

    lost_writes: int
    rpo_s: float


def is_acknowledged(op: ClientOp) -> bool:
    """True for a write its client saw succeed."""
    return op.kind == "write" and op.outcome == "ok"


def lost_writes(ops: Iterable[ClientOp], final: FinalRead) -> list[ClientOp]:
    """Acknowledged writes whose id is missing from the final read, in record order."""
    survived = final.write_ids
    return [op for op in ops if is_acknowledged(op) and op.value not in survived]


def attribute_losses(
    lost: Iterable[ClientOp], episodes: Sequence[Episode]
) -> tuple[list[EpisodeLoss], int]:
    """Charge each lost write to an episode; return per-episode losses and the unexplained count.

    A write goes to the first episode starting at or after its acknowledgement
    (``complete_s``); failing that, to the last episode starting before it (a
    fault still under way when the write was acknowledged). With no episode at
    all the loss is unexplained, which a correct model never produces.
    The result list is aligned with ``episodes``.
    """
    count = len(episodes)
    # A stable sort keeps list order among equal starts, so "first" and "last" are well defined.
    order = sorted(range(count), key=lambda i: episodes[i].start_s)
    starts = [episodes[i].start_s for i in order]
    lost_counts = [0] * count
    first_ack_s = [math.inf] * count
    unexplained = 0
    for op in lost:
        if not count:
            unexplained += 1
            continue
        position = bisect_left(starts, op.complete_s)
        index = order[position] if position < count else order[-1]
        lost_counts[index] += 1
        first_ack_s[index] = min(first_ack_s[index], op.complete_s)
    losses = [
        EpisodeLoss(n, max(0.0, episode.start_s - first) if n else 0.0)
        for episode, n, first in zip(episodes, lost_counts, first_ack_s, strict=True)
    ]
    return losses, unexplained


class _SurvivingLog:
    """Membership test for log positions in the final read's surviving ranges."""

    def __init__(self, ranges: Iterable[tuple[int, int, int]]) -> None:
        by_timeline: dict[int, list[tuple[int, int]]] = {}
        for timeline, lsn_from, lsn_to in ranges:
            by_timeline.setdefault(timeline, []).append((lsn_from, lsn_to))
        self._froms: dict[int, list[int]] = {}
        self._reach: dict[int, list[int]] = {}
        for timeline, spans in by_timeline.items():
            spans.sort()
            self._froms[timeline] = [lsn_from for lsn_from, _ in spans]
            # Running max of range ends: ranges may overlap or nest.
            self._reach[timeline] = list(accumulate((lsn_to for _, lsn_to in spans), max))

    def __contains__(self, position: tuple[int, int]) -> bool:
        timeline, lsn = position
        froms = self._froms.get(timeline)
        if froms is None:
            return False
        starting_before = bisect_right(froms, lsn)
        return starting_before > 0 and self._reach[timeline][starting_before - 1] >= lsn


def lost_writes_from_commits(commits: Iterable[Commit], final: FinalRead) -> tuple[int, int]:
    """``(observed, all)`` writes in commit batches outside the surviving log.

    A batch survives iff some surviving range on its timeline contains its
    ``lsn_to``. ``observed`` counts its client write ids, ``all`` its workload
    writes (background ones included).
    """
    surviving = _SurvivingLog(final.surviving_ranges)
    observed = total = 0
    for commit in commits:
        if (commit.timeline, commit.lsn_to) not in surviving:
            observed += sum(1 for w in commit.write_ids if w > 0)  # < 0: injected corruption
            total += commit.writes
    return observed, total
