"""Emulated DNS: a client keeps its cached answer until the TTL (or its own cache) expires."""

from __future__ import annotations

from hadrsim.emulate.dns import Resolver, Zone


def test_a_client_sees_a_failover_only_when_its_cache_expires():
    """The record changes at once; a resolver answers from its cache for the TTL."""
    changes = []
    zone = Zone(lambda: 0.0, lambda name, to: changes.append((name, to)))
    zone.add("db.writer", 5.0, ["a"])
    resolver = Resolver(zone, None)
    assert resolver.resolve("db.writer", 0.0) == "a"
    zone.set("db.writer", ["b"])
    assert changes == [("db.writer", "b")]
    assert resolver.resolve("db.writer", 4.9) == "a"
    assert resolver.resolve("db.writer", 5.0) == "b"


def test_a_client_cache_overrides_the_ttl():
    """dns_cache_s (a JVM's cache) keeps an answer longer than the record's TTL."""
    zone = Zone(lambda: 0.0)
    zone.add("db.writer", 1.0, ["a"])
    resolver = Resolver(zone, 60.0)
    resolver.resolve("db.writer", 0.0)
    zone.set("db.writer", ["b"])
    assert resolver.resolve("db.writer", 30.0) == "a"
    assert resolver.resolve("db.writer", 60.0) == "b"


def test_a_name_with_several_targets_answers_in_turn_and_an_empty_one_with_none():
    """A reader endpoint spreads lookups over its readers; no reader: no address."""
    zone = Zone(lambda: 0.0)
    zone.add("db.reader", 0.0, ["b", "c"])
    resolver = Resolver(zone, None)
    assert {resolver.resolve("db.reader", t) for t in (0.0, 1.0)} == {"b", "c"}
    zone.set("db.reader", [])
    assert resolver.resolve("db.reader", 2.0) is None
