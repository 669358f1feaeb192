"""DNS failover records: health-check votes, propagation, TTL and client caches."""

from __future__ import annotations

import pytest

from hadrsim.simulator.detector import FailureDetector
from hadrsim.simulator.dns_failover import FailoverRecord
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.routing import Resolver
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant

REGIONS = {"r1": ["a1", "a2"], "r2": ["b1"], "r3": ["c1"], "r4": ["d1"]}
CHECKERS = ["r2", "r3", "r4"]
RTT_S = 0.060  # between Regions; a probe that left just before a fault can still pass


class Dns:
    """Primary n1 in r1 (a1), secondary n2 in r2 (b1), one failover record ``db``."""

    def __init__(self, seed: int = 0, horizon_s: float = 1000.0, *, interval: float = 30.0,
                 threshold: int = 3, timeout: float = 4.0, propagation_s: float = 0.0,
                 ttl_s: float = 60.0, checkers: list[str] = CHECKERS):
        self.world = World(seed, 0, horizon_s)
        self.net = Network(self.world, REGIONS, 1.0, 0.2, lambda a, b: RTT_S * 1000, 0.0)
        log = Log()
        self.n1 = Node(self.world, self.net, "n1", "a1", log.root)
        self.n2 = Node(self.world, self.net, "n2", "b1", log.root)
        propagation = (self.world.streams.sampler("test/propagation", constant(propagation_s))
                       if propagation_s else None)
        self.record = FailoverRecord(
            self.world, self.net, "db", ttl_s=ttl_s,
            primary=lambda: self.n1, secondary=lambda: self.n2,
            checker_regions=checkers, interval_s=interval, failure_threshold=threshold,
            timeout_s=timeout, healthy_fraction=0.18, propagation=propagation,
        )

    def at(self, t: float, fn, *args) -> None:
        """Change the world at ``t`` and announce it, as the fault injector does."""

        def act() -> None:
            fn(*args)
            self.world.changed()

        self.world.call_later(t, act)

    def crash(self, t: float, until: float | None = None) -> None:
        self.at(t, setattr, self.n1, "crashed", 1)
        if until is not None:
            self.at(until, setattr, self.n1, "crashed", 0)

    def events(self, name: str) -> list[tuple[float, str | None, str]]:
        return [(e.time_s, e.node, e.detail) for e in self.world.rec.control if e.event == name]

    def answers(self, times) -> list[tuple[float, str]]:
        """The authoritative answer at each time, as ``(time, node name)``."""
        log: list[tuple[float, str]] = []
        for t in times:
            self.world.call_later(t, lambda: log.append((self.world.now,
                                                         self.record.resolve().name)))
        return log


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("interval", [30.0, 10.0])
def test_detection_takes_interval_times_threshold(seed, interval):
    """The record fails over within ((threshold-1) x interval, threshold x interval] + timeout."""
    threshold, timeout = 3, 4.0
    d = Dns(seed, interval=interval, threshold=threshold, timeout=timeout)
    d.crash(100.0)
    d.world.run()
    (t, node, detail), = d.events("dns_health_changed")
    assert (node, detail) == ("n1", "unhealthy")
    delay = t - 100.0
    assert (threshold - 1) * interval + timeout - RTT_S < delay
    assert delay <= threshold * interval + timeout + 1e-9
    assert d.events("endpoint_updated") == [(t, "n2", "db -> n2")]


def test_the_answer_changes_after_detection_plus_propagation():
    """The DNS answer moves to the secondary one propagation delay after the vote flips."""
    d = Dns(propagation_s=30.0)
    d.crash(100.0)
    answers = d.answers(range(0, 1000, 5))
    d.world.run()
    (flipped, _, _), = d.events("dns_health_changed")
    (updated, _, _), = d.events("endpoint_updated")
    assert updated == pytest.approx(flipped + 30.0)
    assert all(name == "n1" for t, name in answers if t < updated)
    assert all(name == "n2" for t, name in answers if t > updated)
    assert 100.0 + 64.0 - RTT_S < updated <= 100.0 + 94.0 + 30.0 + 1e-9


def test_the_answer_fails_back_after_recovery():
    """Once the primary passes threshold checks again the answer returns to it."""
    interval, threshold, timeout = 10.0, 3, 4.0
    d = Dns(interval=interval, threshold=threshold, timeout=timeout, propagation_s=30.0)
    d.crash(100.0, until=400.0)
    answers = d.answers([50.0, 300.0, 900.0])
    d.world.run()
    (_, _, down), (up_at, _, up) = d.events("dns_health_changed")
    assert (down, up) == ("unhealthy", "healthy")
    # recovery is judged like failure: threshold passes on the probe grid
    recovery = up_at - 400.0
    assert (threshold - 1) * interval + timeout < recovery <= threshold * interval + timeout
    updates = d.events("endpoint_updated")
    assert [(node, detail) for _, node, detail in updates] == [("n2", "db -> n2"),
                                                               ("n1", "db -> n1")]
    assert updates[1][0] == pytest.approx(up_at + 30.0)
    assert answers == [(50.0, "n1"), (300.0, "n2"), (900.0, "n1")]


def test_a_client_follows_the_change_only_when_its_cache_expires():
    """Clients switch at the first cache expiry after the update: detection + propagation + TTL."""
    d = Dns(interval=30.0, propagation_s=30.0, ttl_s=60.0)
    cached, uncached = Resolver(d.world, cache_s=None), Resolver(d.world, cache_s=0.0)
    seen: dict[str, list[tuple[float, str]]] = {"cached": [], "uncached": []}
    for t in range(1, 1000):
        for key, resolver in (("cached", cached), ("uncached", uncached)):
            d.world.call_later(float(t), lambda k=key, r=resolver: seen[k].append(
                (d.world.now, r.lookup(d.record).name)))
    d.crash(100.0)
    d.world.run()
    (updated, _, _), = d.events("endpoint_updated")

    def switch(log: list[tuple[float, str]]) -> float:
        return next(t for t, name in log if name == "n2")

    # the cache was filled at 1 s and refreshed every TTL since: 61, 121, ...
    expiry = next(1.0 + 60.0 * k for k in range(20) if 1.0 + 60.0 * k > updated)
    assert switch(seen["cached"]) == expiry
    assert any(name == "n1" for t, name in seen["cached"] if t > updated)  # stale answers
    assert updated < switch(seen["uncached"]) <= updated + 1.0
    assert switch(seen["cached"]) - 100.0 <= 3 * 30.0 + 4.0 + 30.0 + 60.0


def test_one_checker_cut_off_from_the_primary_does_not_fail_over():
    """With 3 checkers, one partitioned from the primary leaves 2/3 > 18% healthy."""
    d = Dns()
    d.at(100.0, d.net.set_blocked, "r2", "a1", True)
    d.world.run()
    assert d.record.verdicts == {"r2": False, "r3": True, "r4": True}
    assert d.events("dns_health_changed") == []
    assert d.events("endpoint_updated") == []
    assert d.record.resolve() is d.n1


def test_all_checkers_failing_fails_over():
    """An alive primary that no checker can reach is failed over all the same."""
    d = Dns()
    for region in CHECKERS:
        d.at(100.0, d.net.set_blocked, region, "a1", True)
    d.world.run()
    assert [detail for _, _, detail in d.events("dns_health_changed")] == ["unhealthy"]
    assert d.record.resolve() is d.n2


def test_checkers_in_a_down_region_do_not_vote():
    """Only reporting checkers count: with two checker Regions down, the third decides."""
    d = Dns(horizon_s=1200.0)
    d.at(50.0, d.net.set_down, "r2", True)
    d.at(50.0, d.net.set_down, "r3", True)
    d.at(100.0, d.net.set_blocked, "r4", "a1", True)  # 2/3 would stay healthy; 0/1 does not
    d.at(600.0, d.net.set_down, "r2", False)  # back with its healthy verdict: 1/2 healthy
    d.world.run()
    events = d.events("dns_health_changed")
    assert [detail for _, _, detail in events] == ["unhealthy", "healthy"]
    assert 100.0 < events[0][0] <= 100.0 + 94.0 + 1e-9
    assert events[1][0] == 600.0


def test_no_reporting_checker_keeps_the_last_status():
    """When no checker can be heard the record keeps answering as before."""
    d = Dns()
    for region in CHECKERS:
        d.at(50.0, d.net.set_down, region, True)
    d.crash(100.0)
    d.world.run()
    assert d.events("dns_health_changed") == []
    assert d.record.resolve() is d.n1


def test_a_newer_status_supersedes_a_pending_one():
    """A vote that flips back before propagation completes never changes the answer."""
    d = Dns(interval=10.0, threshold=1, propagation_s=100.0)
    d.crash(100.0, until=130.0)
    answers = d.answers(range(0, 1000, 5))
    d.world.run()
    assert [detail for _, _, detail in d.events("dns_health_changed")] == ["unhealthy",
                                                                          "healthy"]
    assert d.events("endpoint_updated") == []
    assert {name for _, name in answers} == {"n1"}


def test_each_checker_has_its_own_phase_and_a_seed_repeats_the_run():
    """Checkers draw phases from their own streams; the same seed gives the same events."""

    def run(seed: int) -> tuple[list, list[float]]:
        d = Dns(seed, propagation_s=30.0)
        d.crash(100.0, until=500.0)
        d.world.run()
        return d.world.rec.control, [c.phase for c in d.record.checkers.values()]

    (events, phases), (again, same_phases) = run(7), run(7)
    assert events == again and phases == same_phases
    assert len(set(phases)) == 3
    assert run(8)[1] != phases


def test_an_unknown_checker_location_is_rejected():
    """Checkers must stand in locations the network knows."""
    with pytest.raises(ValueError, match="unknown checker"):
        Dns(checkers=["r2", "r3", "mars"])


def test_detector_reports_recovery_once_per_outage():
    """``on_up`` runs at the first passed probe after a declared outage, and only then."""
    world = World(0, 0, 200.0)
    net = Network(world, {"r1": ["a1"]}, 1.0, 0.2, lambda a, b: 60.0, 0.0)
    node = Node(world, net, "n1", "a1", Log().root)
    downs: list[float] = []
    ups: list[float] = []
    FailureDetector(world, net, "test", observer=lambda: "r1", target=lambda: node,
                    on_down=lambda n: downs.append(world.now),
                    on_up=lambda n: ups.append(world.now),
                    interval_s=1.0, failure_threshold=3, timeout_s=0.5)

    def crashed(t: float, value: int) -> None:
        def act() -> None:
            node.crashed = value
            world.changed()

        world.call_later(t, act)

    crashed(10.0, 1)
    crashed(30.0, 0)
    crashed(50.0, 1)  # too short to be declared: no on_down, so no on_up either
    crashed(51.2, 0)
    world.run()
    assert len(downs) == 1 and 12.5 < downs[0] <= 13.5 + 1e-9
    assert len(ups) == 1 and 30.5 < ups[0] <= 31.5 + 1e-9
