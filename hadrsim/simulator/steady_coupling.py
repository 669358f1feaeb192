"""What couples the calls of different clients in a steady window, and whether it holds.

:mod:`hadrsim.simulator.steady_bulk` lays each client's calls out on its own; these
are the checks on the merged calls, in the order the events would meet them: the
copies each write sends (:class:`Ships`, with a link's ship lag drawn per regime from
its shared law), a copy that would overtake an earlier one, a write arriving while the
commit before it is pending (commits leave in order), and the replication watchdog's
rounds. A call that fails a check is marked ``bad``: nothing from it on is laid out.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.replication import FollowerLink
    from hadrsim.simulator.steady_bulk import Planned
    from hadrsim.simulator.steady_window import Window


_NO_LAG: dict = {}  # Ships' regimes and draws after a write when no link has a ship lag


class Ships:
    """When each write's copies leave and arrive, link by link, in arrival order, as
    Window._ship sends them; a link with a ship lag draws it per regime from its shared
    law, peeked, not used yet. ``received[n][i]`` is None for a copy that vanishes (its
    follower unreachable), and ``sent[n][i]`` None for a follower that takes nothing."""

    def __init__(self, window: Window, writes: list[Planned]):
        net, primary = window.net, window.primary
        self.links = list(window.group.links.values())
        self.live = [link in window.shape.live for link in self.links]
        self.sent: list[list[float | None]] = []
        self.received: list[list[float | None]] = []
        self.states: list[dict] = []  # after each write: each lagged link's regime
        self._draws: dict[int, tuple[Sampler, list[float]]] = {}
        self._used: list[dict[int, int]] = []
        taking = [not link.follower.inbound_broken for link in self.links]
        reachable = [net.reachable(primary.az, link.follower.az) for link in self.links]
        state = {i: (link._lag, link._lag_until, link._last_send)
                 for i, link in enumerate(self.links)
                 if link.config.ship_lag is not None and taking[i]}
        used: dict[int, int] = {}
        for call in writes:
            sent: list[float | None] = []
            received: list[float | None] = []
            for i, link in enumerate(self.links):
                at = call.there
                if not taking[i]:
                    sent.append(None)
                    received.append(None)
                    continue
                if i in state:
                    at = self._lagged(i, link, at, state, used)
                sent.append(at)
                received.append(at + call.delays[i] if reachable[i] or self.live[i] else None)
            self.sent.append(sent)
            self.received.append(received)
            # no link with a ship lag (the commonest): one shared empty dict, read only
            self.states.append(dict(state) if state else _NO_LAG)
            self._used.append(dict(used) if used else _NO_LAG)

    def _lagged(self, i: int, link: FollowerLink, at: float, state: dict, used: dict) -> float:
        lag, until, last = state[i]
        if at >= until:
            law = link.config.ship_lag
            assert law is not None
            n = used.get(id(law), 0)
            lag = self._draw(law, n)
            used[id(law)] = n + 1
            until = at + link.config.lag_regime_s
        send_at = max(at + lag, last)
        state[i] = (lag, until, send_at)
        return at + (send_at - at)

    def _draw(self, law: Sampler, n: int) -> float:
        known = self._draws.get(id(law))
        if known is None or n >= len(known[1]):
            known = self._draws[id(law)] = (law, law.peek_list(max(64, 2 * n + 1)))
        return known[1][n]

    def used(self, kept: int) -> dict[Sampler, int]:
        """Each lagged law's draws the first ``kept`` writes used (all peeked ones end)."""
        counts = self._used[kept - 1] if kept else {}
        return {law: counts.get(key, 0) for key, (law, _values) in self._draws.items()}

    def settle(self, kept: int) -> None:
        """Leave each lagged link's regime as the first ``kept`` writes left it."""
        if not kept:
            return
        for i, (lag, until, last) in self.states[kept - 1].items():
            link = self.links[i]
            link._lag, link._lag_until, link._last_send = lag, until, last


def ship(window: Window, writes: list[Planned]) -> Ships:
    """Copies in arrival order; one that would not arrive after the one before it on
    its link (the events deliver it) marks its write."""
    ships = Ships(window, writes)
    live = [i for i, is_live in enumerate(ships.live) if is_live]
    last = {i: window.last_receipt[ships.links[i]] for i in live}
    for call, received in zip(writes, ships.received, strict=True):
        for i in live:
            arrives = received[i]
            assert arrives is not None  # a live follower receives
            if arrives <= last[i]:
                call.bad = True
            last[i] = max(last[i], arrives)
    return ships


def check_commits(window: Window, writes: list[Planned]) -> None:
    """Commits leave in order: a write arriving while the one before is pending is
    coupled to it (both are marked). The watchdog's rounds (armed by a write, again
    while one is pending) must not give up on a follower."""
    group = window.group
    for before, call in pairwise(writes):
        if call.there < before.ready:
            before.bad = call.bad = True
    if not group.watches_commits():
        return
    for call, _at in watchdog_rounds(window, writes, float("inf")):
        if call is not None:
            call.bad = True


def watchdog_rounds(window: Window, writes: list[Planned], until: float):
    """The watchdog's rounds before ``until`` as Window._watchdog runs them: yields
    (the write it would give up on or None, the round's time); its last state is in
    ``window.watchdog_armed`` / ``watchdog_at`` afterwards when ``until`` is finite."""
    timeout = window.group.sync_timeout_s
    armed, at = window.watchdog_armed, window.watchdog_at
    i = 0
    while True:
        arrival = writes[i].there if i < len(writes) else float("inf")
        if armed and at is not None and at < arrival:
            if at >= until:
                break
            last = writes[i - 1] if i else None  # commits leave in order: only the last
            pending = last if last is not None and last.there <= at < last.ready else None
            if pending is None:
                armed, at = False, None
            elif at - pending.there >= timeout:
                yield pending, at
                armed, at = False, None
            else:
                at = at + (max(pending.there + timeout, at + 1e-6) - at)
            continue
        if arrival >= until:
            break
        if not armed:
            armed, at = True, arrival + ((arrival + timeout) - arrival)
        i += 1
    if until != float("inf"):
        window.watchdog_armed, window.watchdog_at = armed, at


__all__ = ["Ships", "check_commits", "ship", "watchdog_rounds"]
