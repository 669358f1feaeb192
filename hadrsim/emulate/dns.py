"""Emulated DNS: endpoint records the control plane changes, and each client's resolver cache.

An endpoint is a *name* (``multi-az.writer``); a record maps it to one or more members
with a TTL. A client resolves through its own cache, which keeps an answer for the
record's TTL (or the workload's ``dns_cache_s`` when it overrides the TTL), so after a
failover a client keeps talking to the old primary until its cache expires: the same
semantics as :mod:`hadrsim.simulator.routing`. Proxies never change their targets; only
records change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Record:
    """One DNS name: its targets (member names, in turn for several) and TTL in seconds."""

    name: str
    ttl_s: float
    targets: list[str] = field(default_factory=list)
    _turn: int = 0

    def answer(self) -> str | None:
        """One target (round robin over several, as a multi-value record answers)."""
        if not self.targets:
            return None
        self._turn = (self._turn + 1) % len(self.targets)
        return self.targets[self._turn]


class Zone:
    """Every record of an emulation; :meth:`set` is the control plane's only lever."""

    def __init__(self, clock: Callable[[], float], on_change: Callable[[str, str], None]
                 | None = None) -> None:
        self.records: dict[str, Record] = {}
        self._clock = clock
        self._on_change = on_change

    def add(self, name: str, ttl_s: float, targets: Sequence[str]) -> Record:
        self.records[name] = record = Record(name, ttl_s, list(targets))
        return record

    def set(self, name: str, targets: Sequence[str]) -> None:
        """Point ``name`` at ``targets`` (propagation is immediate; caches are not)."""
        self.records[name].targets = list(targets)
        if self._on_change is not None:
            self._on_change(name, ",".join(targets))


class Resolver:
    """A client's stub resolver: answers from its cache until the entry expires."""

    def __init__(self, zone: Zone, cache_s: float | None) -> None:
        self.zone = zone
        self.cache_s = cache_s  # None: honour each record's TTL
        self._cache: dict[str, tuple[str | None, float]] = {}

    def resolve(self, name: str, now: float) -> str | None:
        """The member ``name`` leads to at ``now`` (None: the record has no target)."""
        hit = self._cache.get(name)
        if hit is not None and now < hit[1]:
            return hit[0]
        record = self.zone.records[name]
        target = record.answer()
        ttl = record.ttl_s if self.cache_s is None else self.cache_s
        self._cache[name] = (target, now + ttl)
        return target


__all__ = ["Record", "Resolver", "Zone"]
