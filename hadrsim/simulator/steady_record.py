"""The calls a steady window laid out and kept, recorded as its events would have.

In the events' order and with their values: the commits (each write appended to the
primary's log as it arrives, released when flushed and acknowledged), the copies each
follower is sent (left for the window's hand-back, Window._settle_followers), the reads'
answers, the clients' DNS caches as the calls' lookups leave them, and the calls
themselves in the order their replies arrive, kept as a block of columns
(:class:`~hadrsim.simulator.oplog.OpBlock`) that the checkers and the history hash
read without rows.
"""

from __future__ import annotations

from bisect import bisect_right
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from hadrsim.simulator.log import version
from hadrsim.simulator.oplog import OpBlock, Pick, Same
from hadrsim.simulator.records import ClientOp, Commit
from hadrsim.simulator.steady_coupling import watchdog_rounds
from hadrsim.simulator.vocabulary import OpKind, Outcome

if TYPE_CHECKING:
    from hadrsim.simulator.client import ObservedClient
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.steady_bulk import Planned
    from hadrsim.simulator.steady_coupling import Ships
    from hadrsim.simulator.steady_window import Window

_BLOCK = 16  # fewer kept calls than this: rows are cheaper than a block's arrays


class Written:
    """A kept write as the window's hand-back reads it (Window._settle_followers)."""

    __slots__ = ("lsn", "legs")

    def __init__(self, lsn: int, legs: list[list]):
        self.lsn = lsn
        self.legs = legs



def record(window: Window, kept: list[Planned], writes: list[Planned], ships: Ships
            ) -> None:
    """The kept calls' effects, as the window's events would have left them."""
    group, rec, primary = window.group, window.world.rec, window.primary
    timeline, tid, name = window.timeline, window.timeline.tid, primary.name
    for call in kept:  # each client's write ids in its calls' order
        if call.is_write:
            call.value = next(call.client.write_ids)
    arrivals, lsns = [], []
    start_lsn = primary.lsn
    commits = rec.commits
    for n, call in enumerate(writes):
        assert call.value is not None  # its write id, just handed out
        _tl, lsn_from, lsn, count, call.prev = group.append(call.there, call.key, call.value)
        arrivals.append(call.there)
        lsns.append(lsn)
        window.written.append(Written(lsn, _legs(window, ships, n, call, lsn)))
        commits.append(Commit(call.ready, name, tid, lsn_from, lsn, count, (call.value,)))
        call.version = version(tid, lsn)
    _watchdog_state(window, writes, kept)
    read_version = timeline.read_version
    visible: dict[Node, list[float]] = {}  # see _read_copy
    for call in kept:
        if not call.is_write:
            node = call.route[0]
            if node is primary:
                n = bisect_right(arrivals, call.there)
                call.value, call.version = read_version(lsns[n - 1] if n else start_lsn,
                                                        call.key)
            else:
                call.value, call.version = _read_copy(window, node, call, visible)
    replay_lookups(kept)
    rec.ops.extend(_ops(sorted(kept, key=attrgetter("done"))))


def _ops(calls: list[Planned]) -> OpBlock | list[ClientOp]:
    """The calls as the history records them (in the order their replies arrived): a
    block of columns, which the checkers and the history hash read without rows."""
    if len(calls) < _BLOCK:
        write, read, ok = OpKind.WRITE, OpKind.READ, Outcome.OK
        return [ClientOp(c.client.name, c.client.region, write if c.is_write else read,
                         c.key, c.value, c.version, c.invoke, c.done, ok,
                         c.route[0].name, None, c.prev) for c in calls]
    clients = {c.client: None for c in calls}
    which = {client: i for i, client in enumerate(clients)}
    nodes = {c.route[0]: None for c in calls}
    where = {node: i for i, node in enumerate(nodes)}
    client = np.array([which[c.client] for c in calls])
    fields = (
        Pick([c.name for c in clients], client),
        Pick([c.region for c in clients], client),
        Pick((OpKind.READ, OpKind.WRITE), np.array([c.is_write for c in calls], np.int64)),
        np.array([c.key for c in calls], np.int64),
        [c.value for c in calls],
        [c.version for c in calls],
        np.array([c.invoke for c in calls]),
        np.array([c.done for c in calls]),
        Same(Outcome.OK),
        Pick([node.name for node in nodes], np.array([where[c.route[0]] for c in calls])),
        Same(None),
        [c.prev for c in calls],
    )
    return OpBlock(len(calls), fields)


def _legs(window: Window, ships: Ships, n: int, call: Planned, lsn: int) -> list[list]:
    """The write's copies as Window._ship notes them: live ones are seen as they land."""
    legs = []
    for i, link in enumerate(ships.links):
        sent, received = ships.sent[n][i], ships.received[n][i]
        if sent is None:
            continue  # its follower takes nothing
        if not ships.live[i]:
            if link.config.ship_lag is not None or received is not None:
                legs.append([link, sent, received, None, None, False])
            continue
        assert received is not None  # a live follower receives
        legs.append([link, sent, received, received, call.acked[i], True])
        window.seen.setdefault(link.follower, []).append((received, lsn))
        window.last_receipt[link] = received
    return legs


def replay_lookups(kept: list[Planned]) -> None:
    """Each client's DNS cache as the kept calls' lookups leave it: a name both kinds
    go through is renewed by the calls of both, in time order."""
    times: dict[ObservedClient, dict[bool, list[float]]] = {}
    for call in kept:  # in invoke order
        times.setdefault(call.client, {}).setdefault(call.is_write, []).append(call.invoke)
    for client, kinds in times.items():
        names: dict[str, tuple[tuple, list[float]]] = {}
        for is_write, at in kinds.items():
            route = next(c.route for c in kept if c.client is client and c.is_write == is_write)
            for link in route[3]:
                known = names.get(link[0].name)
                names[link[0].name] = (link, at if known is None else sorted(known[1] + at))
        for link, at in names.values():
            client.resolver.replay((link,), at)


def _watchdog_state(window: Window, writes: list[Planned], kept: list[Planned]) -> None:
    if not writes or not window.group.watches_commits():
        return
    quiet = max(c.settled for c in kept)
    for _ in watchdog_rounds(window, writes, quiet):
        pass


def _read_copy(window: Window, node: Node, call: Planned,
               visible: dict[Node, list[float]]) -> tuple:
    """A read at a follower (Window._read): what it had made visible by then
    (``visible``: per follower, when each copy it was sent became visible)."""
    lsn = node.applied_lsn
    seen = window.seen.get(node, ())
    times = visible.get(node)
    if times is None:
        times = visible[node] = [at for at, _lsn in seen]
    n = bisect_right(times, call.there)
    if n:
        lsn = max(lsn, seen[n - 1][1])
    return node.applied_timeline.read_version(lsn, call.key)


__all__ = ["Written", "record", "replay_lookups"]
