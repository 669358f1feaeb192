"""One steady window: the arithmetic of :mod:`hadrsim.simulator.steady`, and the hand-back.

A :class:`Window` runs every taken-over client's calls from now until the next event
anything else has scheduled, in time order, on a small heap of its own (a call's
invocation and arrival, a follower's receipt of a batch, a commit's release, the reply,
the sync watchdog), and then leaves whatever is under way to the ordinary events.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush
from itertools import count
from typing import TYPE_CHECKING

from hadrsim.simulator.client import Call
from hadrsim.simulator.log import version
from hadrsim.simulator.records import Commit
from hadrsim.simulator.replication import _Pending
from hadrsim.simulator.steady_bulk import advance
from hadrsim.simulator.steady_record import Written
from hadrsim.simulator.steady_transport import absorb, hand_back_copies
from hadrsim.simulator.vocabulary import OpKind, Outcome

if TYPE_CHECKING:
    from hadrsim.simulator.client import ObservedClient
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.replication import FollowerLink, ReplicationGroup
    from hadrsim.simulator.steady import CallLaws, SteadyRuns

_INVOKE, _ARRIVE, _RECEIVE, _RELEASE, _DONE, _WATCHDOG = range(6)


class _Call(Call):
    """One call under way in a window; at the window's end, the ordinary call it becomes."""

    __slots__ = ("there", "lsn_from", "lsn", "writes", "prev", "flushed_at", "ready_at",
                 "legs", "value", "version", "done_at", "arrived", "acks", "row", "laws")

    def __init__(self, client: ObservedClient, is_write: bool, key: int,
                 write_id: int | None, invoke: float, node: Node, there: float,
                 row: list[float], laws: CallLaws):
        super().__init__(client, is_write, key, write_id, invoke, node)
        self.there = there
        self.row = row  # its jitter: request, reply, then per follower: copy, acknowledgement
        self.laws = laws  # its client's streams, for the flushes a write draws
        self.arrived = False
        self.acks: dict = {}  # voter link -> when it acknowledged this commit (or a later one)
        self.done_at: float | None = None
        self.value = write_id
        self.version: int | None = None
        self.prev: int | None = None
        self.lsn_from = self.lsn = self.writes = 0
        self.flushed_at = 0.0
        self.ready_at = float("inf")  # brought forward as acknowledgements are learnt
        # per follower: [link, sent, received, visible, acked, live]; visible None: not
        # applied in this window (the events deliver it); received None: dropped as sent
        self.legs: list[list] = []


def ack_wait(laws: CallLaws, link: FollowerLink) -> float:
    """FollowerLink.ack_wait, drawn on the calling client's stream for that follower."""
    config = link.config
    flush = config.flush
    if flush is None or config.ack_on != "flush":
        return 0.0
    return laws.of(flush, f"ack/{link.follower.name}")()


class Shape:
    """What stays fixed between two touches: the group, who receives, who can be read."""

    def __init__(self, group: ReplicationGroup, live: list[FollowerLink], readable: set[Node]):
        self.group = group
        self.live = live  # followers that receive what the primary ships
        self.readable = readable  # copies that answer reads


Votes = tuple[int, list["FollowerLink"]]
"""How many acknowledgements a commit needs, and the followers that give them."""


def voters(group: ReplicationGroup, shape: Shape) -> Votes | None:
    """How many acknowledgements a commit needs now, and from whom; None if it would
    wait on a follower that cannot answer (for the watchdog, or for good)."""
    needed, counted = group._needed_acks()
    live = shape.live
    if group.strict_quorum:
        voters = [link for link in counted if link in live]
        return (needed, voters) if len(voters) >= needed else None
    if any(link not in live for link in counted):
        return None
    return needed, counted


class Window:
    """Everything the taken-over clients do from now until the next other event (an
    asynchronous replica's batches on their way excepted: the window runs those itself,
    :mod:`hadrsim.simulator.steady_transport`)."""

    def __init__(self, runs: SteadyRuns, shape: Shape, votes: Votes):
        self.runs = runs
        self.shape = shape
        self.world = world = runs.world
        self.net = runs.net
        self.group = shape.group
        self.primary = shape.group.primary
        self.timeline = self.primary.timeline
        self.t0 = world.now
        self.end = min(world.next_event_at(), world.horizon_s)
        self.events: list[tuple] = []
        self.seq = count()
        self.flight: dict[ObservedClient, _Call] = {}
        self.pending: deque[_Call] = deque()
        self.written: list[_Call | Written] = []  # a Written: laid out (steady_record)
        self.last_receipt = {link: -1.0 for link in shape.live}
        self.seen: dict[Node, list[tuple[float, int]]] = {}
        self.needed, self.voters = votes
        self.watchdog_armed = self.group._watchdog_armed
        self.watchdog_at: float | None = None  # one this window set (not the world's)
        links = shape.group.links.values()
        self.followers = len(links)
        self._delay = self.net.path_delay_s  # a message's delay, its jitter from the row
        self.width = 2 + 2 * len(links)  # a call's row of jitter (RowSampler)
        self.column = {link: 2 + i for i, link in enumerate(links)}  # its copy; + L: its ack
        self.timeout_s = 0.0
        self.deadline = float("inf")  # when the oldest call in flight times out
        # TTL-0 lookups in this window: (client, chain) -> [how many, the last one's time]
        self.lookups: dict[tuple, list] = {}
        # copies applied before a batch the window ran (steady_transport)
        self.copies_waiting: list[tuple[int, list]] = []
        self.copies_seen = 0  # calls of ``written`` whose copies are in copies_waiting
        self.applied_copies: set[int] = set()  # ids of their legs

    def push(self, at: float, kind: int, item) -> None:
        heappush(self.events, (at, next(self.seq), kind, item))

    def run(self) -> None:
        runs, t0 = self.runs, self.t0
        self._lay_out_calls()
        events, flight = self.events, self.flight
        handlers = (self._invoke, self._arrive, self._receive, self._release, self._done,
                    self._watchdog)
        quiet, wait = 0, 2  # calls ended with nothing under way; how many before trying
        while True:
            if not events or (events[0][0] >= self.end
                              and not (events[0][2] == _INVOKE and events[0][0] <= t0)):
                if not absorb(self):
                    break
                self._go_on()  # it ran a batch on its way to a replica: the window goes on
                continue
            at, _, kind, item = events[0]
            if flight and self.deadline <= at:
                self.end = self.deadline  # a call times out: the events decide
                break
            heappop(events)
            if not handlers[kind](at, item):
                self.end = at
                break
            if kind == _DONE and not flight and not self.pending:
                quiet += 1  # past what stopped the layout: it may go on from here
                if quiet >= wait and self._only_waiting():
                    wait = 2 if self._lay_out_calls() else 2 * wait
                    quiet = 0
        for at, _, kind, item in events:
            if kind == _INVOKE:  # not reached: the client's next call, as it was
                runs.next[item] = at
        self._hand_back()

    def _lay_out_calls(self) -> int:
        """Let :mod:`~hadrsim.simulator.steady_bulk` lay out the clients' next calls
        (nothing else is under way: only invocations and the watchdog's round are
        waiting), then queue what it leaves; how many calls it recorded."""
        runs, events = self.runs, self.events
        for at, _, kind, item in events:
            if kind == _INVOKE:
                runs.next[item] = at
        events.clear()  # the watchdog's round is in watchdog_at: queued again below
        kept = advance(self)
        if self.watchdog_at is not None:  # armed: the heap runs its next round
            self.push(self.watchdog_at, _WATCHDOG, None)
        self._invoke_until_end()
        return kept

    def _go_on(self) -> None:
        """The window lasts longer (steady_transport.absorb): lay the calls out from here
        if nothing is under way, else queue the calls that now start before its end."""
        if not self.flight and not self.pending and self._only_waiting():
            self._lay_out_calls()
        else:
            self._invoke_until_end()

    def _only_waiting(self) -> bool:
        """Only invocations and the watchdog's round are queued (the layout may run)."""
        return all(e[2] == _INVOKE or e[2] == _WATCHDOG for e in self.events)

    def _invoke_until_end(self) -> None:
        """Queue the next call of each client waiting in ``runs.next`` that starts
        before the window's end."""
        runs, t0 = self.runs, self.t0
        for client, at in list(runs.next.items()):
            if at < self.end or at <= t0:
                del runs.next[client]
                self.timeout_s = client.spec.call_deadline_s
                self.push(at, _INVOKE, client)

    # --- the steps ----------------------------------------------------------------------
    def _invoke(self, at: float, client: ObservedClient) -> bool:
        if at >= self.world.horizon_s:
            return True  # past the horizon the client stops (as its tick would)
        if not self.net.is_up(client.region):
            client.tick_at(at)  # down with its Region: its tick says so, with no lookup
            return False
        spec = client.spec
        is_write = client.uniform.peek_one() < spec.observed_write_fraction
        node, serves = self._route(client, is_write, at)
        if not serves:
            client.tick_at(at, (node,))  # the ordinary way, with the lookup already made
            return False
        assert node is not None  # a node that serves
        client.uniform.skip(1)
        key = client.key_of(is_write, client.uniform())
        write_id = next(client.write_ids) if is_write else None
        laws = self.runs.laws(client)
        row = laws.jitter.take(self.width)
        there = at + self._delay(client.region, node.az, row[0])
        call = _Call(client, is_write, key, write_id, at, node, there, row, laws)
        if not self.flight:
            self.deadline = at + self.timeout_s
        self.flight[client] = call
        heappush(self.events, (there, next(self.seq), _ARRIVE, call))
        return True

    def _route(self, client: ObservedClient, is_write: bool, at: float
               ) -> tuple[Node | None, bool]:
        """Where the call goes (the client's lookup at ``at``) and whether that node
        serves it here. While every cached entry of the name's chain is fresh, a lookup
        is a cache hit with no side effect: it is remembered (until the world is next
        touched, SteadyRuns.routes: a record, a service's names and a steady client's name
        change only with a touch), not redone. With a TTL of 0 every lookup renews every
        entry, with the same answer while no record changes: such lookups are only
        counted, and written to the cache when the window ends (_write_lookups)."""
        routes = self.runs.routes
        known = routes.get((client, is_write))
        if known is not None and at < known[1]:
            if known[3] is not None:  # a TTL-0 chain: one more lookup, at ``at``
                self._tally(client, known[3], at)
            return known[0], known[2]
        resolver, name = client.resolver, client.endpoint_for(is_write)
        plan = resolver.plan(name, at) if resolver.ttl_of(name) == 0 else None
        if plan is not None and all(resolver.ttl_of(link[0]) == 0 for link in plan[1]):
            node, chain = plan[0], tuple(plan[1])
            serves = node is not None and self._serves(client, node, is_write)
            routes[(client, is_write)] = (node, float("inf"), serves, chain)
            self._tally(client, chain, at)
            return node, serves
        node, until = resolver.lookup_until(name, at)
        serves = node is not None and self._serves(client, node, is_write)
        routes[(client, is_write)] = (node, until, serves, None)
        return node, serves

    def _tally(self, client: ObservedClient, chain: tuple, at: float) -> None:
        tally = self.lookups.get((client, chain))
        if tally is None:
            self.lookups[(client, chain)] = [1, at]
        else:
            tally[0] += 1
            tally[1] = at

    def _write_lookups(self) -> None:
        """The TTL-0 lookups counted in this window, as the lookups one by one would have
        left each cache entry: renewed at the last (chains sharing a name: the latest
        last), each name resolved once per lookup."""
        for (client, chain), (lookups, last) in sorted(self.lookups.items(),
                                                       key=lambda item: item[1][1]):
            client.resolver.renewed(chain, last, lookups)

    def _serves(self, client: ObservedClient, node: Node, is_write: bool) -> bool:
        if node is not self.primary and (is_write or node not in self.shape.readable):
            return False
        runs = self.runs
        return runs.clear(client.region, node.az) and runs.clear(node.az, client.region)

    def _arrive(self, at: float, call: _Call) -> bool:
        call.arrived = True
        if not call.is_write:
            return self._read(at, call)
        group = self.group
        write_id = call.write_id
        assert write_id is not None  # a write's
        _timeline, call.lsn_from, call.lsn, call.writes, call.prev = group.append(
            at, call.key, write_id)
        self.written.append(call)
        self.pending.append(call)
        ok = self._ship(at, call)
        call.flushed_at = at + call.laws.of(group.flush, "flush")()
        if not ok:
            return False  # its copies travel as ordinary messages: not released here
        if not self.needed:
            self._ready(call)
        if not self.watchdog_armed and group.watches_commits():
            self.watchdog_armed = True
            self.watchdog_at = at + ((at + group.sync_timeout_s) - at)  # as _arm_watchdog
            self.push(self.watchdog_at, _WATCHDOG, None)
        return True

    def _ready(self, call: _Call) -> None:
        """When ``call`` may be released: flushed, and acknowledged by enough voters.

        With the acknowledgements known so far; one still unknown comes from a receipt
        not processed yet, so it is later than now: once the time computed here comes,
        it is final. Each acknowledgement learnt can only bring it forward (a new
        release event then; the old one finds nothing to release)."""
        needed = self.needed
        if len(call.acks) < needed:
            return
        before = call.ready_at
        ready = call.flushed_at
        if needed:
            ready = max(ready, sorted(call.acks.values())[needed - 1])
        if ready < before:
            call.ready_at = ready
            self.push(ready, _RELEASE, call)

    def _ship(self, at: float, call: _Call) -> bool:
        """Each follower's copy of the batch, sent as FollowerLink.ship sends it.

        A copy whose arrival draws something (an apply lag, an acknowledgement's flush)
        arrives as an event of this window, so shared laws are drawn in the order the
        arrivals happen. False when a batch would overtake an earlier one (the window
        ends at this commit; its copies travel as ordinary messages)."""
        primary, live, ok = self.primary, self.shape.live, True
        row, column = call.row, self.column
        for link in self.group.links.values():
            config = link.config
            if link.follower.inbound_broken:
                continue
            sent = at
            if config.ship_lag is not None:  # as FollowerLink.ship: the lag regime moves on
                sent = at + (link.lagged_send_at(at) - at)  # when ship()'s event runs
            node = link.follower
            if link not in live:  # nothing it is sent takes effect while the window lasts,
                reachable = self.net.reachable(primary.az, node.az)  # but a late copy
                if config.ship_lag is not None or reachable:  # may, once it has ended
                    received = (sent + self._delay(primary.az, node.az, row[column[link]])
                                if reachable else None)
                    call.legs.append([link, sent, received, None, None, False])
                continue
            received = sent + self._delay(primary.az, node.az, row[column[link]])
            leg = [link, sent, received, None, None, True]
            call.legs.append(leg)
            ok = ok and received > self.last_receipt[link]
            if not ok:
                continue  # the events deliver it
            self.last_receipt[link] = received
            if config.apply_lag is not None or link.acknowledges:
                heappush(self.events, (received, next(self.seq), _RECEIVE, (call, leg)))
            else:
                leg[3] = received
                self.seen.setdefault(node, []).append((received, call.lsn))
        return ok

    def _receive(self, at: float, item: tuple[_Call, list]) -> bool:
        """A follower applies a batch (FollowerLink._receive) and acknowledges it."""
        call, leg = item
        link = leg[0]
        config, node = link.config, link.follower
        apply_lag = config.apply_lag
        leg[3] = visible = at + apply_lag() if apply_lag is not None else at
        self.seen.setdefault(node, []).append((visible, call.lsn))
        if not link.acknowledges:
            return True
        jitter = call.row[self.column[link] + self.followers]
        leg[4] = acked = at + (ack_wait(call.laws, link) + self._delay(node.az, self.primary.az,
                                                                     jitter))
        if link not in self.voters:
            return True
        call.acks[link] = acked
        for earlier in self.pending:  # an acknowledgement carries the follower's position:
            if earlier is call:  # it also acknowledges every earlier commit
                break
            if acked < earlier.acks.get(link, acked):
                earlier.acks[link] = acked
                self._ready(earlier)
        self._ready(call)
        return True

    def _read(self, at: float, call: _Call) -> bool:
        node = call.node
        if node is self.primary:
            call.value, call.version = self.timeline.read_version(self.primary.lsn, call.key)
        else:
            timeline, lsn = node.applied_timeline, node.applied_lsn
            for visible, seen in reversed(self.seen.get(node, ())):
                if visible <= at:
                    lsn = max(lsn, seen)
                    break
            call.value, call.version = timeline.read_version(lsn, call.key)
        call.done_at = done = at + self._delay(node.az, call.client.region, call.row[1])
        heappush(self.events, (done, next(self.seq), _DONE, call))
        return True

    def _release(self, at: float, _call: _Call) -> bool:
        """Commits leave in order, each once it is flushed and acknowledged enough."""
        pending, primary, rec = self.pending, self.primary, self.world.rec
        while pending and pending[0].ready_at <= at:
            call = pending.popleft()
            call.version = version(self.timeline.tid, call.lsn)
            rec.commits.append(Commit(at, primary.name, self.timeline.tid, call.lsn_from,
                                      call.lsn, call.writes, (call.write_id or 0,)))
            call.done_at = done = at + self._delay(primary.az, call.client.region, call.row[1])
            heappush(self.events, (done, next(self.seq), _DONE, call))
        return True

    def _done(self, at: float, call: _Call) -> bool:
        client, flight = call.client, self.flight
        del flight[client]
        if flight:
            self.deadline = min(c.invoke for c in flight.values()) + self.timeout_s
        kind = OpKind.WRITE if call.is_write else OpKind.READ
        client.log_op(kind, call.key, call.value, call.version, call.invoke, at, Outcome.OK,
                      call.node.name, None, call.prev)
        following = at + client.next_delay(False, at)
        client.note_wake(following)
        if following < self.world.horizon_s:
            heappush(self.events, (following, next(self.seq), _INVOKE, client))
        return True

    def _watchdog(self, at: float, _none: None) -> bool:
        """The replication watchdog's round; in a steady window it drops nobody."""
        group = self.group
        if not self.pending:
            self.watchdog_armed = False
            self.watchdog_at = None
            return True
        head = self.pending[0]
        if at - head.there >= group.sync_timeout_s:
            return False  # it would give up on a follower: the events decide
        self.watchdog_at = at + (max(head.there + group.sync_timeout_s, at + 1e-6) - at)
        self.push(self.watchdog_at, _WATCHDOG, None)
        return True

    # --- the end of the window ----------------------------------------------------------
    def _hand_back(self) -> None:
        """Leave the world as the events would have at ``end``: what is under way goes
        back to the ordinary machinery, where it is."""
        world, net, group = self.world, self.net, self.group
        self._write_lookups()
        hand_back_copies(self)
        for call in self.pending:  # commit order, as the group keeps them
            self._pend(call)
        for call in self.flight.values():
            if call.arrived and call.done_at is None:
                continue  # a commit waiting in the group (above)
            client, node, op = call.client, call.node, call
            client.arm_timeout(op)
            if not call.arrived:  # the request is on its way
                if call.is_write:
                    net.deliver_at(call.there, client.region, node.az, node.receive_write,
                                   call.key, call.write_id, op.reply_write)
                else:
                    net.deliver_at(call.there, client.region, node.az, node.receive_read,
                                   call.key, op.reply_read)
            else:  # answered: the reply is on its way
                extra = (call.prev,) if call.is_write else ()
                assert call.done_at is not None
                net.deliver_at(call.done_at, node.az, client.region, client.finish, op,
                               Outcome.OK, call.value, call.version, None, *extra)
        if self.watchdog_at is not None and self.watchdog_armed:
            group._watchdog_armed = True
            world.call_at(self.watchdog_at, group._watchdog)

    def _pend(self, call: _Call) -> None:
        """A commit that arrived and is not released yet waits in the group as usual."""
        client, world, group = call.client, self.world, self.group
        op = call
        client.arm_timeout(op)
        pending = _Pending(self.timeline, call.lsn_from, call.lsn, call.writes,
                           call.write_id or 0, op.reply_write, call.there, call.prev)
        if call.flushed_at < self.end:
            pending.flushed = True
        else:
            world.call_at(call.flushed_at, group._flushed, pending)
        group._pending.append(pending)
