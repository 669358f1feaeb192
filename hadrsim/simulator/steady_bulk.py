"""A steady window's calls laid out client by client, up to a quiet instant.

Between two changes of the world a steady call's end depends only on its own
client's draws (:class:`~hadrsim.simulator.steady.CallLaws`), so each client's
calls can be laid out on their own, one after the other in a tight loop: the
request, the commit's flush and acknowledgements, the reply, the think time, the
next call. :func:`advance` does that for every taken-over client, merges the calls
in time order and checks what couples them (:mod:`hadrsim.simulator.steady_coupling`:
a write arriving while the commit before it is pending, a copy overtaking another,
the watchdog), a call near its time-out and a lookup whose answer would change.
It keeps the calls before the last *quiet* instant ahead of the first such case
(no call under way, no commit pending, every acknowledging follower has received
what it was sent) and records them as the window's events would have, in the same
order with the same values (:mod:`hadrsim.simulator.steady_record`). The window's
event heap takes the calls from there, and hands them back at its next quiet
instant. No later call's draws are used: each stream is left where the calls one
by one would have left it, so a run is the same bit for bit with this switched off
(``ENABLED``, tests/simulator/test_steady_bulk.py); it is only faster (issue 14:
about 1.1x a whole Multi-AZ crash run, README speed table).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from hadrsim.simulator import steady_record
from hadrsim.simulator.steady_coupling import check_commits, ship

if TYPE_CHECKING:
    from hadrsim.simulator.client import ObservedClient
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.replication import FollowerLink
    from hadrsim.simulator.steady_window import Window

ENABLED = True  # off: the heap does every call (the equality tests compare the two)
MAX_CALLS = 64  # a client's calls laid out in one pass; a long window takes several


class Planned:
    """One call as its client's draws lay it out (slots: there are many)."""

    __slots__ = ("client", "invoke", "is_write", "key", "there", "ready", "done", "nxt",
                 "delays", "acked", "route", "settled", "bad", "value", "version", "prev")

    def __init__(self, client: ObservedClient, invoke: float, is_write: bool, key: int,
                 there: float, route: tuple):
        self.client = client
        self.invoke = invoke
        self.is_write = is_write
        self.key = key
        self.there = there  # arrival at the node
        self.ready = there  # a write's release (a read: its arrival)
        self.done = self.nxt = self.settled = 0.0  # the reply; the next call; all over
        self.route = route  # node, valid until, serves, chain (see _routes)
        self.delays: list[float] = []  # per link, a write's copy's trip
        self.acked: list[float | None] = []  # per link, its acknowledgement's arrival
        self.bad = False  # something here is not modelled: the heap takes it
        # what the call answers (kept ones): a write's id, a read's value; the version
        self.value: int | None = None
        self.version: int | None = None
        self.prev: int | None = None  # a write: the id it replaced


class _Lane:
    """One client's pass: its draws (peeked, not used yet) and its laid-out calls."""

    __slots__ = ("client", "u", "calls", "stop", "full", "flush", "acks", "routes")

    def __init__(self, client: ObservedClient, u: list[float], start: float,
                 flush: Sampler, acks: list[Sampler | None], routes: list[tuple | None]):
        self.client = client
        self.u = u
        self.calls: list[Planned] = []
        self.stop = start  # its first call not laid out
        self.full = False  # stopped only because its draws ran out (another pass)
        self.flush = flush
        self.acks = acks
        self.routes = routes  # per kind (read, write)


def advance(window: Window) -> int:
    """Record the window's calls in bulk as far as a quiet instant; leave the rest to
    the window's heap (the clients' next calls are in ``runs.next`` as before, the
    watchdog's state in ``window.watchdog_at``); how many calls were recorded."""
    kept = 0
    if ENABLED and _fits(window):
        while True:
            done, more = _one_pass(window)
            kept += done
            if not more:
                break
    return kept


def _fits(window: Window) -> bool:
    """Followers the arithmetic here covers: no receiving one delays what it makes
    visible, the ones that acknowledge count for the commit and ship at once (the
    ones that receive nothing, or late, are what the hand-back delivers)."""
    if window.end <= window.t0 or window.flight or window.pending:
        return False  # nothing under way: the layout starts from a quiet instant
    for link in window.shape.live:
        config = link.config
        if config.apply_lag is not None:
            return False
        if link.acknowledges and (link not in window.voters or config.ship_lag is not None):
            return False
    return True


def _one_pass(window: Window) -> tuple[int, bool]:
    """One pass over the clients: how many calls it kept, and whether another pass
    may keep more."""
    lanes, limit = _lanes(window)
    if not lanes:
        return 0, False
    calls = sorted((c for lane in lanes for c in lane.calls if c.invoke < limit),
                   key=attrgetter("invoke"))
    writes = sorted((c for c in calls if c.is_write), key=attrgetter("there"))
    ships = ship(window, writes)
    check_commits(window, writes)
    cut = _quiet_cut(calls, limit)
    quiet = calls[cut].invoke if cut < len(calls) else limit
    kept = calls[:cut]
    kept_writes = writes[:sum(1 for c in kept if c.is_write)]  # a prefix in arrival order
    for lane in lanes:
        _use_draws(window, lane, bisect_left([c.invoke for c in lane.calls], quiet))
    for sampler, used in ships.used(len(kept_writes)).items():
        sampler.skip(used)
    if not kept:
        return 0, False
    ships.settle(len(kept_writes))
    steady_record.record(window, kept, kept_writes, ships)
    return len(kept), cut == len(calls) and any(lane.full for lane in lanes)


def _lanes(window: Window) -> tuple[list[_Lane], float]:
    """The clients' lanes, and the instant before which all their calls are laid out:
    the window's end, or earlier the first call a lane could not lay out.

    Clients go in the order of their next call. The first one whose next call cannot be
    laid out at all (its Region cut off, or that kind of call's route unusable: a
    reader outside the group) stops everything after it, so it is found before any
    lane is laid out, and each lane lays out only what comes before the instant found
    so far. A SecureCart Aurora Global run, whose secondary Region's reads were
    unusable for hours, laid out 478,248 calls for the 5,984 it kept.
    """
    limit, starts = window.end, []
    for client, at in sorted(window.runs.next.items(), key=itemgetter(1)):
        if at >= limit:
            break  # this and every later client start after it
        routes = _routes(window, client, at) if window.net.is_up(client.region) else None
        if routes is None or _cannot_start(client, at, routes):
            limit = at
            break
        starts.append((client, at, routes))
    # a client with a route that ends or does not serve before the limit may stop early:
    # laid out first, its stop bounds the others (the lanes stay in their order)
    lanes: list[_Lane | None] = [None] * len(starts)
    for i in sorted(range(len(starts)), key=lambda i: not _may_stop(starts[i][2], limit)):
        client, at, routes = starts[i]
        if at < limit:
            lanes[i] = lane = _lay_out(window, client, at, limit, routes)
            limit = min(limit, lane.stop)
    return [lane for lane in lanes if lane is not None], limit


def _usable(route: tuple | None, at: float) -> bool:
    """A call along ``route`` (see :func:`_routes`) can be laid out at ``at``: the test
    :func:`_walk` makes of every call (inline there: it is the hot loop)."""
    return route is not None and at < route[1] and route[2]


def _may_stop(routes: list[tuple | None], limit: float) -> bool:
    """A kind of call this client makes cannot be laid out from some instant before
    ``limit`` on."""
    return not all(_usable(route, limit) for route in routes)


def _cannot_start(client: ObservedClient, at: float, routes: list[tuple | None]) -> bool:
    """The client's next call cannot be laid out (:func:`_walk`'s first test)."""
    return not _usable(routes[client.uniform.peek_one() < client.spec.observed_write_fraction],
                       at)


# --- one client's calls ------------------------------------------------------------------
def _lay_out(window: Window, client: ObservedClient, start: float, end: float,
             routes: list[tuple | None]) -> _Lane:
    """``client``'s calls from ``start`` until ``end`` while its ``routes`` hold and
    nothing but its own draws decides them."""
    runs, net, group = window.runs, window.net, window.group
    most = _calls_at_most(client, start, end)
    count = _before_unusable(client, routes, most)
    laws = runs.laws(client)
    links = list(group.links.values())
    flush = laws.of(group.flush, "flush")
    voting = [i for i, link in enumerate(links) if link in window.voters]
    ack_laws = [_ack_law(laws, link) if i in voting else None for i, link in enumerate(links)]
    lane = _Lane(client, client.uniform.peek_list(3 * count), start, flush, ack_laws, routes)
    region, primary = client.region, group.primary
    paths = _Paths(net, window.width, laws.jitter.peek(count * window.width))
    paths.trips = [None if route is None or route[0] is None else
                   (paths.delays(region, route[0].az, 0), paths.delays(route[0].az, region, 1))
                   for route in routes]
    paths.copies = [paths.delays(primary.az, link.follower.az, 2 + i)
                    for i, link in enumerate(links)]
    paths.backs = {i: paths.delays(links[i].follower.az, primary.az, 2 + len(links) + i)
                   for i in voting}
    flushes = flush.peek_list(count)
    waits = {i: law.peek_list(count) if (law := ack_laws[i]) is not None else None
             for i in voting}
    _walk(window, lane, paths, flushes, waits, count, end)
    if count < most:
        lane.full = False  # it stopped at a call it cannot lay out, as _walk would have
    return lane


def _before_unusable(client: ObservedClient, routes: list[tuple | None], count: int) -> int:
    """How many of the client's next ``count`` calls come before the first whose kind's
    route cannot be laid out at any time (none, or not serving): :func:`_walk` stops
    there, so the lane needs no delays for the calls after it (the calls' kinds are
    their own draws). A SecureCart Aurora Global lane made 22 calls' delays for 1.4."""
    unusable = [not _usable(route, -math.inf) for route in routes]  # whenever it expires
    if not (unusable[0] or unusable[1]):
        return count
    u = client.uniform.peek_list(3 * count)
    fraction = client.spec.observed_write_fraction
    for k in range(count):
        if unusable[u[3 * k] < fraction]:
            return k
    return count


class _Paths:
    """The messages' delays of one lane's calls, from its rows of jitter: the message in
    column ``c`` over a path takes, for call ``k``, ``delays(src, dst, c)[k]``: the value
    Network.path_delay_s gives (a path with no added delay: a product, inline). Each
    column is made at once: ``trips`` per kind of call (request, reply), ``copies`` per
    link, ``backs`` per acknowledging link."""

    __slots__ = ("net", "width", "jitter", "trips", "copies", "backs")

    def __init__(self, net, width: int, jitter: list[float]):
        self.net, self.width, self.jitter = net, width, jitter
        self.trips: list = []
        self.copies: list = []
        self.backs: dict = {}

    def delays(self, src: str, dst: str, column: int) -> list[float]:
        net, jitter = self.net, self.jitter[column::self.width]
        if net.extra_delay_s:
            return [net.path_delay_s(src, dst, j) for j in jitter]
        base = net._base_cache.get((src, dst)) or net.base_delay_s(src, dst)
        return [base * j for j in jitter]


def _calls_at_most(client: ObservedClient, start: float, end: float) -> int:
    """A bound on the client's calls before ``end`` (a think time is at least half the
    probing or idle interval)."""
    spec = client.spec
    probe, idle = spec.probe_interval_s, spec.idle_interval_s
    if idle is None:
        bound = (end - start) / (0.5 * probe)
    else:
        dense = max(0.0, min(end, client.dense_until) - start)
        bound = dense / (0.5 * probe) + (end - start - dense) / (0.5 * min(idle, probe))
    return int(min(MAX_CALLS, bound + 2))


def _routes(window: Window, client: ObservedClient, start: float) -> list[tuple | None]:
    """Per kind of call, where its lookups lead from ``start`` on while no record
    changes (Resolver.plan, no side effect: the kept calls' lookups are replayed)."""
    routes: list[tuple | None] = []
    for is_write in (False, True):
        plan = client.resolver.plan(client.endpoint_for(is_write), start)
        if plan is None:
            routes.append(None)  # a name that answers in turn
            continue
        node, chain, until = plan
        serves = node is not None and window._serves(client, node, is_write)
        routes.append((node, until, serves, tuple(chain)))
    return routes


def _ack_law(laws, link: FollowerLink) -> Sampler | None:
    config = link.config
    if not link.acknowledges or config.flush is None or config.ack_on != "flush":
        return None
    return laws.of(config.flush, f"ack/{link.follower.name}")


def _walk(window: Window, lane: _Lane, paths: _Paths, flushes: list[float], waits: dict,
          count: int, end: float) -> None:
    """Lay out the calls before ``end`` one after the other (the client waits for each
    reply), with the arithmetic of Window._invoke, _arrive, _receive, _ready, _release
    and _done."""
    client, u, routes = lane.client, lane.u, lane.routes
    spec = client.spec
    fraction = spec.observed_write_fraction
    key_sets = (client.read_keys, client.write_keys)  # as ObservedClient.key_of
    sizes = (len(key_sets[0]), len(key_sets[1]))
    probe, idle, dense_until = spec.probe_interval_s, spec.idle_interval_s, client.dense_until
    timeout, needed = spec.call_deadline_s, window.needed
    trips, copies, backs = paths.trips, paths.copies, paths.backs
    links = range(len(copies))
    t, writes, calls = lane.stop, 0, lane.calls
    for k in range(count):
        is_write = u[3 * k] < fraction
        route = routes[is_write]
        if t >= end or route is None or t >= route[1] or not route[2]:
            break
        trip = trips[is_write]
        there = t + trip[0][k]
        key = key_sets[is_write][int(u[3 * k + 1] * sizes[is_write])]
        call = Planned(client, t, is_write, key, there, route)
        settled = 0.0
        if is_write:
            call.delays = trips_out = [copies[i][k] for i in links]
            acked: list[float | None] = [None for _ in links]
            call.acked = acked
            for i, back in backs.items():
                received = there + trips_out[i]
                wait = waits[i][writes] if waits[i] is not None else 0.0
                acked[i] = received + (wait + back[k])
                settled = max(settled, received)
            ready = there + flushes[writes]
            if needed:
                ready = max(ready, sorted([acked[i] for i in backs])[needed - 1])
            call.ready = ready
            writes += 1
        call.done = done = call.ready + trip[1][k]
        call.settled = max(done, settled)
        if done >= t + timeout:
            break  # it would time out: the events decide
        if idle is None or done < dense_until:
            call.nxt = t = done + probe * (0.5 + u[3 * k + 2])
        else:
            call.nxt = t = done + idle * (0.5 + u[3 * k + 2])
        calls.append(call)
    else:
        lane.full = True
    lane.stop = t


def _quiet_cut(calls: list[Planned], limit: float) -> int:
    """How many calls (in invoke order) to keep: the most before the first marked one
    such that all of them are over before the next call starts."""
    best, latest = 0, -1.0
    for n, call in enumerate(calls):
        if latest < call.invoke:
            best = n
        if call.bad:
            return best
        latest = max(latest, call.settled)
    return len(calls) if latest < limit else best


# --- keeping the calls -------------------------------------------------------------------
def _use_draws(window: Window, lane: _Lane, kept: int) -> None:
    """The lane's streams move on by what its first ``kept`` calls drew, no more."""
    client = lane.client
    writes = sum(1 for c in lane.calls[:kept] if c.is_write)
    client.uniform.skip(3 * kept)
    window.runs.laws(client).jitter.skip(kept * window.width)
    lane.flush.skip(writes)
    for law in lane.acks:
        if law is not None:
            law.skip(writes)
    if kept:
        last = lane.calls[kept - 1]
        client.note_wake(last.nxt)
        client.failures_in_a_row = 0
        if last.nxt < window.world.horizon_s:
            window.runs.next[client] = last.nxt
        else:
            del window.runs.next[client]


__all__ = ["ENABLED", "Planned", "advance"]
