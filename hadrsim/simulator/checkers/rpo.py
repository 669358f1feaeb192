"""RPO: acknowledged writes the surviving database no longer holds, and the loss window.

*Lost writes.* A write is *acknowledged* when its client saw ``outcome == "ok"``.
The final read lists the observed write ids the surviving data holds, after
conflict resolution (a write that last-writer-wins discarded is not there); an
acknowledged write absent from it is *lost* (Jepsen's set semantics), whenever
it was acknowledged: before the fault, by a zombie primary or a wrongly
promoted replica after it, or between a corruption and its restore point.
Writes whose outcome is unknown are neither lost nor required: they may or may
not have committed.

*Loss window* (DESIGN.md "Metrics", the definition policies are judged on):
the episode's recovery point is the commit time of the newest acknowledged
write that survived and is older than the earliest lost one; rpo_s = ack time
of the LATEST lost acknowledged write − the recovery point (0 when nothing is
lost).

So an asynchronous failover reads about the replica lag, a point-in-time restore
after a corruption the span from the restore target to the last lost write,
last-writer-wins losers scattered over a 10-minute partition about 10 minutes,
and writes a zombie (or wrongly promoted) primary acknowledged after the fault
widen the window up to the last of them.

"Acknowledged writes" are read from the commit records as well as from the
sparse observed writes, so a loss shorter than the gap between two observed
writes keeps its true width: a :class:`Commit` is a batch the database
acknowledged, and its ``time_s`` is the ack time used here (an observed write
with no commit record uses its client's ``complete_s``). A batch counts when
someone was acknowledged for a write in it: it holds background workload
writes, or an observed write whose client saw "ok" (a batch holding only a
timed-out write or an injected corruption does not). It is *lost* when the
surviving log does not hold it (its ``lsn_to`` lies outside the final read's
``surviving_ranges``) or when an acknowledged observed write in it is missing
from the final read (a last-writer-wins loser); otherwise it *survived*. With
no surviving acknowledged write older than the earliest lost one, the
recovery point is 0 s, the empty database at the start of the run.

Each lost write is charged to one episode (:mod:`.attribution`); the RTO
checker uses the same charge for its notion of a useful write.

*Unknown losses.* An episode that recovered (``recovered_write``) has known
losses. A censored episode's losses are known only when the data it keeps was
settled after it began: the final read is available and a surviving timeline
branched off (a promotion or a restore) at or after the fault, in its window or a
later one. Otherwise the recovery that would decide what survives had not happened
(a Region still down, a corruption not yet restored or never restorable), so
its ``lost_writes`` and ``rpo_s`` are NaN, never 0 as if known.

:func:`lost_writes_from_commits` counts losses a second, independent way, from
commit batches that fell outside the surviving log, to cross-check the client
history. Its observed count may exceed the history's: a batch can hold writes
whose client never saw the acknowledgement (outcome unknown or fail).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate, compress
from typing import NamedTuple

import numpy as np

from hadrsim.simulator.checkers._table import CommitTable, as_commits, as_table
from hadrsim.simulator.checkers.attribution import Branches, Charger
from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import ClientOp, Commit, FinalRead, RoleChange
from hadrsim.simulator.vocabulary import OpKind, Outcome, is_corrupt


class EpisodeLoss(NamedTuple):
    """Observed acknowledged writes lost to one episode and its loss window.

    Both are 0 when nothing was lost, NaN when the losses are unknowable.
    """

    lost_writes: float
    rpo_s: float


UNKNOWN_LOSS = EpisodeLoss(math.nan, math.nan)


class Losses(NamedTuple):
    """Per-episode losses (aligned with the episodes) and how they were charged.

    ``charged_s`` maps each lost observed write id to the start of the episode
    charged with it (``inf`` when unexplained: no episode's RTO is judged by
    it, as no fault lost it); ``branch_times`` lists when
    each surviving timeline that succeeded another one began.
    """

    episodes: list[EpisodeLoss]
    unexplained: int
    charged_s: dict[int, float]
    branch_times: list[float]
    overwritten: frozenset[int] = frozenset()

    def unavailable_s(self) -> dict[int, float]:
        """``charged_s`` of the writes the service lost *because it was unavailable*.

        For the RTO: a write whose copy was cut off (a zombie, a corrupt copy
        replaced by a restore, an asynchronous tail) did the client no good. A
        write last-writer-wins discarded (``overwritten``: its batch lies inside
        its timeline's surviving ranges) was taken by a live table and lost a
        conflict: data loss for RPO, not downtime.
        """
        return {w: s for w, s in self.charged_s.items() if w not in self.overwritten}


def is_acknowledged(op: ClientOp) -> bool:
    """True for a write its client saw succeed."""
    return op.kind == OpKind.WRITE and op.outcome == Outcome.OK


def lost_writes(ops: Iterable[ClientOp], final: FinalRead) -> list[ClientOp]:
    """Acknowledged writes whose id is missing from the final read, in record order."""
    table = as_table(ops)
    survived = final.write_ids
    values = table.field("value", table.acked)  # rows are made for the lost ones only
    gone = np.fromiter((v not in survived for v in values), bool, len(values))
    if not gone.any():
        return []
    mask = table.acked.copy()
    mask[mask] = gone
    return table.pick(table.ops, mask)


class _Tally:
    """Lost items per episode and surviving ack times, turned into :class:`EpisodeLoss`."""

    def __init__(self, episodes: Sequence[Episode]) -> None:
        self.episodes = episodes
        self.charger = Charger(episodes)
        self.lost_acks: list[list[float]] = [[] for _ in episodes]
        self.counts = [0] * len(episodes)
        self.survived: list[float] = []
        self.charged_s: dict[int, float] = {}
        self.unexplained = 0

    def lost(self, ack_s: float, cut_off_s: float, write_ids: Iterable[int]) -> None:
        self.add(self.charger.charge(cut_off_s, ack_s), ack_s, list(write_ids))

    def add(self, index: int | None, ack_s: float, ids: list[int]) -> None:
        """Lost ``ids`` acknowledged at ``ack_s``, charged to episode ``index``."""
        if index is None:
            self.unexplained += len(ids)
            self.charged_s.update(dict.fromkeys(ids, math.inf))
            return
        self.lost_acks[index].append(ack_s)
        self.counts[index] += len(ids)
        self.charged_s.update(dict.fromkeys(ids, self.episodes[index].start_s))

    def result(self) -> list[EpisodeLoss]:
        survived = sorted(self.survived)
        losses = []
        for acks, count in zip(self.lost_acks, self.counts, strict=True):
            if not acks:
                losses.append(EpisodeLoss(0, 0.0))
                continue
            earliest = min(acks)
            older = bisect_left(survived, earliest)
            recovery_point = survived[older - 1] if older else 0.0
            losses.append(EpisodeLoss(count, max(0.0, max(acks) - recovery_point)))
        return losses


def episode_losses(
    ops: Iterable[ClientOp],
    episodes: Sequence[Episode],
    final: FinalRead,
    commits: Iterable[Commit] = (),
    roles: Iterable[RoleChange] = (),
) -> Losses:
    """Charge every lost acknowledged write to an episode and measure each loss window."""
    table = as_table(ops)
    acked_mask = table.acked & table.has_value
    # write id -> when its client saw the ack (the last such op of an id, as rows would)
    acked = dict(zip(table.field("value", acked_mask), table.complete[acked_mask].tolist(),
                     strict=True))
    lost_ids = {value for value in acked if value not in final.write_ids}
    batches = as_commits(commits)
    branches = Branches(final, batches, roles)
    tally = _Tally(episodes)
    n = batches.n
    observed = np.fromiter(map(acked.__contains__, batches.ids), bool, len(batches.ids))
    gone = np.fromiter(map(lost_ids.__contains__, batches.ids), bool, len(batches.ids))
    recorded = set(compress(batches.ids, observed.tolist()))
    n_gone = np.bincount(batches.batch[gone], minlength=n)
    # A batch counts when someone was acknowledged for a write in it.
    counted = ((np.bincount(batches.batch[observed], minlength=n) > 0)
               | (batches.writes > batches.sizes))
    held = _SurvivingLog(final.surviving_ranges).holds(batches.timeline, batches.lsn_to)
    whole = held & (n_gone == 0)  # most batches survived whole
    tally.survived.extend(batches.time_s[counted & whole].tolist())
    overwritten = _charge_lost_batches(
        tally, batches, np.flatnonzero(counted & ~whole), held, branches, lost_ids, n_gone)
    for value, complete_s in acked.items():
        if value in recorded:
            continue
        if value in lost_ids:
            tally.lost(complete_s, math.nan, [value])
        else:
            tally.survived.append(complete_s)
    return Losses(tally.result(), tally.unexplained, tally.charged_s, branches.branch_times(),
                  frozenset(overwritten))


def _charge_lost_batches(
    tally: _Tally, batches: CommitTable, rows: np.ndarray, held: np.ndarray,
    branches: Branches, lost_ids: set[int], n_gone: np.ndarray,
) -> set[int]:
    """Charge the lost batches ``rows`` (in record order); returns the overwritten ids.

    A batch still inside its timeline's surviving ranges lost a conflict; one past
    them was cut off when the log branched, at a time that depends on its timeline
    only, so it is asked once per timeline.
    """
    timeline, lsn = batches.timeline[rows], batches.lsn_to[rows]
    in_log = held[rows] | ~branches.past_end_many(timeline, lsn)
    cut_off_s = np.full(len(rows), math.nan)
    for t in np.unique(timeline[~in_log]).tolist():
        on_t = ~in_log & (timeline == t)
        cut_off_s[on_t] = branches.cut_off_s(t, int(lsn[on_t][0]))
    overwritten: set[int] = set()
    charged = tally.charger.charge_many(cut_off_s.tolist(), batches.time_s[rows].tolist())
    for i, keep, index in zip(rows.tolist(), in_log.tolist(), charged, strict=True):
        ids = [w for w in batches.write_ids[i] if w in lost_ids] if n_gone[i] else []
        if keep:
            overwritten.update(ids)
        tally.add(index, batches.commits[i].time_s, ids)
    return overwritten


def losses_known(
    episode: Episode, recovered: bool, final: FinalRead, branch_times: Iterable[float]
) -> bool:
    """Whether an episode's losses are knowable (module docstring, "Unknown losses")."""
    if recovered:
        return True
    # a branch after the window (a later episode's promotion or restore) settles the data
    # this episode left behind just as well: what it lost is then in the final read
    return final.available and any(episode.start_s <= t for t in branch_times)


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

    def holds(self, timelines: np.ndarray, lsns: np.ndarray) -> np.ndarray:
        """``(timeline, lsn) in self`` for each pair of the two columns."""
        held = np.zeros(len(lsns), bool)
        for timeline, froms in self._froms.items():
            rows = np.flatnonzero(timelines == timeline)
            if not len(rows):
                continue
            lsn = lsns[rows]
            starting_before = np.searchsorted(np.array(froms), lsn, side="right")
            reach = np.array(self._reach[timeline])[np.maximum(starting_before - 1, 0)]
            held[rows] = (starting_before > 0) & (reach >= lsn)
        return held

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
    batches = as_commits(commits)
    lost = ~_SurvivingLog(final.surviving_ranges).holds(batches.timeline, batches.lsn_to)
    ids = batches.ids_of(lost)
    return len(ids) - sum(map(is_corrupt, ids)), int(batches.writes[lost].sum())


def discarded_writes(commits: Iterable[Commit], final: FinalRead) -> frozenset[int]:
    """Observed write ids lost with a discarded branch of the log.

    A batch past the end of its timeline's surviving ranges (or on a timeline
    the surviving log does not hold) was cut off with its branch: an
    asynchronous tail, a zombie's writes. A batch missing from *inside* its
    timeline's ranges was discarded by last-writer-wins, and is not listed.
    """
    ends: dict[int, int] = {}
    for timeline, _, lsn_to in final.surviving_ranges:
        ends[timeline] = max(ends.get(timeline, lsn_to), lsn_to)
    batches = as_commits(commits)
    end = np.full(batches.n, -1, np.int64)
    for timeline, lsn_to in ends.items():
        end[batches.timeline == timeline] = lsn_to
    return frozenset(w for w in batches.ids_of(batches.lsn_to > end) if not is_corrupt(w))
