"""Endpoints resolved through DNS, with record TTLs and client-side caching.

An endpoint is a DNS name whose record the control plane rewrites on failover.
A client keeps using the address it resolved until its cache entry expires (the
record TTL, or the client's own cache time, as a JVM does), so clients see a
failover only after the change *and* their cache expire: that delay is part of
the RTO they observe.

A name may answer with another name (a CNAME): a Route 53 failover record names
the RDS writer endpoint, which names the instance. A client caches each link of
the chain for that link's own TTL, so a change of the inner name (an in-Region
failover flips the RDS endpoint, 5-s TTL, calibration.md §2, S11) reaches it
after the inner TTL, whatever the outer record's TTL (calibration.md §8, S21).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Union

import numpy as np

from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.world import World

_MAX_CHAIN = 8  # CNAME links a lookup follows before giving up (a loop is a bug)


class DnsName:
    """A DNS name: ``resolve()`` answers a node, or another :class:`DnsName` (a CNAME)."""

    name: str
    ttl_s: float

    def resolve(self) -> Answer:  # pragma: no cover - subclasses answer
        raise NotImplementedError

    def current(self) -> Node | None:
        """The node this name leads to now, without side effects (health checks)."""
        answer = self.resolve()
        return answer.current() if isinstance(answer, DnsName) else answer

    def peek(self) -> Answer | _Ambiguous:
        """What :meth:`resolve` would answer now, without its side effects; AMBIGUOUS
        when successive answers differ (round robin over several targets)."""
        return self.resolve()

    def count_lookup(self, n: int = 1) -> None:
        """The side effect of ``n`` :meth:`resolve` calls whose answer is already known."""


Answer = Union["Node", DnsName, None]


class _Ambiguous:
    """Marker: a name whose next answers differ (several targets in turn)."""


AMBIGUOUS = _Ambiguous()

Plan = tuple["Node | None", list[tuple[DnsName, Answer]], float]
"""What :meth:`Resolver.plan` finds: node, names with their fresh answers, valid until."""


class Endpoint(DnsName):
    """A DNS name pointing at one node (writer) or several (reader, round robin)."""

    def __init__(self, world: World, name: str, ttl_s: float, targets: list[Node]):
        self.world = world
        self.name = name
        self.ttl_s = ttl_s
        self.targets = list(targets)
        self._turn = 0
        self._version = 0

    def resolve(self) -> Node | None:
        """What an authoritative DNS answer gives right now."""
        if not self.targets:
            return None
        node = self.targets[self._turn % len(self.targets)]
        self._turn += 1
        return node

    def current(self) -> Node | None:
        return self.targets[0] if self.targets else None

    def peek(self) -> Node | None | _Ambiguous:
        if len(self.targets) > 1:
            return AMBIGUOUS
        return self.targets[0] if self.targets else None

    def count_lookup(self, n: int = 1) -> None:
        if self.targets:
            self._turn += n

    def retarget(self, targets: list[Node]) -> None:
        """Set the record now, with no control event: wiring at build time, before
        anything ran (a change the control plane makes at run time is :meth:`repoint`)."""
        self.targets = list(targets)

    def repoint(self, targets: list[Node], after_s: float = 0.0) -> None:
        """Change the record; it takes effect after ``after_s`` (propagation)."""
        self._version += 1
        version = self._version

        def apply() -> None:
            if version != self._version:
                return  # a newer change superseded this one
            self.world.touched()
            self.targets = list(targets)
            names = ",".join(t.name for t in targets) or "-"
            self.world.event(Ev.ENDPOINT_UPDATED, targets[0].name if targets else None,
                             f"{self.name} -> {names}")

        if after_s > 0:
            self.world.call_later(after_s, apply)
        else:
            apply()


class FollowingEndpoint(DnsName):
    """A name whose record always names what ``target()`` chooses now (a record the
    control plane keeps current, e.g. a DR record naming the replica to promote)."""

    def __init__(self, name: str, ttl_s: float, target: Callable[[], Node | None]):
        self.name = name
        self.ttl_s = ttl_s
        self.target = target

    def resolve(self) -> Node | None:
        return self.target()


class Resolver:
    """A client's DNS cache: one entry per name of a CNAME chain, each with its TTL."""

    def __init__(self, world: World, cache_s: float | None):
        self.world = world
        self.cache_s = cache_s
        self._cache: dict[str, tuple[Answer, float]] = {}

    def lookup(self, name: DnsName, at_s: float | None = None) -> Node | None:
        """The node ``name`` leads to, following CNAMEs through the cache.

        ``at_s``: the time of the lookup when it is not now (a steady run's call,
        :mod:`hadrsim.simulator.steady`, looked up ahead of the world's clock).
        """
        return self.lookup_until(name, self.world.now if at_s is None else at_s)[0]

    def lookup_until(self, name: DnsName, at_s: float) -> tuple[Node | None, float]:
        """:meth:`lookup` at ``at_s``, and until when every cache entry it went through
        stays fresh: a lookup before then is a cache hit with the same answer and no
        side effect (what a steady run need not redo)."""
        until = math.inf
        for _ in range(_MAX_CHAIN):
            answer = self._answer(name, at_s)
            until = min(until, self._cache[name.name][1])
            if not isinstance(answer, DnsName):
                return answer, until
            name = answer
        raise RuntimeError(f"DNS chain longer than {_MAX_CHAIN} links at {name.name!r}")

    def ttl_of(self, name: DnsName) -> float:
        """How long this cache keeps ``name``'s answer."""
        return name.ttl_s if self.cache_s is None else self.cache_s

    def renewed(self, chain: Sequence[tuple[DnsName, Answer]], last_s: float, n: int) -> None:
        """What ``n`` lookups through ``chain`` (names with TTL 0, :meth:`plan`'s fresh
        answers), the last at ``last_s``, leave: each name resolved ``n`` times, its entry
        renewed by the last."""
        for name, fresh in chain:
            self._cache[name.name] = (fresh, last_s + self.ttl_of(name))
            name.count_lookup(n)

    def _answer(self, name: DnsName, now: float) -> Answer:
        cached = self._cache.get(name.name)
        if cached is not None and now < cached[1]:
            return cached[0]
        answer = name.resolve()
        ttl = name.ttl_s if self.cache_s is None else self.cache_s
        self._cache[name.name] = (answer, now + ttl)
        return answer

    # --- failure streaks: lookups that are known in advance -------------------------------
    def plan(self, name: DnsName, at_s: float) -> Plan | None:
        """What lookups of ``name`` from ``at_s`` on answer while no record changes.

        ``(node, chain, valid_until)``: the node, each name followed with what a fresh
        resolution of it answers, and the time a cached answer that differs from that
        expires (after it the lookups lead elsewhere). None when a name answers in turn
        (round robin).
        """
        chain: list[tuple[DnsName, Answer]] = []
        valid_until = float("inf")
        answer: Answer = name
        for _ in range(_MAX_CHAIN):
            if not isinstance(answer, DnsName):
                return answer, chain, valid_until
            name = answer
            current = name.peek()
            if isinstance(current, _Ambiguous):
                return None
            chain.append((name, current))
            cached = self._cache.get(name.name)
            if cached is not None and at_s < cached[1]:
                answer = cached[0]
                if answer is not current:
                    valid_until = min(valid_until, cached[1])
            else:
                answer = current
        raise RuntimeError(f"DNS chain longer than {_MAX_CHAIN} links at {name.name!r}")

    def replay(self, chain: Sequence[tuple[DnsName, Answer]], times: np.ndarray | list[float]
               ) -> None:
        """Leave the cache as lookups at ``times`` (ascending) would, with the answers
        :meth:`plan` found: an entry is renewed by the first lookup at or after it expires.
        A list (a steady window's few calls) is walked in Python, an array with numpy."""
        if not len(times):
            return
        if isinstance(times, list):
            for name, fresh in chain:
                self._replay_list(name, fresh, times)
            return
        last = times[-1]
        for name, fresh in chain:
            cached = self._cache.get(name.name)
            expires = cached[1] if cached is not None else -math.inf
            if last < expires:
                continue  # every lookup a cache hit: nothing changes
            ttl = self.ttl_of(name)
            i = int(np.searchsorted(times, expires, side="left"))
            if i == len(times):
                continue
            if len(times) - i > 1 and ttl <= float(np.min(np.diff(times[i:]))):
                renewals, expires = len(times) - i, float(times[-1]) + ttl  # every lookup
            else:
                renewals = 0
                while i < len(times):
                    expires = float(times[i]) + ttl
                    renewals += 1
                    i = max(i + 1, int(np.searchsorted(times, expires, side="left")))
            self._cache[name.name] = (fresh, expires)
            name.count_lookup(renewals)

    def _replay_list(self, name: DnsName, fresh: Answer, times: list[float]) -> None:
        """:meth:`replay` of one name, the same steps on a list."""
        cached = self._cache.get(name.name)
        expires = cached[1] if cached is not None else -math.inf
        if times[-1] < expires:
            return  # every lookup a cache hit: nothing changes
        ttl = self.ttl_of(name)
        i = bisect_left(times, expires)
        if i == len(times):
            return
        if len(times) - i > 1 and all(ttl <= b - a for a, b in pairwise(times[i:])):
            renewals, expires = len(times) - i, times[-1] + ttl  # every lookup
        else:
            renewals = 0
            while i < len(times):
                expires = times[i] + ttl
                renewals += 1
                i = max(i + 1, bisect_left(times, expires))
        self._cache[name.name] = (fresh, expires)
        name.count_lookup(renewals)
