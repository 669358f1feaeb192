"""DNS failover records: health-check votes, propagation, TTL and client caches."""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.simulator.detector import FailureDetector
from hadrsim.simulator.dns_failover import FailoverRecord
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.routing import Endpoint, FollowingEndpoint, Resolver
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant

# S20: the checker Regions a health check may name (all of them by default)
ROUTE53_CHECKERS = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1",
                    "ap-southeast-2", "ap-northeast-1", "sa-east-1"]
REGIONS = {"r1": ["a1", "a2"], "r2": ["b1"], "r3": ["c1"], "r4": ["d1"],
           **{region: [f"{region}a"] for region in ROUTE53_CHECKERS}}
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
def test_detection_is_within_the_published_range(seed, interval):
    """The record fails over within ((threshold-1) x interval, threshold x interval] + timeout
    (calibration.md §8, S19): 30 s x 3 -> 64-94 s, 10 s x 3 -> 24-34 s."""
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


def _detection_times(interval: float, checkers: list[str], seeds: range) -> np.ndarray:
    times = []
    for seed in seeds:
        d = Dns(seed, horizon_s=400.0, interval=interval, checkers=checkers)
        d.crash(100.0)
        d.world.run()
        (t, _, _), = d.events("dns_health_changed")
        times.append(t - 100.0)
    return np.array(times)


@pytest.mark.slow
@pytest.mark.parametrize(("interval", "low", "high", "mean"),
                         [(30.0, 64.0, 94.0, 87.0), (10.0, 24.0, 34.0, 31.5)])
def test_detection_distribution_matches_the_published_description(interval, low, high, mean):
    """calibration.md §8, S19: checkers do not coordinate; each needs 3 consecutive failures;
    the record is unhealthy when <= 18% of them report healthy. With Route 53's 8 checker
    Regions (S20) that is 2 intervals + the 7th of 8 uniform first failures (mean 7/9 of an
    interval) + the 4-s timeout: 30 s x 3 -> 64-94 s, mean ~87 s; 10 s x 3 -> 24-34 s."""
    times = _detection_times(interval, ROUTE53_CHECKERS, range(200))
    assert low - RTT_S < times.min() and times.max() <= high + 1e-9
    expected = 2 * interval + 7 / 9 * interval + 4.0  # order statistic k/(N+1), N=8, k=7
    assert times.mean() == pytest.approx(expected, abs=0.06 * interval)
    assert times.mean() == pytest.approx(mean, abs=0.05 * interval)
    # one reporting checker fails the record at its own first failure: mean half an interval
    single = _detection_times(interval, ["r2"], range(200))
    assert single.mean() == pytest.approx(2.5 * interval + 4.0, abs=0.06 * interval)
    assert single.mean() < times.mean()


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


def test_a_record_naming_an_endpoint_follows_the_endpoint_at_its_own_ttl():
    """Two-level resolution: the record (TTL 300 s) names the writer endpoint (TTL 5 s,
    calibration.md §2, S11). An in-Region failover repoints the endpoint; a client follows
    within the endpoint's TTL, though its cached record answer is far from expiring."""
    d = Dns()
    n3 = Node(d.world, d.net, "n3", "a2", d.n1.timeline)
    writer = Endpoint(d.world, "db.writer", 5.0, [d.n1])
    record = FailoverRecord(
        d.world, d.net, "db.route53", ttl_s=300.0, primary=writer,
        secondary=FollowingEndpoint("db.dr", 5.0, lambda: d.n2),
        checker_regions=CHECKERS, interval_s=30.0, failure_threshold=3, timeout_s=4.0,
        healthy_fraction=0.18, propagation=None,
    )
    resolver = Resolver(d.world, cache_s=None)
    seen: list[tuple[float, str]] = []
    healthy: set[bool] = set()
    for t in range(1, 400):
        d.world.call_later(float(t), lambda: (seen.append((d.world.now,
                                                           resolver.lookup(record).name)),
                                              healthy.add(record.vote_healthy)))
    d.crash(100.0)
    d.at(120.0, writer.repoint, [n3])  # the managed failover flips the endpoint
    d.world.run()
    assert healthy == {True}  # the checkers followed the endpoint to n3
    first_n3 = next(t for t, name in seen if name == "n3")
    assert 120.0 < first_n3 <= 120.0 + 5.0 + 1.0
    assert {name for t, name in seen if t > first_n3} == {"n3"}


def test_a_failed_over_record_answers_its_secondary_name():
    """When the primary stays down the record answers the secondary name; the client
    reaches the node that name leads to once its cached record answer expires."""
    d = Dns(propagation_s=30.0)
    writer = Endpoint(d.world, "db.writer", 5.0, [d.n1])
    record = FailoverRecord(
        d.world, d.net, "db.route53", ttl_s=60.0, primary=writer,
        secondary=FollowingEndpoint("db.dr", 5.0, lambda: d.n2),
        checker_regions=CHECKERS, interval_s=30.0, failure_threshold=3, timeout_s=4.0,
        healthy_fraction=0.18, propagation=d.world.streams.sampler(
            "test/p2", constant(30.0)),
    )
    resolver = Resolver(d.world, cache_s=None)
    seen: list[tuple[float, str]] = []
    for t in range(1, 600):
        d.world.call_later(float(t), lambda: seen.append((d.world.now,
                                                          resolver.lookup(record).name)))
    d.crash(100.0)
    d.world.run()
    updated = [(t, node, detail) for t, node, detail in d.events("endpoint_updated")
               if detail.startswith("db.route53")]
    assert [(node, detail) for _, node, detail in updated] == [("n2", "db.route53 -> db.dr (n2)")]
    first_n2 = next(t for t, name in seen if name == "n2")
    assert updated[0][0] < first_n2 <= updated[0][0] + 60.0 + 1.0


def test_a_cname_loop_is_an_error():
    """A chain of names that never reaches a node is a modelling bug, not a hang."""
    world = World(0, 0, 10.0)
    a = FollowingEndpoint("a", 5.0, lambda: b)
    b = FollowingEndpoint("b", 5.0, lambda: a)
    with pytest.raises(RuntimeError, match="DNS chain"):
        Resolver(world, cache_s=None).lookup(a)


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
