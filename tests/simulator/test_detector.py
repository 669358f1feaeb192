"""Failure detection by periodic health checks, sleeping while nothing changes."""

from __future__ import annotations

import pytest

from hadrsim.simulator.detector import FailureDetector
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.world import World

INTERVAL, THRESHOLD, TIMEOUT = 1.0, 3, 0.5


class Watch:
    """One node in a1 watched from Region r1; ``detected`` logs ``(time, node)``."""

    def __init__(self, seed: int = 0, horizon_s: float = 200.0, **kwargs):
        self.world = World(seed, 0, horizon_s)
        self.net = Network(self.world, {"r1": ["a1", "a2"], "r2": ["b1"]}, 1.0, 0.2,
                           lambda a, b: 60.0, 0.0)
        self.node = Node(self.world, self.net, "n1", "a1", Log().root)
        self.detected: list[tuple[float, str]] = []
        options = {"interval_s": INTERVAL, "failure_threshold": THRESHOLD,
                   "timeout_s": TIMEOUT, **kwargs}
        self.detector = FailureDetector(
            self.world, self.net, "test",
            observer=lambda: "r1",
            target=lambda: self.node,
            on_down=lambda node: self.detected.append((self.world.now, node.name)),
            **options,
        )

    def at(self, t: float, fn, *args) -> None:
        """Change the world at ``t`` and announce it, as the fault injector does."""

        def act() -> None:
            fn(*args)
            self.world.changed()

        self.world.call_later(t, act)

    def crash(self, t: float, until: float | None = None) -> None:
        self.at(t, setattr, self.node, "crashed", 1)
        if until is not None:
            self.at(until, setattr, self.node, "crashed", 0)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(
    ("interval", "threshold", "timeout"),
    [(INTERVAL, THRESHOLD, TIMEOUT), (5.0, 1, 2.0), (2.0, 5, 1.5)],
)
def test_detection_time_is_within_the_health_check_bounds(seed, interval, threshold, timeout):
    """Detected between (threshold-1) x interval + timeout and threshold x interval + timeout."""
    w = Watch(seed, interval_s=interval, failure_threshold=threshold, timeout_s=timeout)
    w.crash(100.0)
    w.world.run()
    (t, name), = w.detected
    assert name == "n1"
    delay = t - 100.0
    assert (threshold - 1) * interval + timeout < delay <= threshold * interval + timeout + 1e-9


def test_probes_stay_on_the_phase_grid():
    """Detection lands on phase + k x interval + timeout: probes keep their grid."""
    w = Watch(seed=3)
    w.crash(50.0)
    w.world.run()
    (t, _), = w.detected
    k = (t - TIMEOUT - w.detector.phase) / INTERVAL
    assert k == pytest.approx(round(k), abs=1e-9)


def test_a_hung_node_is_detected_like_a_crashed_one():
    """A node that is alive but unresponsive fails its health checks."""
    w = Watch()
    w.at(10.0, setattr, w.node, "hung", 1)
    w.world.run()
    assert len(w.detected) == 1
    assert 10.0 + 2.5 < w.detected[0][0] <= 10.0 + 3.5 + 1e-9


def test_a_partition_from_the_observer_looks_like_a_failure():
    """The detector cannot tell a dead node from an unreachable one."""
    w = Watch()
    w.at(10.0, w.net.set_blocked, "r1", "a1", True)
    w.world.run()
    assert len(w.detected) == 1


def test_a_failure_shorter_than_the_threshold_is_not_detected():
    """A crash that heals before threshold probes fail goes unnoticed."""
    w = Watch()
    w.crash(10.0, until=11.2)  # at most two probes fail
    w.world.run()
    assert w.detected == []


def test_detects_once_per_outage():
    """``on_down`` is called once however long the target stays down; again for a new outage."""
    w = Watch(horizon_s=300.0)
    w.crash(10.0, until=60.0)
    w.crash(100.0)
    w.world.run()
    assert len(w.detected) == 2
    assert 12.5 < w.detected[0][0] <= 13.5 + 1e-9
    assert 102.5 < w.detected[1][0] <= 103.5 + 1e-9


def test_reset_detects_a_still_failed_target_again():
    """After ``reset`` (a new target after failover) a still-dead target is reported anew."""
    w = Watch()
    w.crash(10.0)
    w.world.call_later(20.0, w.detector.reset)
    w.world.run()
    assert len(w.detected) == 2
    assert 22.5 < w.detected[1][0] <= 23.5 + 1e-9


def test_down_observer_detects_nothing():
    """With the observer's Region down the detector waits instead of declaring failure."""
    w = Watch()
    w.at(5.0, w.net.set_down, "r1", True)
    w.crash(10.0)
    w.world.run()
    assert w.detected == []


def test_no_target_detects_nothing():
    """A detector with nothing to watch sleeps."""
    w = Watch()
    w.detector.target = lambda: None
    w.crash(10.0)
    w.world.run()
    assert w.detected == []


def test_disabled_detector_detects_nothing():
    """``enabled = False`` stops probing (a retired controller)."""
    w = Watch()
    w.detector.enabled = False
    w.crash(10.0)
    w.world.run()
    assert w.detected == []


def test_timeout_is_capped_at_the_interval():
    """A timeout longer than the interval is cut to the interval."""
    w = Watch(timeout_s=5.0)
    assert w.detector.timeout_s == INTERVAL


def test_sleeps_while_nothing_changes():
    """Over a long quiet horizon the detector schedules nothing at all."""
    w = Watch(horizon_s=10_000_000.0)
    w.world.run()
    assert w.world.events_scheduled < 5
    assert w.detected == []


def test_goes_back_to_sleep_after_a_recovery():
    """After the target recovers a few successful probes put it back to sleep."""
    w = Watch(horizon_s=10_000_000.0)
    w.crash(100.0, until=110.0)
    w.world.run()
    assert len(w.detected) == 1
    # ten seconds down cost ~3 events per probe; the idle years cost nothing
    assert w.world.events_scheduled < 100
    assert not w.detector.down


def test_a_change_that_breaks_nothing_costs_a_few_probes():
    """A change elsewhere wakes the detector for threshold probes, then it sleeps again."""
    w = Watch(horizon_s=1_000_000.0)
    for t in (10.0, 20.0, 30.0):
        w.at(t, lambda: None)
    w.world.run()
    assert w.detected == []
    assert w.world.events_scheduled < 3 * (THRESHOLD + 1) * 4


@pytest.mark.parametrize("recover_at", [5000.0, 5000.3])  # on a grid point's probe or between
def test_a_compressed_run_sleeps_through_a_long_outage_and_sees_the_recovery_alike(recover_at):
    """Down for hours: a compressed world stops probing a target that cannot answer and
    wakes at the next change, so the recovery is seen at the same probe as probing on."""
    seen = {}
    for compressed in (False, True):
        w = Watch(seed=2, horizon_s=6000.0)
        w.world.compressed = compressed
        ups: list[float] = []
        w.detector.on_up = lambda node, ups=ups, w=w: ups.append(w.world.now)
        w.crash(100.0, until=recover_at)
        w.world.run()
        seen[compressed] = (w.detected, ups, w.world.events_scheduled)
    (down, up, events), (down_c, up_c, events_c) = seen[False], seen[True]
    assert down_c == down and up_c == up and len(up) == 1
    assert events_c < events / 100
