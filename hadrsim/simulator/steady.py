"""Steady runs: the calls that succeed, simulated without an event per message.

Between two changes of the world, a call to a single-writer service goes the same
way every time: the request travels, the primary appends the write, flushes it
and ships it, the followers that count acknowledge, the reply travels back. Each
step is a delay drawn from a known law, so nothing but arithmetic needs to happen
at each step. :class:`SteadyRuns` does that arithmetic for every compressed
client whose calls go to the active group, in time order, up to the next event
anything else has scheduled (:meth:`World.next_event_at`): within that window
nothing else can look at or change the state, so the records, the primary's log,
the followers' positions and every client's next call are exactly what the
events one by one would have produced, with the same laws.

At the window's end whatever is still under way goes back to the ordinary
machinery where it is: a request or a reply travelling, a commit waiting for its
flush or an acknowledgement, a batch on its way to a follower, a follower's
acknowledgement on its way back, the replication watchdog. A window also ends
early, at that instant, on anything this arithmetic does not model: a call that
would time out, a commit the watchdog would give up on, batches or
acknowledgements overtaking each other, a lookup that leads outside the group.
Anything that changes the world (:meth:`World.touched`) makes the state be
checked again before the next window.

Exact in law, not draw for draw: the network delays of steady calls come from
their own stream, so other messages see other (equally distributed) jitter. With
no jitter, a run records the same calls, commits and applies in both history
modes (tests/simulator/test_steady.py).
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush
from itertools import count
from typing import TYPE_CHECKING

from hadrsim.simulator.log import version
from hadrsim.simulator.node import Node
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.records import Apply, Commit
from hadrsim.simulator.replication import _Pending
from hadrsim.simulator.streaks import answers_like_a_node
from hadrsim.simulator.vocabulary import OpKind, Outcome

if TYPE_CHECKING:
    from hadrsim.simulator.client import ObservedClient
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.replication import FollowerLink, ReplicationGroup
    from hadrsim.simulator.service import Service
    from hadrsim.simulator.world import Timer, World

_INVOKE, _ARRIVE, _RECEIVE, _RELEASE, _DONE, _WATCHDOG = range(6)


class _Call:
    """One call under way in a window."""

    __slots__ = ("client", "is_write", "key", "write_id", "invoke", "node", "there",
                 "lsn_from", "lsn", "writes", "prev", "flushed_at", "ready_at", "legs",
                 "value", "version", "done_at", "arrived", "acks", "waiting")

    def __init__(self, client: ObservedClient, is_write: bool, key: int,
                 write_id: int | None, invoke: float, node: Node, there: float):
        self.client = client
        self.is_write = is_write
        self.key = key
        self.write_id = write_id
        self.invoke = invoke
        self.node = node
        self.there = there
        self.arrived = False
        self.acks: dict = {}  # voter link -> when it acknowledged this commit (or a later one)
        self.waiting = 0  # voters' acknowledgements not known yet
        self.done_at: float | None = None
        self.value = write_id
        self.version: int | None = None
        self.prev: int | None = None
        self.lsn_from = self.lsn = self.writes = 0
        self.flushed_at = 0.0
        self.ready_at = float("inf")  # known once every voter's acknowledgement is
        # per follower: [link, sent, received, visible, acked]; visible None: not applied
        # in this window (the events deliver it)
        self.legs: list[tuple] = []


class _Shape:
    """What stays fixed between two touches: the group, who receives, who can be read."""

    def __init__(self, group: ReplicationGroup, live: list[FollowerLink], readable: set[Node]):
        self.group = group
        self.live = live  # followers that receive what the primary ships
        self.readable = readable  # copies that answer reads


class SteadyRuns:
    """The compressed clients of one single-writer service whose calls succeed."""

    def __init__(self, world: World, net: Network, service: Service):
        self.world = world
        self.net = net
        self.service = service
        self.jitter = Sampler(net.jitter_law, world.streams.generator("steady/jitter"))
        self.next: dict[ObservedClient, float] = {}  # clients taken over: their next call
        self._shape: _Shape | None | bool = None  # None: not checked since the last touch
        self._wake: Timer | None = None
        self._paths: dict[tuple[str, str], bool] = {}
        world.on_touch(self._touched)

    def adopt(self, client: ObservedClient, at_s: float) -> bool:
        """Take ``client`` over from its next call at ``at_s``; False if not steady now."""
        if self.shape() is None:
            self.next.pop(client, None)  # its own event from now on
            return False
        self.next[client] = at_s
        self._arm()
        return True

    def clear(self, src: str, dst: str) -> bool:
        """Every message from ``src`` to ``dst`` arrives (reachable, no loss)."""
        key = (src, dst)
        known = self._paths.get(key)
        if known is None:
            net = self.net
            known = self._paths[key] = net.reachable(src, dst) and net.loss_between(src, dst) == 0
        return known

    def shape(self) -> _Shape | None:
        """The group as it stands if steady arithmetic applies to it now, else None."""
        if self._shape is None:
            self._shape = _check(self) or False
        shape = self._shape
        if shape is False or not _still(self.service.group, shape):  # type: ignore[arg-type]
            return None
        return shape  # type: ignore[return-value]


    def _touched(self) -> None:
        self._shape = None
        self._paths.clear()

    def _arm(self) -> None:
        world = self.world
        if self._wake is not None:
            world.cancel(self._wake)
            self._wake = None
        if self.next:
            at = min(self.next.values())
            self._wake = world.call_cancellable(max(at - world.now, 0.0), self._run)

    def _run(self) -> None:
        self._wake = None
        shape = self.shape()
        if shape is None:  # not steady any more: one event per call again
            for client, at in self.next.items():
                client.tick_at(at)
            self.next.clear()
            return
        _Window(self, shape).run()
        self._arm()


def _answers(node: Node) -> bool:
    """It answers now, the way :class:`Node` does, with no cold-start draw."""
    cold = node.cold_start
    return (node.responsive and answers_like_a_node(node)
            and (cold is None or cold.penalty is None or cold.until_s <= node.world.now))


def _check(runs: SteadyRuns) -> _Shape | None:
    """Who receives, who counts and who can be read, if the group's writes commit by the
    arithmetic here (every message certain to arrive or certain to vanish)."""
    group = runs.service.group
    primary, net = group.primary, runs.net
    if not _answers(primary) or primary.write_refusal() is not None \
            or group.rpo_limit_s is not None:
        return None
    live = []
    for link in group.links.values():
        node = link.follower
        if not node.responsive or node.inbound_broken or not net.reachable(primary.az, node.az):
            continue  # nothing it is sent arrives, or it ignores it
        if not runs.clear(primary.az, node.az):
            return None  # a lossy path: each batch is a draw
        if link.acknowledges and not runs.clear(node.az, primary.az):
            return None  # it applies, and its acknowledgements are lost or drawn
        live.append(link)
    readable = {primary} | {link.follower for link in group.links.values()
                            if _answers(link.follower) and link.follower.read_refusal() is None}
    return _Shape(group, live, readable)


def _voters(group: ReplicationGroup, shape: _Shape) -> tuple[int, list[FollowerLink]] | None:
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


def _still(group: ReplicationGroup, shape: _Shape) -> bool:
    """What changes without a touch: commits under way, who is in sync, catching up."""
    if group is not shape.group or group.has_pending() or group.fenced \
            or _voters(group, shape) is None:
        return False
    primary = group.primary
    for link in shape.live:
        node = link.follower
        if link.counts_for_commit and not link.in_sync and not group.strict_quorum:
            return False  # catching up: it is about to rejoin the commit set
        if node.timeline is not primary.timeline or node.lsn > primary.lsn \
                or node.applied_timeline is not primary.timeline:
            return False
    return True


class _Window:
    """Everything the taken-over clients do from now until the next other event."""

    def __init__(self, runs: SteadyRuns, shape: _Shape):
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
        self.written: list[_Call] = []
        self.last_receipt = {link: -1.0 for link in shape.live}
        self.seen: dict[Node, list[tuple[float, int]]] = {}
        self.needed, self.voters = _voters(self.group, shape) or (0, [])  # _still checked it
        self.watchdog_armed = self.group._watchdog_armed
        self.watchdog_at: float | None = None  # one this window set (not the world's)

    def push(self, at: float, kind: int, item) -> None:
        heappush(self.events, (at, next(self.seq), kind, item))

    def run(self) -> None:
        runs, t0 = self.runs, self.t0
        for client, at in list(runs.next.items()):
            if at < self.end or at <= t0:
                del runs.next[client]
                self.push(at, _INVOKE, client)
        events = self.events
        handlers = (self._invoke, self._arrive, self._receive, self._release, self._done,
                    self._watchdog)
        timeout = self.world.horizon_s
        while events:
            at, _, kind, item = events[0]
            if at >= self.end and not (kind == _INVOKE and at <= t0):
                break
            if self.flight:
                timeout = min(c.invoke for c in self.flight.values()) + self._timeout_s
                if timeout <= at:
                    self.end = timeout  # a call times out: the events decide
                    break
            heappop(events)
            if not handlers[kind](at, item):
                self.end = at
                break
        for at, _, kind, item in events:
            if kind == _INVOKE:  # not reached: the client's next call, as it was
                runs.next[item] = at
        self._hand_back()

    @property
    def _timeout_s(self) -> float:
        return next(iter(self.flight)).spec.op_timeout_s

    def _delay(self, src: str, dst: str) -> float:
        return self.net.path_delay_s(src, dst, self.runs.jitter())

    # --- the steps ----------------------------------------------------------------------
    def _invoke(self, at: float, client: ObservedClient) -> bool:
        if at >= self.world.horizon_s:
            return True  # past the horizon the client stops (as its tick would)
        spec = client.spec
        is_write = bool(client.uniform.peek(1)[0] < spec.observed_write_fraction)
        node = client.resolver.lookup(client.endpoint_for(is_write), at)
        if node is None or not self._serves(client, node, is_write):
            client.tick_at(at)  # this call goes the ordinary way
            return False
        client.uniform.skip(1)
        key = int(client.uniform() * spec.observed_keys)
        write_id = next(client.write_ids) if is_write else None
        there = at + self._delay(client.region, node.az)
        call = _Call(client, is_write, key, write_id, at, node, there)
        self.flight[client] = call
        self.push(there, _ARRIVE, call)
        return True

    def _serves(self, client: ObservedClient, node: Node, is_write: bool) -> bool:
        if node is not self.primary and (is_write or node not in self.shape.readable):
            return False
        runs = self.runs
        return runs.clear(client.region, node.az) and runs.clear(node.az, client.region)

    def _arrive(self, at: float, call: _Call) -> bool:
        call.arrived = True
        if not call.is_write:
            return self._read(at, call)
        group, primary, timeline = self.group, self.primary, self.timeline
        due = group.background_rate * (at - group._last_commit_s) + group._carry
        background = int(due)
        group._carry = due - background
        group._last_commit_s = at
        call.lsn_from = primary.lsn + 1
        call.lsn = lsn = primary.lsn + background + 1
        call.writes = background + 1
        call.prev = timeline.read(primary.lsn, call.key)[0]
        timeline.append(lsn, call.write_id, call.key)
        primary.adopt(timeline, lsn)
        group.positions.append((at, timeline, lsn))
        self.written.append(call)
        self.pending.append(call)
        ok = self._ship(at, call)
        call.flushed_at = at + group.flush()  # drawn after the shipping, as commit() does
        if not ok:
            call.ready_at = float("inf")
            return False
        if not call.waiting:
            self._ready(call)
            self.push(call.ready_at, _RELEASE, call)
        if not self.watchdog_armed and not group.strict_quorum and any(
                link.in_sync for link in group.links.values()):
            self.watchdog_armed = True
            self.watchdog_at = at + ((at + group.sync_timeout_s) - at)  # as _arm_watchdog
            self.push(self.watchdog_at, _WATCHDOG, None)
        return True

    def _ready(self, call: _Call) -> None:
        """When ``call`` may be released: flushed, and acknowledged by enough voters."""
        call.ready_at = call.flushed_at
        if self.needed:
            acks = sorted(call.acks.values())
            call.ready_at = max(call.ready_at, acks[self.needed - 1])

    def _ship(self, at: float, call: _Call) -> bool:
        """Each follower's copy of the batch, sent as FollowerLink.ship sends it.

        A copy whose arrival draws something (an apply lag, an acknowledgement's flush)
        arrives as an event of this window, so shared laws are drawn in the order the
        arrivals happen. False when a batch would overtake an earlier one (the window
        ends at this commit; its copies travel as ordinary messages)."""
        primary, live, ok = self.primary, self.shape.live, True
        for link in self.group.links.values():
            config = link.config
            if link.follower.inbound_broken:
                continue
            sent = at
            if config.ship_lag is not None:  # as FollowerLink.ship: the lag regime moves on
                if at >= link._lag_until:
                    link._lag = config.ship_lag()
                    link._lag_until = at + config.lag_regime_s
                send_at = max(at + link._lag, link._last_send)
                link._last_send = send_at
                sent = at + (send_at - at)  # when FollowerLink.ship's event runs
            if link not in live:
                continue
            node = link.follower
            received = sent + self._delay(primary.az, node.az)
            leg = [link, sent, received, None, None]
            call.legs.append(leg)
            ok = ok and received > self.last_receipt[link]
            if not ok:
                continue  # the events deliver it
            self.last_receipt[link] = received
            if config.apply_lag is not None or link.acknowledges:
                if link in self.voters:
                    call.waiting += 1
                self.push(received, _RECEIVE, (call, leg))
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
        flush = config.flush
        wait = flush() if (flush is not None and config.ack_on == "flush") else 0.0
        leg[4] = acked = at + (wait + self._delay(node.az, self.primary.az))
        if link not in self.voters:
            return True
        call.acks[link] = acked
        for earlier in self.pending:  # an acknowledgement carries the follower's position:
            if earlier is call:  # it also acknowledges every earlier commit
                break
            if acked < earlier.acks.get(link, acked):
                earlier.acks[link] = acked
                if not earlier.waiting:
                    before = earlier.ready_at
                    self._ready(earlier)
                    if earlier.ready_at < before:
                        self.push(earlier.ready_at, _RELEASE, earlier)
        call.waiting -= 1
        if not call.waiting:
            self._ready(call)
            self.push(call.ready_at, _RELEASE, call)
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
        call.done_at = at + self._delay(node.az, call.client.region)
        self.push(call.done_at, _DONE, call)
        return True

    def _release(self, at: float, _call: _Call) -> bool:
        """Commits leave in order, each once it is flushed and acknowledged enough."""
        pending, primary, rec = self.pending, self.primary, self.world.rec
        while pending and pending[0].ready_at <= at:
            call = pending.popleft()
            call.version = version(self.timeline.tid, call.lsn)
            rec.commits.append(Commit(at, primary.name, self.timeline.tid, call.lsn_from,
                                      call.lsn, call.writes, (call.write_id,)))
            call.done_at = at + self._delay(primary.az, call.client.region)
            self.push(call.done_at, _DONE, call)
        return True

    def _done(self, at: float, call: _Call) -> bool:
        client = call.client
        del self.flight[client]
        kind = OpKind.WRITE if call.is_write else OpKind.READ
        client.log_op(kind, call.key, call.value, call.version, call.invoke, at, Outcome.OK,
                      call.node.name, None, call.prev)
        following = at + client.next_delay(False, at)
        client.note_wake(following)
        if following < self.world.horizon_s:
            self.push(following, _INVOKE, client)
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
        self._settle_followers()
        for call in self.pending:  # commit order, as the group keeps them
            self._pend(call)
        for call in self.flight.values():
            if call.arrived and call.done_at is None:
                continue  # a commit waiting in the group (above)
            client, node = call.client, call.node
            op = client.new_op(call.is_write, call.key, call.write_id, call.invoke, node)
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
                net.deliver_at(call.done_at, node.az, client.region, client.finish, op,
                               Outcome.OK, call.value, call.version, None, *extra)
        if self.watchdog_at is not None and self.watchdog_armed:
            group._watchdog_armed = True
            world.call_at(self.watchdog_at, group._watchdog)

    def _pend(self, call: _Call) -> None:
        """A commit that arrived and is not released yet waits in the group as usual."""
        client, world, group = call.client, self.world, self.group
        op = client.new_op(True, call.key, call.write_id, call.invoke, call.node)
        client.arm_timeout(op)
        pending = _Pending(self.timeline, call.lsn_from, call.lsn, call.writes, call.write_id,
                           op.reply_write, call.there, call.prev)
        if call.flushed_at < self.end:
            pending.flushed = True
        else:
            world.call_at(call.flushed_at, group._flushed, pending)
        group._pending.append(pending)

    def _settle_followers(self) -> None:
        """Followers hold what reached them before ``end``; the rest is still travelling."""
        end, world, net = self.end, self.world, self.net
        primary, timeline = self.primary, self.timeline
        applies = []
        for call in self.written:
            lsn = call.lsn
            for link, sent, received, visible, acked in call.legs:
                node = link.follower
                if received >= end or visible is None:
                    if sent >= end:
                        world.call_at(sent, link._send_if_alive, timeline, lsn)
                    else:
                        net.deliver_at(received, primary.az, node.az, link._receive,
                                       timeline, lsn)
                    continue
                applies.append((received, sent, lsn, link))
                if visible >= end:
                    world.call_at(visible, node.make_visible, timeline, lsn)
                if acked is None:
                    continue
                if acked < end:
                    link.acked_lsn = max(link.acked_lsn, lsn)
                else:
                    net.deliver_at(acked, node.az, primary.az, self.group.on_ack, link,
                                   timeline, lsn)
        applies.sort(key=lambda a: (a[0], a[1], a[2]))
        rec = world.rec
        for received, _sent, lsn, link in applies:
            node = link.follower
            node.timeline, node.lsn = timeline, max(node.lsn, lsn)
            rec.applies.append(Apply(received, node.name, primary.name, timeline.tid, lsn))
        for node, seen in self.seen.items():
            for visible, lsn in reversed(seen):
                if visible < end:
                    if lsn > node.applied_lsn:
                        node.applied_timeline, node.applied_lsn = timeline, lsn
                    break
