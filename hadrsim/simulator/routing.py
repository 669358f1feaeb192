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

from collections.abc import Callable
from typing import TYPE_CHECKING, Union

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


Answer = Union["Node", DnsName, None]


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

    def lookup(self, name: DnsName) -> Node | None:
        """The node ``name`` leads to, following CNAMEs through the cache."""
        for _ in range(_MAX_CHAIN):
            answer = self._answer(name)
            if not isinstance(answer, DnsName):
                return answer
            name = answer
        raise RuntimeError(f"DNS chain longer than {_MAX_CHAIN} links at {name.name!r}")

    def _answer(self, name: DnsName) -> Answer:
        cached = self._cache.get(name.name)
        now = self.world.now
        if cached is not None and now < cached[1]:
            return cached[0]
        answer = name.resolve()
        ttl = name.ttl_s if self.cache_s is None else self.cache_s
        self._cache[name.name] = (answer, now + ttl)
        return answer
