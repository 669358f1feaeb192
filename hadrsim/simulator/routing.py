"""Endpoints resolved through DNS, with record TTLs and client-side caching.

An endpoint is a DNS name whose record the control plane rewrites on failover.
A client keeps using the address it resolved until its cache entry expires (the
record TTL, or the client's own cache time, as a JVM does), so clients see a
failover only after the change *and* their cache expire: that delay is part of
the RTO they observe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.world import World


class Endpoint:
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

    def repoint(self, targets: list[Node], after_s: float = 0.0) -> None:
        """Change the record; it takes effect after ``after_s`` (propagation)."""
        self._version += 1
        version = self._version

        def apply() -> None:
            if version != self._version:
                return  # a newer change superseded this one
            self.targets = list(targets)
            names = ",".join(t.name for t in targets) or "-"
            self.world.event("endpoint_updated", targets[0].name if targets else None,
                             f"{self.name} -> {names}")

        if after_s > 0:
            self.world.call_later(after_s, apply)
        else:
            apply()


class Resolver:
    """A client's DNS cache."""

    def __init__(self, world: World, cache_s: float | None):
        self.world = world
        self.cache_s = cache_s
        self._cache: dict[str, tuple[Node | None, float]] = {}

    def lookup(self, endpoint: Endpoint) -> Node | None:
        cached = self._cache.get(endpoint.name)
        now = self.world.now
        if cached is not None and now < cached[1]:
            return cached[0]
        node = endpoint.resolve()
        ttl = endpoint.ttl_s if self.cache_s is None else self.cache_s
        self._cache[endpoint.name] = (node, now + ttl)
        return node
