"""Locations and the network between them: latency, partitions, loss, outages.

A location is an AZ (where nodes live) or a Region (where clients and control
planes live). A path is blocked when a partition covers it at either the AZ or
the Region level, in that direction. A location is down while an outage covers
it or its Region: outages nest, so overlapping faults compose by counting.
Messages are delivered by scheduled callbacks (no process per message) and are
dropped if the path is blocked or either end is down when sent or delivered.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from hadrsim.simulator.random import Sampler, UniformSampler
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import libm_each


class _Jitter:
    """Multiplicative lognormal jitter with median 1."""

    def __init__(self, sigma: float):
        self.sigma = sigma
        self.mean = 1.0

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return libm_each(math.exp, self.sigma * rng.standard_normal(size))  # any machine


class Network:
    """Reachability and delay between locations."""

    def __init__(
        self,
        world: World,
        regions: dict[str, list[str]],
        inter_az_rtt_ms: float,
        intra_az_rtt_ms: float,
        region_rtt_ms: Callable[[str, str], float],
        jitter_sigma: float,
    ):
        self.world = world
        self._region_of: dict[str, str] = {}
        for region, azs in regions.items():
            self._region_of[region] = region
            for az in azs:
                self._region_of[az] = region
        self._regions = regions
        self._inter_az_s = inter_az_rtt_ms / 2000.0
        self._intra_az_s = intra_az_rtt_ms / 2000.0
        self._region_rtt = region_rtt_ms
        self._base_cache: dict[tuple[str, str], float] = {}
        self.jitter_law = _Jitter(jitter_sigma)  # also drawn by failure streaks, on their streams
        self._jitter = Sampler(self.jitter_law, world.streams.generator("network/jitter"))
        self._loss_draw = UniformSampler(world.streams.generator("network/loss"))
        self.down: Counter[str] = Counter()
        self.blocked: Counter[tuple[str, str]] = Counter()
        # active degradations per directed path: (extra delay s, loss probability)
        self._degraded: dict[tuple[str, str], list[tuple[float, float]]] = {}
        self.extra_delay_s: dict[tuple[str, str], float] = {}
        self.loss: dict[tuple[str, str], float] = {}

    # --- places ------------------------------------------------------------------
    def region_of(self, location: str) -> str:
        return self._region_of[location]

    def azs_of(self, region: str) -> list[str]:
        return self._regions[region]

    def is_up(self, location: str) -> bool:
        """A location is up unless it, or the Region it is in, is in an outage."""
        if not self.down:
            return True
        return self.down[location] == 0 and self.down[self._region_of[location]] == 0

    # --- paths -------------------------------------------------------------------
    def _levels(self, location: str) -> tuple[str, ...]:
        region = self._region_of[location]
        return (location,) if location == region else (location, region)

    def reachable(self, src: str, dst: str) -> bool:
        """Both ends up and no partition in the direction src -> dst."""
        if not (self.is_up(src) and self.is_up(dst)):
            return False
        if self.blocked:
            for a in self._levels(src):
                for b in self._levels(dst):
                    if self.blocked[(a, b)]:
                        return False
        return True

    def base_delay_s(self, src: str, dst: str) -> float:
        """Half the round-trip time between two locations, before jitter."""
        key = (src, dst)
        delay = self._base_cache.get(key)
        if delay is None:
            r_src, r_dst = self._region_of[src], self._region_of[dst]
            if r_src != r_dst:
                delay = self._region_rtt(r_src, r_dst) / 2000.0
            elif src == dst and src != r_src:
                delay = self._intra_az_s
            else:
                delay = self._inter_az_s
            self._base_cache[key] = delay
        return delay

    def delay_s(self, src: str, dst: str) -> float:
        return self.path_delay_s(src, dst, self._jitter())

    def path_delay_s(self, src: str, dst: str, jitter: float) -> float:
        """One message's delay with a given jitter factor (drawn by the caller)."""
        delay = self._base_cache.get((src, dst)) or self.base_delay_s(src, dst)
        delay *= jitter
        if self.extra_delay_s:
            for a in self._levels(src):
                for b in self._levels(dst):
                    delay += self.extra_delay_s.get((a, b), 0.0)
        return delay

    def loss_between(self, src: str, dst: str) -> float:
        """The probability a message from src to dst is lost now."""
        p = 0.0
        if self.loss:
            for a in self._levels(src):
                for b in self._levels(dst):
                    p = max(p, self.loss.get((a, b), 0.0))
        return p

    def _lost(self, src: str, dst: str) -> bool:
        if not self.loss:
            return False
        p = self.loss_between(src, dst)
        return p > 0 and self._loss_draw() < p

    def send(self, src: str, dst: str, fn: Callable[..., Any], *args: Any) -> bool:
        """Deliver ``fn(*args)`` at ``dst`` after the path delay; False if dropped now.

        A message may still be dropped in flight, if the path breaks before delivery.
        """
        return self.send_after(0.0, src, dst, fn, *args)

    def send_after(
        self, wait_s: float, src: str, dst: str, fn: Callable[..., Any], *args: Any
    ) -> bool:
        """Like :meth:`send` for a message that leaves after ``wait_s`` (a flush, a lag).

        One event instead of two; reachability is judged at delivery.
        """
        faulty = self.down or self.blocked
        if faulty and not self.reachable(src, dst):
            return False
        if self.loss and self._lost(src, dst):
            return False
        delay = wait_s + self.delay_s(src, dst)
        self.world.call_later(delay, self._deliver, src, dst, fn, args)
        return True

    def deliver_at(self, at_s: float, src: str, dst: str, fn: Callable[..., Any],
                   *args: Any) -> None:
        """Deliver at ``at_s`` a message already sent (a failure streak's call that was
        in flight when something changed); reachability is judged at delivery."""
        self.world.call_at(at_s, self._deliver, src, dst, fn, args)

    def _deliver(self, src: str, dst: str, fn: Callable[..., Any], args: tuple) -> None:
        if (self.down or self.blocked) and not self.reachable(src, dst):
            return
        fn(*args)

    # --- faults ------------------------------------------------------------------
    def set_down(self, location: str, down: bool) -> None:
        self.down[location] += 1 if down else -1
        if self.down[location] <= 0:
            del self.down[location]

    def set_blocked(self, a: str, b: str, blocked: bool) -> None:
        self.blocked[(a, b)] += 1 if blocked else -1
        if self.blocked[(a, b)] <= 0:
            del self.blocked[(a, b)]

    def degrade(self, a: str, b: str, extra_ms: float, loss: float, active: bool) -> None:
        """Start (``active``) or end one degradation of the path a -> b.

        Overlapping degradations compose: delays add, losses combine as
        independent drops (1 - product of 1 - p).
        """
        entries = self._degraded.setdefault((a, b), [])
        if active:
            entries.append((extra_ms / 1000.0, loss))
        else:
            entries.remove((extra_ms / 1000.0, loss))
        if not entries:
            del self._degraded[(a, b)]
            self.extra_delay_s.pop((a, b), None)
            self.loss.pop((a, b), None)
            return
        self.extra_delay_s[(a, b)] = sum(delay for delay, _ in entries)
        keep = 1.0
        for _, p in entries:
            keep *= 1.0 - p
        self.loss[(a, b)] = 1.0 - keep
        if not self.extra_delay_s[(a, b)]:
            del self.extra_delay_s[(a, b)]
        if not self.loss[(a, b)]:
            del self.loss[(a, b)]


def region_rtt_lookup(spec) -> Callable[[str, str], float]:
    """RTT function from a NetworkSpec (validated: every pair is known)."""

    def rtt(a: str, b: str) -> float:
        value = spec.rtt_between_regions_ms(a, b)
        return math.nan if value is None else value

    return rtt
