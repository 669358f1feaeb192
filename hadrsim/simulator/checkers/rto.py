"""RTO as clients see it: time from a fault until surviving clients succeed again.

Only clients outside the failed locations count: a client in a region that went
down is dead with it, and its failures say nothing about recovery. For each
surviving client, with operations of one kind (``"write"`` or ``"read"``) that
overlap the episode's window, take its last failure (greatest ``invoke_s``)
among those that *completed* inside the window (an operation still in flight
when the next fault starts and failing after it belongs to that next fault);
the client has recovered at the first completion of a later-invoked ``ok``
operation inside the window. A client with no failure at all in the window has RTO 0
(every call it made succeeded: nothing was down for it, to the resolution of its
think time). A client with no failure of this kind whose calls of the *other* kind
failed has recovered at its first success of this kind completing after the fault:
each client waits for its call, so one stuck in reads that time out makes no write,
and writes could be down for the whole failover with no write failing (a Multi-AZ
crash did that in 4 of 30 simulated runs, and read as a write RTO of 0). A client
that never recovers inside the window is *censored* at the window's end. Because
this is measured at the client, DNS TTL, caching and retries are all included.

The episode's RTO is the worst client's; it has recovered only if all have.
With no surviving client observed the RTO is unknown (NaN), not zero.

An acknowledged write that was later lost with the copy that took it (cut off
by a failover or a restore: a zombie, a corrupt copy) is a failure for the
episode charged with its loss and for every later one, never for an earlier
one (:mod:`.attribution`): it did the client good until that fault. A write
last-writer-wins discarded is not: the table was up; RPO counts that loss. A read that
returned corrupt data (a negative id) is a failure; a corruption episode must
also stop serving corrupt data to count as recovered (:mod:`.corruption`).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from hadrsim.simulator.checkers._table import OpTable, as_table
from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import ClientOp


class _ClientLog:
    """One client's ops of one kind, sorted by invocation, with running extrema.

    The extrema answer each episode by bisection instead of a scan, so all
    episodes cost O(episodes x clients x log ops), not O(episodes x ops).
    Built from the client's columns: invocation, completion and whether each op
    counts as a success.
    """

    __slots__ = (
        "_complete_max",
        "_fail_complete",
        "_fail_complete_max",
        "_fail_invoke",
        "_fail_pos",
        "_invoke",
        "_ok_complete_min_from",
        "_ok_complete_sorted",
        "_busy",
    )

    def __init__(self, invoke: np.ndarray, complete: np.ndarray, ok: np.ndarray,
                 busy: np.ndarray | None = None) -> None:
        # completions of the client's failed calls of the other kind
        self._busy = np.sort(busy) if busy is not None else np.empty(0)
        order = np.lexsort((complete, invoke))
        invoke, complete, ok = invoke[order], complete[order], ok[order]
        self._invoke = invoke
        self._complete_max = np.maximum.accumulate(complete)
        fail_pos = np.flatnonzero(~ok)
        self._fail_pos = fail_pos
        self._fail_invoke = invoke[fail_pos]
        self._fail_complete = complete[fail_pos]
        self._fail_complete_max = np.maximum.accumulate(complete[fail_pos])
        # _ok_complete_min_from[i]: earliest completion among ok ops at index >= i.
        self._ok_complete_sorted = np.sort(complete[ok])
        ok_complete = np.where(ok, complete, math.inf)[::-1]
        self._ok_complete_min_from = np.append(np.minimum.accumulate(ok_complete)[::-1],
                                               math.inf)

    def rto(self, start_s: float, window_end_s: float) -> tuple[float, bool] | None:
        """This client's ``(rto_s, recovered)``, or None if it had no op in the window."""
        invoked_before_end = int(np.searchsorted(self._invoke, window_end_s, "left"))
        if not invoked_before_end or self._complete_max[invoked_before_end - 1] < start_s:
            return None
        last = int(np.searchsorted(self._fail_pos, invoked_before_end, "left")) - 1
        # The latest failure that completed in the window; none before ``first`` can
        # (the running max of their completions is below the window's start).
        first = int(np.searchsorted(self._fail_complete_max, start_s, "left"))
        done = self._fail_complete[first:last + 1] if last >= first else self._fail_complete[:0]
        inside = np.flatnonzero((done >= start_s) & (done < window_end_s))
        if not len(inside):
            busy = self._busy
            at = int(np.searchsorted(busy, start_s, "left"))
            if at == len(busy) or busy[at] >= window_end_s:
                return 0.0, True  # no call of any kind failed: nothing was down for it
            # Its calls of the other kind failed in the window: it was busy failing there
            # (a client waits for each call), so the absence of failures of this kind
            # says nothing; it recovered at its first success completing after the fault.
            at = int(np.searchsorted(self._ok_complete_sorted, start_s, "left"))
            first_ok = (float(self._ok_complete_sorted[at])
                        if at < len(self._ok_complete_sorted) else math.inf)
            if first_ok <= window_end_s:
                return first_ok - start_s, True
            return window_end_s - start_s, False
        last = first + int(inside[-1])
        after_failure = int(np.searchsorted(self._invoke, self._fail_invoke[last], "right"))
        recovered_s = float(self._ok_complete_min_from[after_failure])
        if recovered_s <= window_end_s:
            # Clamped: with overlapping ops a success can complete before the fault.
            return max(0.0, recovered_s - start_s), True
        return window_end_s - start_s, False


def _useful(table: OpTable, kind: np.ndarray, survived: frozenset[int] | None,
            useless: Collection[int]) -> np.ndarray:
    """Mask of the ops of ``kind`` that did the client good (acknowledged, and more).

    A write helps unless it is among ``useless`` (acknowledged, then lost to
    this episode or an earlier one: a write acknowledged by a corrupted or
    fenced-off copy and then discarded did not recover anything) or, given
    ``survived``, missing from the final read; a read only
    if it did not return corrupted data (negative ids).
    """
    ok = kind & table.ok
    writes = ok & table.write
    if useless or survived is not None:
        def helps(value: int | None) -> bool:
            return value not in useless and (survived is None or value in survived)

        ok[writes] = table.map_values(helps, writes)[writes]
    reads = ok & ~table.write
    ok[reads] = table.owner[reads] < 0
    return ok


class ClientHistories:
    """Every client's ops of one kind, indexed once to answer many episodes."""

    def __init__(
        self,
        ops: Iterable[ClientOp],
        kind: str,
        survived: frozenset[int] | None = None,
        useless: Collection[int] = frozenset(),
    ) -> None:
        table = as_table(ops)
        of_kind = table.kind(kind)
        ok = _useful(table, of_kind, survived, useless)
        failed_elsewhere = np.flatnonzero(~of_kind & ~table.ok)
        busy = {int(table.client[rows[0]]): table.complete[rows]
                for rows in table.by_client(failed_elsewhere)}
        self._logs = [
            (table.region_names[table.region[mine[0]]],
             _ClientLog(table.invoke[mine], table.complete[mine], ok[mine],
                        busy.get(int(table.client[mine[0]]))))
            for mine in table.by_client(np.flatnonzero(of_kind))
        ]

    def rto(self, episode: Episode) -> tuple[float, bool]:
        """The episode's ``(rto_s, recovered)`` over its surviving clients."""
        dead = set(episode.affected_locations)
        worst_s = -math.inf
        recovered = True
        for region, log in self._logs:
            if region in dead:
                continue
            client = log.rto(episode.start_s, episode.window_end_s)
            if client is not None:
                worst_s = max(worst_s, client[0])
                recovered = recovered and client[1]
        if worst_s == -math.inf:
            return math.nan, False
        return worst_s, recovered


def rto_by_episode(ops: Iterable[ClientOp], episode: Episode, kind: str) -> tuple[float, bool]:
    """``(rto_s, recovered)`` for one episode and op kind; ``(nan, False)`` if unobserved."""
    return ClientHistories(ops, kind).rto(episode)


def rto_by_episodes(
    ops: Iterable[ClientOp],
    episodes: Sequence[Episode],
    kind: str,
    survived: frozenset[int] | None = None,
    charged_s: Mapping[int, float] | None = None,
) -> list[tuple[float, bool]]:
    """:func:`rto_by_episode` for every episode, indexing the ops once per distinct need.

    With ``charged_s`` (lost write id -> start of the episode charged with it,
    :mod:`.attribution`), an acknowledged write lost to this episode or an
    earlier one does not count as the client having recovered; one lost in a
    later episode does, since it did the client good until that fault. With
    only ``survived`` (the final read's write ids), no lost write counts.
    """
    ops = as_table(ops)
    if not charged_s:
        histories = ClientHistories(ops, kind, survived)
        return [histories.rto(episode) for episode in episodes]
    ordered = sorted(charged_s.items(), key=lambda item: item[1])
    starts = [start_s for _, start_s in ordered]
    cache: dict[int, ClientHistories] = {}
    result = []
    for episode in episodes:
        cut = bisect_right(starts, episode.start_s)
        if cut not in cache:
            useless = frozenset(value for value, _ in ordered[:cut])
            cache[cut] = ClientHistories(ops, kind, useless=useless)
        result.append(cache[cut].rto(episode))
    return result
