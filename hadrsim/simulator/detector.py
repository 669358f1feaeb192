"""Failure detection by periodic health checks (heartbeats with a threshold).

A detector probes a target from an observer location every ``interval_s`` on a
fixed grid (its phase drawn once per run) and declares it down after
``failure_threshold`` consecutive failed probes, so detection takes between
``(threshold - 1) x interval + timeout`` and ``threshold x interval + timeout``
(one Route 53 checker, calibration.md §8, S19; the record's vote over many
uncoordinated checkers is in :mod:`hadrsim.simulator.dns_failover`).
While nothing in the world changes every probe would succeed, so the detector
sleeps and is woken by :meth:`World.changed`; probing resumes on the same grid.
This is an exact shortcut, not an approximation: a probe's outcome depends only
on the state that a change notification announces. In a compressed run
(``World.compressed``) a target already declared down that certainly cannot answer
(it is not responsive, or a path to it is cut) also lets the detector sleep until
the next change (:meth:`World.touched`): a Region or a both-down pair that stays
down for hours no longer costs a probe a second. Exact in law: the probes skipped
would only have drawn network jitter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.world import World


class FailureDetector:
    """Calls ``on_down(node)`` once per outage of the target it watches.

    If given, ``on_up(node)`` is called once when a target that was declared down
    passes a probe again (the first success, not ``failure_threshold`` of them).
    """

    def __init__(
        self,
        world: World,
        net: Network,
        name: str,
        observer: Callable[[], str],
        target: Callable[[], Node | None],
        on_down: Callable[[Node], None],
        *,
        interval_s: float,
        failure_threshold: int,
        timeout_s: float,
        on_up: Callable[[Node], None] | None = None,
    ):
        self.world = world
        self.net = net
        self.name = name
        self.observer = observer
        self.target = target
        self.on_down = on_down
        self.on_up = on_up
        self.interval_s = interval_s
        self.threshold = failure_threshold
        self.timeout_s = min(timeout_s, interval_s)
        self.phase = float(world.streams.generator(f"detector/{name}").uniform(0, interval_s))
        self.failures = 0
        self.successes = 0
        self.down = False
        self.enabled = True
        self._armed = False
        self._generation = 0
        self._touched_at = -math.inf
        self._asleep_while_down = False
        world.on_change(self.wake)
        world.on_touch(self._touched)

    def _touched(self) -> None:
        self._touched_at = self.world.now
        if self._asleep_while_down:
            self._asleep_while_down = False
            self.wake()

    def wake(self) -> None:
        """Something changed: probe again from the next grid point."""
        if self._armed or not self.enabled:
            return
        self._armed = True
        self._generation += 1
        now = self.world.now
        k = math.ceil((now - self.phase) / self.interval_s)
        next_probe = self.phase + k * self.interval_s
        if next_probe <= now:
            next_probe += self.interval_s
        self.world.call_later(next_probe - now, self._probe, self._generation)

    def _sleep(self) -> None:
        self._armed = False
        self._asleep_while_down = False
        self._generation += 1

    def _probe(self, generation: int) -> None:
        if generation != self._generation or not self.enabled:
            return
        node = self.target()
        observer = self.observer()
        if node is None or not self.net.is_up(observer):
            self._sleep()  # nothing to watch, or the observer is down: wait for a change
            return
        answered = [False]

        def reply() -> None:
            answered[0] = True

        self.net.send(
            observer, node.az, node.receive_ping,
            lambda: self.net.send(node.az, observer, reply),
        )
        self.world.call_later(self.timeout_s, self._judge, node, answered, generation)
        self.world.call_later(self.interval_s, self._probe, generation)

    def _judge(self, node: Node, answered: list[bool], generation: int) -> None:
        if generation != self._generation:
            return
        if answered[0]:
            recovered = self.down
            self.failures = 0
            self.successes += 1
            self.down = False
            if self.successes >= self.threshold:
                self._sleep()
            if recovered and self.on_up is not None:
                self.on_up(node)
            return
        self.successes = 0
        self.failures += 1
        if self.failures >= self.threshold and not self.down:
            self.down = True
            self.on_down(node)
        if self.down and self.world.compressed and generation == self._generation \
                and self._touched_at < self.world.now - self.timeout_s \
                and self._cannot_answer(node):
            self._sleep()  # every probe fails alike until something changes
            self._asleep_while_down = True

    def _cannot_answer(self, node: Node) -> bool:
        """The probe of ``node`` fails for certain now (not a lost message, not a delay)."""
        observer = self.observer()
        return (not node.responsive or not self.net.reachable(observer, node.az)
                or not self.net.reachable(node.az, observer))

    def reset(self) -> None:
        """Forget the current outage (after a failover the target changes)."""
        self.failures = 0
        self.successes = 0
        self.down = False
        self._sleep()
        self.wake()
