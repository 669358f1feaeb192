"""Network: delays from RTTs, partitions (AZ, Region, one-way), outages, degradation."""

from __future__ import annotations

import pytest

from hadrsim.simulator.network import Network
from hadrsim.simulator.world import World

INTER_AZ = 0.0005  # one-way seconds for a 1 ms RTT
INTRA_AZ = 0.0001  # 0.2 ms RTT
CROSS_REGION = 0.030  # 60 ms RTT


def make(horizon_s: float = 10.0, seed: int = 0) -> tuple[World, Network]:
    world = World(seed, 0, horizon_s)
    net = Network(
        world,
        {"r1": ["a1", "a2", "a3"], "r2": ["b1"]},
        inter_az_rtt_ms=1.0,
        intra_az_rtt_ms=0.2,
        region_rtt_ms=lambda a, b: 60.0,
        jitter_sigma=0.0,
    )
    return world, net


def arrivals(world: World, net: Network, src: str, dst: str, at_s: float = 0.0) -> list[float]:
    """Send one message from src to dst at ``at_s``; return its delivery times."""
    log: list[float] = []
    world.call_later(at_s, net.send, src, dst, lambda: log.append(world.now))
    return log


@pytest.mark.parametrize(
    ("src", "dst", "delay"),
    [
        ("a1", "a2", INTER_AZ),
        ("a1", "a1", INTRA_AZ),
        ("r1", "a1", INTER_AZ),
        ("a3", "r1", INTER_AZ),
        ("r1", "r1", INTER_AZ),
        ("a1", "b1", CROSS_REGION),
        ("r2", "a2", CROSS_REGION),
    ],
)
def test_one_way_delay_is_half_the_rtt_without_jitter(src, dst, delay):
    """With jitter 0 a message takes exactly RTT/2 for its kind of path."""
    world, net = make()
    log = arrivals(world, net, src, dst)
    world.run()
    assert log == [pytest.approx(delay, abs=1e-12)]


def test_places_know_their_region():
    """An AZ belongs to its Region; a Region to itself."""
    _, net = make()
    assert net.region_of("a2") == "r1"
    assert net.region_of("r2") == "r2"
    assert net.azs_of("r1") == ["a1", "a2", "a3"]


def test_send_after_adds_the_wait_to_the_delay():
    """A message that leaves after a flush arrives wait + delay later."""
    world, net = make()
    log = []
    net.send_after(2.0, "a1", "a2", lambda: log.append(world.now))
    world.run()
    assert log == [pytest.approx(2.0 + INTER_AZ)]


def test_az_partition_blocks_that_pair_both_ways_when_set_both_ways():
    """Blocking a1->a2 and a2->a1 cuts that pair only; a1 still reaches a3."""
    world, net = make()
    net.set_blocked("a1", "a2", True)
    net.set_blocked("a2", "a1", True)
    assert not net.reachable("a1", "a2")
    assert not net.reachable("a2", "a1")
    assert net.reachable("a1", "a3")
    assert net.reachable("r1", "a2")
    assert net.send("a1", "a2", lambda: None) is False


def test_region_partition_blocks_every_az_pair_across_it():
    """A partition between Regions covers the AZs in them and the Regions themselves."""
    _, net = make()
    net.set_blocked("r1", "r2", True)
    net.set_blocked("r2", "r1", True)
    for a in ("r1", "a1", "a2", "a3"):
        assert not net.reachable(a, "b1")
        assert not net.reachable("b1", a)
        assert not net.reachable(a, "r2")
    assert net.reachable("a1", "a2")


def test_one_way_partition_blocks_only_one_direction():
    """Blocking a1 -> b1 stops messages that way; b1 -> a1 still flows."""
    world, net = make()
    net.set_blocked("a1", "b1", True)
    there = arrivals(world, net, "a1", "b1")
    back = arrivals(world, net, "b1", "a1")
    world.run()
    assert there == []
    assert back == [pytest.approx(CROSS_REGION)]


def test_one_way_region_partition_blocks_only_one_direction():
    """A one-way Region partition r1 -> r2 affects all of r1's AZs, in that direction only."""
    _, net = make()
    net.set_blocked("r1", "r2", True)
    assert not net.reachable("a2", "b1")
    assert net.reachable("b1", "a2")


def test_partition_is_lifted_on_revert():
    """Unblocking restores the path."""
    _, net = make()
    net.set_blocked("a1", "a2", True)
    net.set_blocked("a1", "a2", False)
    assert net.reachable("a1", "a2")
    assert not net.blocked


def test_region_outage_takes_its_azs():
    """A Region that is down takes every AZ in it; other Regions stay up."""
    _, net = make()
    net.set_down("r1", True)
    assert not net.is_up("r1")
    assert not any(net.is_up(az) for az in ("a1", "a2", "a3"))
    assert net.is_up("b1") and net.is_up("r2")
    assert not net.reachable("b1", "a1")
    assert not net.reachable("a1", "a2")


def test_az_outage_does_not_take_its_region():
    """An AZ outage leaves the Region and its other AZs up."""
    _, net = make()
    net.set_down("a1", True)
    assert not net.is_up("a1")
    assert net.is_up("r1") and net.is_up("a2")
    assert not net.reachable("r1", "a1")
    assert net.reachable("r1", "a2")


def test_message_to_a_down_location_is_dropped_at_send():
    """``send`` says False when the destination is down."""
    world, net = make()
    net.set_down("a2", True)
    log = []
    assert net.send("a1", "a2", log.append, 1) is False
    world.run()
    assert log == []


def test_message_in_flight_is_dropped_if_the_path_breaks():
    """A message sent on a healthy path is lost if a partition starts before it arrives."""
    world, net = make()
    log = arrivals(world, net, "a1", "b1", at_s=1.0)
    world.call_later(1.0 + CROSS_REGION / 2, net.set_blocked, "r1", "r2", True)
    world.run()
    assert log == []


def test_message_in_flight_is_dropped_if_the_destination_goes_down():
    """A message is lost if its destination AZ fails while it travels."""
    world, net = make()
    log = arrivals(world, net, "a1", "a2", at_s=1.0)
    world.call_later(1.0 + INTER_AZ / 2, net.set_down, "a2", True)
    world.run()
    assert log == []


def test_message_in_flight_survives_a_partition_that_heals_before_delivery():
    """Reachability is judged at delivery: a brief break in between does not drop it."""
    world, net = make()
    log = arrivals(world, net, "a1", "b1", at_s=1.0)
    world.call_later(1.01, net.set_blocked, "a1", "b1", True)
    world.call_later(1.02, net.set_blocked, "a1", "b1", False)
    world.run()
    assert log == [pytest.approx(1.0 + CROSS_REGION)]


def test_added_latency_adds_to_the_base_delay():
    """Degrading a path adds its extra milliseconds to every message on it."""
    world, net = make()
    net.degrade("a1", "a2", 5.0, 0.0, True)
    there = arrivals(world, net, "a1", "a2")
    back = arrivals(world, net, "a2", "a1")
    world.run()
    assert there == [pytest.approx(INTER_AZ + 0.005)]
    assert back == [pytest.approx(INTER_AZ)]


def test_added_latency_at_az_and_region_levels_adds_up():
    """Extra delay on a Region path and on an AZ path inside it both apply."""
    world, net = make()
    net.degrade("r1", "r2", 10.0, 0.0, True)
    net.degrade("a1", "b1", 5.0, 0.0, True)
    via_a1 = arrivals(world, net, "a1", "b1")
    via_a2 = arrivals(world, net, "a2", "b1")
    world.run()
    assert via_a1 == [pytest.approx(CROSS_REGION + 0.015)]
    assert via_a2 == [pytest.approx(CROSS_REGION + 0.010)]


def test_removing_added_latency_restores_the_base_delay():
    """Ending a degradation removes it."""
    world, net = make()
    net.degrade("a1", "a2", 5.0, 0.5, True)
    net.degrade("a1", "a2", 5.0, 0.5, False)
    log = arrivals(world, net, "a1", "a2")
    world.run()
    assert log == [pytest.approx(INTER_AZ)]
    assert not net.extra_delay_s and not net.loss


def test_total_loss_drops_every_message():
    """With loss 1 nothing gets through; the reverse direction is unaffected."""
    world, net = make()
    net.degrade("a1", "a2", 0.0, 1.0, True)
    assert all(net.send("a1", "a2", lambda: None) is False for _ in range(50))
    assert net.send("a2", "a1", lambda: None) is True


def test_partial_loss_drops_about_that_fraction():
    """With loss p about a fraction p of messages is dropped (seeded, so exact per seed)."""
    world, net = make()
    net.degrade("a1", "a2", 0.0, 0.3, True)
    sent = sum(net.send("a1", "a2", lambda: None) for _ in range(2000))
    assert 0.65 < sent / 2000 < 0.75


def test_nested_outages_need_both_ends_reverted():
    """Two overlapping outages of one place: it stays down until both have ended."""
    _, net = make()
    net.set_down("a1", True)
    net.set_down("a1", True)
    net.set_down("a1", False)
    assert not net.is_up("a1")
    net.set_down("a1", False)
    assert net.is_up("a1")
    assert not net.down


def test_az_outage_nested_in_a_region_outage():
    """An AZ down on its own stays down after its Region comes back."""
    _, net = make()
    net.set_down("a1", True)
    net.set_down("r1", True)
    net.set_down("r1", False)
    assert not net.is_up("a1")
    assert net.is_up("a2")


def test_nested_partitions_need_both_reverted():
    """Overlapping partitions of one path compose by counting."""
    _, net = make()
    net.set_blocked("a1", "a2", True)
    net.set_blocked("a1", "a2", True)
    net.set_blocked("a1", "a2", False)
    assert not net.reachable("a1", "a2")
    net.set_blocked("a1", "a2", False)
    assert net.reachable("a1", "a2")


def test_nested_added_latency_composes():
    """Overlapping added-latency faults on one path compose: ending one leaves the other."""
    world, net = make()
    net.degrade("a1", "a2", 5.0, 0.0, True)
    net.degrade("a1", "a2", 7.0, 0.0, True)
    during = arrivals(world, net, "a1", "a2", at_s=1.0)
    world.call_later(2.0, net.degrade, "a1", "a2", 5.0, 0.0, False)  # the first one ends
    after_first = arrivals(world, net, "a1", "a2", at_s=3.0)
    world.run()
    assert during[0] >= 1.0 + INTER_AZ + 0.007  # at least the larger one (they may add)
    assert after_first == [pytest.approx(3.0 + INTER_AZ + 0.007)]


def test_jitter_is_lognormal_around_the_base_delay():
    """With jitter the median delay stays at RTT/2 and delays vary."""
    world = World(0, 0, 10.0)
    net = Network(world, {"r1": ["a1", "a2"]}, 1.0, 0.2, lambda a, b: 60.0, jitter_sigma=0.5)
    delays = sorted(net.delay_s("a1", "a2") for _ in range(2001))
    assert delays[0] < INTER_AZ < delays[-1]
    assert delays[1000] == pytest.approx(INTER_AZ, rel=0.1)
