"""A steady window's copies to its followers: applied, handed back, or run on their way.

At its end a window applies the copies that reached their followers and hands the rest
back to the ordinary events (:func:`hand_back_copies`). It also runs some world events
itself: an asynchronous replica's batches on their way.

A follower behind a ship lag (a cross-Region read replica) gets each batch by two world
events: the send, once the lag is over, then the delivery. A window hands its writes'
late copies back as such events, and the next window used to end at the first of them.
So a design with an asynchronous replica had windows of about 0.1 s: in a simulated year
of ``experiments/year-of-faults.yaml``, 2,985 of 3,297 windows ended that way, and
handing back the calls under way at each end cost more than the calls.

Such an event changes nothing the window's calls depend on. So the window runs it
itself (:func:`absorb`), at its instant, through the world's own code
(:meth:`World.run_next_call`), and goes on. The shared draws (the batch's network
jitter) are then made in the same order as by the events one by one. Before a delivery,
the window applies its own copies that arrived earlier, in the order its hand-back would
have (:func:`apply_before`). The follower then skips or applies the batch as it would
have, and the run's apply records stay in time order.

Only these batches are run here:
- to a live follower that neither acknowledges nor delays what it applies;
- on the window's timeline;
- ``FollowerLink._send_if_alive``, and ``Network._deliver`` of ``FollowerLink._receive``.

Any other event ends the window, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hadrsim.simulator.network import Network
from hadrsim.simulator.records import Apply
from hadrsim.simulator.replication import FollowerLink

if TYPE_CHECKING:
    from hadrsim.simulator.steady_window import Window


def absorb(window: Window) -> bool:
    """Run the world's next event inside ``window`` if it is a batch on its way to a
    follower it may run (module docstring); then the window lasts to the next other
    event. Whether it did."""
    world = window.world
    if window.end >= world.horizon_s:
        return False
    upcoming = world.next_call()
    if upcoming is None or upcoming[0] != window.end:
        return False
    at, fn, args = upcoming
    delivery = getattr(fn, "__func__", None) is Network._deliver
    link, timeline = _batch(args[2], *args[3]) if delivery else _batch(fn, *args)
    if link is None or not _runs_here(window, link, timeline):
        return False
    if delivery:
        apply_before(window, at)
    world.run_next_call()
    window.end = min(world.next_event_at(), world.horizon_s)
    return True


def _batch(fn: Any, *args: Any) -> tuple[FollowerLink | None, Any]:
    """The follower link and timeline of a batch's send or receipt; (None, None) if
    ``fn`` is neither."""
    if getattr(fn, "__func__", None) in (FollowerLink._send_if_alive, FollowerLink._receive):
        return fn.__self__, args[0]
    return None, None


def _runs_here(window: Window, link: FollowerLink, timeline: Any) -> bool:
    return (link.group is window.group and link in window.shape.live
            and not link.acknowledges and link.config.apply_lag is None
            and timeline is window.timeline and link.follower.timeline is window.timeline)


def apply_before(window: Window, at: float) -> None:
    """Apply the window's own copies that arrived before ``at`` and are not applied yet,
    in the hand-back's order (:func:`hand_back_copies`, which then skips them)."""
    waiting = window.copies_waiting
    while window.copies_seen < len(window.written):
        call = window.written[window.copies_seen]
        waiting.extend((call.lsn, leg) for leg in call.legs)
        window.copies_seen += 1
    due, still = [], []
    for lsn, leg in waiting:
        _link, sent, received, visible, _acked, live = leg
        if live and sent < at and visible is not None and received < at:
            due.append((received, sent, lsn, leg[0]))
            window.applied_copies.add(id(leg))
        elif live:
            still.append((lsn, leg))  # arrives later (or the events deliver it)
    window.copies_waiting = still
    _apply(window, due)


def hand_back_copies(window: Window) -> None:
    """At the window's end, followers hold the copies that reached them before it; the
    rest is still travelling (or waiting out a ship lag), as ordinary events."""
    end, world, net = window.end, window.world, window.net
    primary, timeline = window.primary, window.timeline
    due = []
    for call in window.written:
        lsn = call.lsn
        for leg in call.legs:
            link, sent, received, visible, acked, live = leg
            node = link.follower
            if sent >= end:  # still waiting out its ship lag at the primary
                world.call_at(sent, link._send_if_alive, timeline, lsn)
                continue
            if not live:  # dropped, or ignored by a node that was down throughout
                if received is not None and received >= end:  # unless it lands later
                    net.deliver_at(received, primary.az, node.az, link._receive, timeline, lsn)
                continue
            if received >= end or visible is None:
                net.deliver_at(received, primary.az, node.az, link._receive, timeline, lsn)
                continue
            if id(leg) not in window.applied_copies:  # not applied already (apply_before)
                due.append((received, sent, lsn, link))
            if visible >= end:
                world.call_at(visible, node.make_visible, timeline, lsn)
            if acked is None:
                continue
            if acked < end:
                link.acked_lsn = max(link.acked_lsn, lsn)
            else:
                net.deliver_at(acked, node.az, primary.az, window.group.on_ack, link,
                               timeline, lsn)
    _apply(window, due)
    for node, seen in window.seen.items():
        for visible, lsn in reversed(seen):
            if visible < end:
                if lsn > node.applied_lsn:
                    node.applied_timeline, node.applied_lsn = timeline, lsn
                break


def _apply(window: Window, due: list[tuple[float, float, int, FollowerLink]]) -> None:
    """Copies ``(received, sent, lsn, link)`` applied in the order they arrived."""
    due.sort(key=lambda a: (a[0], a[1], a[2]))
    primary, timeline, rec = window.primary, window.timeline, window.world.rec
    for received, _sent, lsn, link in due:
        node = link.follower
        node.timeline, node.lsn = timeline, max(node.lsn, lsn)
        rec.applies.append(Apply(received, node.name, primary.name, timeline.tid, lsn))
