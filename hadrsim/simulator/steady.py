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
would time out, a commit the watchdog would give up on, batches overtaking each
other on a link, a lookup that leads outside the group. (Acknowledgements that
overtake are modelled: a later one covers the earlier commits, as ``acked_lsn``
does.) Laws that do not change when a client's call ends (an apply or ship lag) are
drawn where the events would draw them, at the commit or at the receipt, in time
order.
Anything that changes the world (:meth:`World.touched`) makes the state be
checked again before the next window.

Exact in law, not draw for draw: what decides when a steady call ends comes from
its client's own streams (:class:`CallLaws`): a row of network jitter per call
(:class:`RowSampler`: the request, the reply, each follower's copy of a write and
its acknowledgement), the commit's flush and each acknowledging follower's flush.
Other messages see other (equally distributed) values, and which value a call gets
does not depend on how the clients' calls interleave. With no jitter and fixed
flushes, a run records the same calls, commits and applies in both history modes
(tests/simulator/test_steady.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hadrsim.simulator.random import RowSampler, Sampler, Streams
from hadrsim.simulator.steady_window import Shape, Votes, Window, voters
from hadrsim.simulator.streaks import answers_like_a_node

if TYPE_CHECKING:
    from hadrsim.simulator.client import ObservedClient
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.service import Service
    from hadrsim.simulator.world import Timer, World


class CallLaws:
    """The draws of one client's steady calls, each law on a stream of the client's own.

    A call takes a row of network jitter (:class:`RowSampler`); a write also takes one
    commit flush and, from each follower that acknowledges it, one wait before the
    acknowledgement (its flush). Which value a call gets then depends only on the
    client's own earlier calls, never on how the calls of all clients interleave, which
    is what working a client's calls out on their own, in bulk, needs
    (:mod:`hadrsim.simulator.steady_bulk`). The values are the same laws' draws as the
    shared streams the events draw from, so a run is the same in law.
    """

    __slots__ = ("jitter", "_streams", "_prefix", "_samplers")

    def __init__(self, streams: Streams, client: str, jitter_law):
        self._streams = streams
        self._prefix = f"steady/{client}"
        self.jitter = RowSampler(jitter_law, streams.generator(self._prefix))
        self._samplers: dict[str, Sampler] = {}

    def of(self, law: Sampler, tag: str) -> Sampler:
        """``law`` on this client's stream ``tag`` (``"flush"``, ``"ack/<follower>"``)."""
        sampler = self._samplers.get(tag)
        if sampler is None:
            sampler = self._samplers[tag] = law.on(self._streams, f"{self._prefix}/{tag}")
        return sampler


class SteadyRuns:
    """The compressed clients of one single-writer service whose calls succeed."""

    def __init__(self, world: World, net: Network, service: Service):
        self.world = world
        self.net = net
        self.service = service
        self._laws: dict[ObservedClient, CallLaws] = {}
        self.next: dict[ObservedClient, float] = {}  # clients taken over: their next call
        self._shape: Shape | None | bool = None  # None: not checked since the last touch
        self._wake: Timer | None = None
        self._paths: dict[tuple[str, str], bool] = {}
        # (client, is_write) -> (node, cached until, serves, TTL-0 chain or None) since
        # the last touch: Window._route's lookups that need not be redone
        self.routes: dict[tuple[ObservedClient, bool], tuple] = {}
        world.on_touch(self._touched)

    def adopt(self, client: ObservedClient, at_s: float) -> bool:
        """Take ``client`` over from its next call at ``at_s``; False if not steady now."""
        if self.steady() is None:
            self.next.pop(client, None)  # its own event from now on
            return False
        self.next[client] = at_s
        self._arm()
        return True

    def laws(self, client: ObservedClient) -> CallLaws:
        """What ``client``'s steady calls draw, on its own streams."""
        laws = self._laws.get(client)
        if laws is None:
            laws = self._laws[client] = CallLaws(self.world.streams, client.name,
                                                 self.net.jitter_law)
        return laws

    def clear(self, src: str, dst: str) -> bool:
        """Every message from ``src`` to ``dst`` arrives (reachable, no loss)."""
        key = (src, dst)
        known = self._paths.get(key)
        if known is None:
            net = self.net
            known = self._paths[key] = net.reachable(src, dst) and net.loss_between(src, dst) == 0
        return known

    def steady(self) -> tuple[Shape, Votes] | None:
        """The group as it stands and who a commit waits for, if steady arithmetic
        applies now; None if not."""
        if self._shape is None:
            self._shape = _check(self) or False
        shape = self._shape
        if shape is False:
            return None
        votes = _still(self.service.group, shape)  # type: ignore[arg-type]
        return None if votes is None else (shape, votes)  # type: ignore[return-value]

    def _touched(self) -> None:
        self._shape = None
        self._paths.clear()
        self.routes.clear()

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
        steady = self.steady()
        if steady is None:  # not steady any more: one event per call again
            for client, at in self.next.items():
                client.tick_at(at)
            self.next.clear()
            return
        Window(self, *steady).run()
        self._arm()


def _answers(node: Node) -> bool:
    """It answers now, the way :class:`Node` does, with no cold-start draw."""
    cold = node.cold_start
    return (node.responsive and answers_like_a_node(node)
            and (cold is None or cold.penalty is None or cold.until_s <= node.world.now))


def _check(runs: SteadyRuns) -> Shape | None:
    """Who receives and who can be read, if the group's writes commit by the arithmetic
    here (every message certain to arrive or certain to vanish)."""
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
    return Shape(group, live, readable)


def _still(group: ReplicationGroup, shape: Shape) -> Votes | None:
    """What changes without a touch (commits under way, who is in sync, catching up):
    who a commit waits for now, or None if a window cannot start."""
    if group is not shape.group or group.has_pending() or group.fenced:
        return None
    primary = group.primary
    for link in shape.live:
        node = link.follower
        if link.counts_for_commit and not link.in_sync and not group.strict_quorum:
            return None  # catching up: it is about to rejoin the commit set
        if node.timeline is not primary.timeline or node.lsn > primary.lsn \
                or node.applied_timeline is not primary.timeline:
            return None
    return voters(group, shape)
