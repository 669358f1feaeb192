"""Endpoints and client DNS caches: a failover reaches a client only when its cache expires."""

from __future__ import annotations

import pytest

from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.routing import Endpoint, Resolver
from hadrsim.simulator.world import World


def make(horizon_s: float = 100.0) -> tuple[World, Node, Node, Node]:
    world = World(0, 0, horizon_s)
    net = Network(world, {"r1": ["a1", "a2", "a3"]}, 1.0, 0.2, lambda a, b: 60.0, 0.0)
    log = Log()
    nodes = tuple(Node(world, net, name, az, log.root) for name, az in
                  (("n1", "a1"), ("n2", "a2"), ("n3", "a3")))
    return (world, *nodes)


def lookups(world: World, resolver: Resolver, endpoint: Endpoint, times) -> list:
    """Resolve at each time; return ``(time, node name)`` pairs."""
    log = []
    for t in times:
        world.call_later(t, lambda: log.append((world.now, resolver.lookup(endpoint).name)))
    return log


def test_resolve_gives_the_current_target():
    """An authoritative answer is the record as it is now."""
    world, n1, n2, _ = make()
    endpoint = Endpoint(world, "db.writer", 5.0, [n1])
    assert endpoint.resolve() is n1
    endpoint.repoint([n2])
    assert endpoint.resolve() is n2


def test_reader_endpoint_round_robins():
    """Several targets are handed out in turn."""
    world, n1, n2, n3 = make()
    endpoint = Endpoint(world, "db.reader", 5.0, [n1, n2, n3])
    assert [endpoint.resolve().name for _ in range(4)] == ["n1", "n2", "n3", "n1"]


def test_empty_endpoint_resolves_to_nothing():
    """An endpoint with no targets answers None."""
    world, *_ = make()
    assert Endpoint(world, "db.reader", 5.0, []).resolve() is None


def test_resolver_keeps_a_stale_answer_until_the_ttl_expires():
    """After a repoint, a client keeps its cached node until the record's TTL runs out."""
    world, n1, n2, _ = make()
    endpoint = Endpoint(world, "db.writer", 5.0, [n1])
    resolver = Resolver(world, cache_s=None)
    world.call_later(2.0, endpoint.repoint, [n2])
    log = lookups(world, resolver, endpoint, [1.0, 2.5, 5.9, 6.0, 6.5])
    world.run()
    assert log == [(1.0, "n1"), (2.5, "n1"), (5.9, "n1"), (6.0, "n2"), (6.5, "n2")]


def test_client_dns_cache_overrides_the_ttl():
    """A client cache time (a JVM's) replaces the record TTL, longer or shorter."""
    world, n1, n2, _ = make()
    endpoint = Endpoint(world, "db.writer", 5.0, [n1])
    long_cache = Resolver(world, cache_s=60.0)
    no_cache = Resolver(world, cache_s=0.0)
    world.call_later(2.0, endpoint.repoint, [n2])
    slow = lookups(world, long_cache, endpoint, [1.0, 10.0, 60.9, 61.0])
    fast = lookups(world, no_cache, endpoint, [1.0, 2.0, 3.0])
    world.run()
    assert slow == [(1.0, "n1"), (10.0, "n1"), (60.9, "n1"), (61.0, "n2")]
    assert fast == [(1.0, "n1"), (2.0, "n2"), (3.0, "n2")]


def test_cache_entries_are_per_client():
    """Each resolver has its own cache: a client that resolves later sees the new target."""
    world, n1, n2, _ = make()
    endpoint = Endpoint(world, "db.writer", 30.0, [n1])
    early, late = Resolver(world, None), Resolver(world, None)
    world.call_later(2.0, endpoint.repoint, [n2])
    a = lookups(world, early, endpoint, [1.0, 3.0])
    b = lookups(world, late, endpoint, [3.0])
    world.run()
    assert a == [(1.0, "n1"), (3.0, "n1")]
    assert b == [(3.0, "n2")]


def test_cache_entries_are_per_endpoint():
    """Caching the writer's answer does not answer for the reader."""
    world, n1, n2, _ = make()
    writer = Endpoint(world, "db.writer", 30.0, [n1])
    reader = Endpoint(world, "db.reader", 30.0, [n2])
    resolver = Resolver(world, None)
    assert resolver.lookup(writer) is n1
    assert resolver.lookup(reader) is n2


def test_repoint_after_a_delay_applies_later():
    """A repoint with ``after_s`` takes effect only once that propagation delay has passed."""
    world, n1, n2, _ = make()
    endpoint = Endpoint(world, "db.writer", 0.0, [n1])
    world.call_later(1.0, endpoint.repoint, [n2], 30.0)
    seen = []
    for t in (2.0, 30.9, 31.1):
        world.call_later(t, lambda: seen.append((world.now, endpoint.resolve().name)))
    world.run()
    assert seen == [(2.0, "n1"), (30.9, "n1"), (31.1, "n2")]
    updates = [(e.time_s, e.detail) for e in world.rec.control if e.event == "endpoint_updated"]
    assert updates == [(31.0, "db.writer -> n2")]


def test_newer_repoint_supersedes_an_older_pending_one():
    """A later change wins even if it takes effect before the earlier one would have."""
    world, n1, n2, n3 = make()
    endpoint = Endpoint(world, "db.writer", 0.0, [n1])
    world.call_later(1.0, endpoint.repoint, [n2], 30.0)  # would apply at 31
    world.call_later(2.0, endpoint.repoint, [n3], 5.0)  # applies at 7
    seen = []
    for t in (6.0, 8.0, 40.0):
        world.call_later(t, lambda: seen.append((world.now, endpoint.resolve().name)))
    world.run()
    assert seen == [(6.0, "n1"), (8.0, "n3"), (40.0, "n3")]
    updates = [e.time_s for e in world.rec.control if e.event == "endpoint_updated"]
    assert updates == [7.0]


def test_immediate_repoint_cancels_a_pending_one():
    """A repoint without delay also supersedes a delayed change still in flight."""
    world, n1, n2, n3 = make()
    endpoint = Endpoint(world, "db.writer", 0.0, [n1])
    world.call_later(1.0, endpoint.repoint, [n2], 30.0)
    world.call_later(2.0, endpoint.repoint, [n3])
    world.run()
    assert endpoint.targets == [n3]


def test_repoint_to_nobody_empties_the_record():
    """Repointing to no node records ``-`` and resolves to None."""
    world, n1, *_ = make()
    endpoint = Endpoint(world, "db.reader", 0.0, [n1])
    endpoint.repoint([])
    assert endpoint.resolve() is None
    assert world.rec.control[-1].detail == "db.reader -> -"


@pytest.mark.parametrize("ttl", [0.0, 0.3, 1.0, 2.5, 50.0])
@pytest.mark.parametrize("start", [None, 0.5, 7.0])  # no entry, a fresh one, an old one
def test_replaying_known_lookups_leaves_the_cache_as_lookups_one_by_one(ttl, start):
    """A failure streak renews cache entries in bulk exactly as its calls would have."""
    import numpy as np

    times = np.cumsum(np.random.default_rng(3).uniform(0.25, 0.75, 40)) + 1.0
    states = []
    for bulk in (False, True):
        world, n1, _, _ = make()
        endpoint = Endpoint(world, "db.writer", ttl, [n1])
        resolver = Resolver(world, None)
        if start is not None:
            resolver._cache["db.writer"] = (n1, start)
        plan = resolver.plan(endpoint, float(times[0]))
        assert plan is not None and plan[0] is n1
        if bulk:
            for lo, hi in ((0, 1), (1, 15), (15, 39), (39, 40)):  # in pieces, some of one
                resolver.replay(plan[1], times[lo:hi])
        else:
            for t in times:
                world.env._now = float(t)  # a lookup at each call's invocation
                resolver.lookup(endpoint)
        answer, expires = resolver._cache["db.writer"]
        states.append((answer.name, expires, endpoint._turn))
    assert states[0] == states[1]


def test_counted_ttl_zero_lookups_leave_what_the_lookups_leave():
    """A steady window only counts the lookups of a chain whose names all have a TTL of 0
    and writes them at its end (Resolver.renewed): the cache entries and each name's
    turn must be the ones the lookups one by one leave, so that a name with several
    targets later answers the same one (a CNAME to a name with one target now)."""
    world, n1, n2, n3 = make()

    def chain() -> tuple[Resolver, Endpoint, Endpoint]:
        inner = Endpoint(world, "db.reader", 0.0, [n1])
        outer = Endpoint(world, "app.db", 0.0, [n2])
        outer.targets = [inner]  # a CNAME (Route 53 to the RDS name)
        return Resolver(world, cache_s=0.0), outer, inner

    one_by_one, outer_a, inner_a = chain()
    times = [0.5, 0.9, 1.3, 2.0, 2.0, 3.75, 3.9, 4.0]
    for t in times:
        assert one_by_one.lookup(outer_a, t) is n1
    counted, outer_b, inner_b = chain()
    node, links, valid_until = counted.plan(outer_b, times[0])
    assert node is n1 and valid_until == float("inf")
    counted.renewed(links, times[-1], len(times))
    def entries(resolver: Resolver) -> dict:
        return {name: (answer.name, t) for name, (answer, t) in resolver._cache.items()}

    assert entries(counted) == entries(one_by_one) == {"app.db": ("db.reader", 4.0),
                                                       "db.reader": ("n1", 4.0)}
    for endpoint in (inner_a, inner_b):
        endpoint.targets = [n1, n2, n3]  # a second and third reader join
    assert [one_by_one.lookup(outer_a, 5.0 + i) for i in range(4)] == [
        counted.lookup(outer_b, 5.0 + i) for i in range(4)]
