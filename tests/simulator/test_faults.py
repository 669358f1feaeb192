"""The fault injector: scheduled and stochastic faults, their records and reverts."""

from __future__ import annotations

import pytest

from hadrsim.simulator.faults import FaultInjector
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.records import Fault
from hadrsim.simulator.world import World
from hadrsim.spec.faults import FaultScenario, ScheduledFault, StochasticFault


class Targets:
    """A design with a primary in a1 and a replica in b1, and no standby."""

    def __init__(self, world: World, net: Network):
        log = Log()
        self.primary = Node(world, net, "p", "a1", log.root)
        self.replica = Node(world, net, "r", "b1", log.root)

    def node(self, target: str, kind: str | None = None) -> Node | None:
        nodes = {"primary": self.primary, "replica": self.replica,
                 "node:p": self.primary, "node:r": self.replica}
        return nodes.get(target)

    def place(self, target: str) -> str | None:
        symbolic = {"primary_az": "a1", "primary_region": "r1", "replica_az": "b1",
                    "replica_region": "r2", "standby_az": None}
        return symbolic.get(target, target)

    def not_applicable(self, fault) -> str | None:
        """The design's static rule: this one has no backups."""
        return "no automated backups" if fault.kind == "backup_failure" else None


def run(*, scheduled=(), stochastic=(), horizon_s: float = 100.0, seed: int = 0,
        run_index: int = 0, probes=()):
    """Inject a scenario into a small world; ``probes`` are ``(t, fn(world, net, targets))``."""
    world = World(seed, run_index, horizon_s)
    net = Network(world, {"r1": ["a1", "a2", "a3"], "r2": ["b1"]}, 1.0, 0.2,
                  lambda a, b: 60.0, 0.0)
    targets = Targets(world, net)
    scenario = FaultScenario(
        name="s",
        scheduled=[ScheduledFault(**f) for f in scheduled],
        stochastic=[StochasticFault(**f) for f in stochastic],
    )
    seen = []
    for t, probe in probes:
        world.call_later(t, lambda p=probe: seen.append((world.now, p(world, net, targets))))
    FaultInjector(world, net, targets, scenario).start()
    world.run()
    return world, net, targets, seen


def test_scheduled_crash_with_duration_records_one_fault_and_reverts():
    """A crash at t for d seconds: one Fault with start/end, the node down only meanwhile."""
    crashed = lambda w, n, t: t.primary.crashed  # noqa: E731
    world, _, targets, seen = run(
        scheduled=[{"kind": "instance_crash", "target": "primary", "at_s": 10.0,
                    "duration_s": 5.0}],
        probes=[(9.0, crashed), (12.0, crashed), (16.0, crashed)],
    )
    assert world.rec.faults == [
        Fault(1, "instance_crash", "node:p", "Hardware", 10.0, 15.0, ())
    ]
    assert seen == [(9.0, 0), (12.0, 1), (16.0, 0)]
    assert targets.primary.responsive


def test_permanent_fault_has_no_end():
    """Without a duration the fault lasts: ``end_s`` is None and nothing reverts it."""
    world, _, targets, _ = run(
        scheduled=[{"kind": "instance_crash", "target": "primary", "at_s": 10.0}],
    )
    assert world.rec.faults[0].end_s is None
    assert targets.primary.crashed == 1


def test_faults_announce_changes_at_start_and_end():
    """Listeners waiting on changes are woken when a fault starts and when it ends."""
    world = World(0, 0, 100.0)
    net = Network(world, {"r1": ["a1"], "r2": ["b1"]}, 1.0, 0.2, lambda a, b: 60.0, 0.0)
    changes = []
    world.on_change(lambda: changes.append(world.now))
    scenario = FaultScenario(name="s", scheduled=[
        ScheduledFault(kind="instance_crash", target="primary", at_s=10.0, duration_s=5.0)])
    FaultInjector(world, net, Targets(world, net), scenario).start()
    world.run()
    assert changes == [10.0, 15.0]


def test_scheduled_faults_are_announced_ahead():
    """The nemesis schedule is told to observers at start: ``fault_ahead(at_s)``."""
    world = World(0, 0, 100.0)
    net = Network(world, {"r1": ["a1"], "r2": ["b1"]}, 1.0, 0.2, lambda a, b: 60.0, 0.0)
    ahead = []
    world.on_fault_ahead(ahead.append)
    scenario = FaultScenario(name="s", scheduled=[
        ScheduledFault(kind="instance_crash", at_s=30.0),
        ScheduledFault(kind="az_outage", at_s=60.0, duration_s=5.0),
    ])
    FaultInjector(world, net, Targets(world, net), scenario).start()
    assert ahead == [30.0, 60.0]


def test_overlapping_crashes_compose():
    """Two overlapping crashes of one node: it is back only when both have ended."""
    crashed = lambda w, n, t: t.primary.crashed  # noqa: E731
    world, _, _, seen = run(
        scheduled=[
            {"kind": "instance_crash", "at_s": 10.0, "duration_s": 10.0},
            {"kind": "instance_crash", "at_s": 15.0, "duration_s": 10.0},
        ],
        probes=[(18.0, crashed), (22.0, crashed), (26.0, crashed)],
    )
    assert [f.fault_id for f in world.rec.faults] == [1, 2]
    assert seen == [(18.0, 2), (22.0, 1), (26.0, 0)]


def test_region_outage_lists_the_region_and_its_azs():
    """A Region outage takes its AZs; the record names them all as affected."""
    up = lambda w, n, t: (n.is_up("r1"), n.is_up("a2"), n.is_up("b1"))  # noqa: E731
    world, net, _, seen = run(
        scheduled=[{"kind": "region_outage", "target": "primary_region", "at_s": 10.0,
                    "duration_s": 20.0}],
        probes=[(15.0, up), (31.0, up)],
    )
    (fault,) = world.rec.faults
    assert fault.scope == "region:r1"
    assert fault.disruption == "Region"
    assert fault.affected_locations == ("r1", "a1", "a2", "a3")
    assert seen == [(15.0, (False, False, True)), (31.0, (True, True, True))]


def test_az_outage_lists_only_the_az():
    """An AZ outage affects that AZ alone."""
    world, _, targets, _ = run(
        scheduled=[{"kind": "az_outage", "target": "primary_az", "at_s": 10.0}],
    )
    (fault,) = world.rec.faults
    assert (fault.scope, fault.disruption, fault.affected_locations) == ("az:a1", "AZ", ("a1",))
    assert not targets.primary.responsive


def test_partition_blocks_both_ways_by_default():
    """A partition between two places cuts traffic in both directions, then heals."""
    paths = lambda w, n, t: (n.reachable("a1", "b1"), n.reachable("b1", "a1"))  # noqa: E731
    world, _, _, seen = run(
        scheduled=[{"kind": "network_partition", "between": ["r1", "r2"], "at_s": 10.0,
                    "duration_s": 5.0}],
        probes=[(12.0, paths), (16.0, paths)],
    )
    assert world.rec.faults[0].scope == "link:r1<->r2"
    assert world.rec.faults[0].affected_locations == ()
    assert seen == [(12.0, (False, False)), (16.0, (True, True))]


def test_one_way_partition_blocks_one_direction():
    """``one_way`` cuts only traffic from ``between[0]`` to ``between[1]``."""
    paths = lambda w, n, t: (n.reachable("a1", "b1"), n.reachable("b1", "a1"))  # noqa: E731
    world, _, _, seen = run(
        scheduled=[{"kind": "network_partition", "between": ["primary_az", "replica_az"],
                    "one_way": True, "at_s": 10.0, "duration_s": 5.0}],
        probes=[(12.0, paths), (16.0, paths)],
    )
    assert world.rec.faults[0].scope == "link:a1->b1"
    assert seen == [(12.0, (False, True)), (16.0, (True, True))]


def test_added_latency_slows_the_path_and_reverts():
    """Added latency adds its milliseconds to each message while it lasts."""
    delay = lambda w, n, t: round(n.delay_s("a1", "a2"), 9)  # noqa: E731
    world, _, _, seen = run(
        scheduled=[{"kind": "added_latency", "between": ["a1", "a2"], "latency_ms": 20.0,
                    "at_s": 10.0, "duration_s": 5.0}],
        probes=[(12.0, delay), (16.0, delay)],
    )
    assert world.rec.faults[0].disruption == "Software"
    assert seen == [(12.0, 0.0205), (16.0, 0.0005)]


def test_replication_break_and_hang_act_on_the_node():
    """A replication break stops the node's inbound stream; a hang makes it unresponsive."""
    state = lambda w, n, t: (t.replica.inbound_broken, t.primary.hung)  # noqa: E731
    world, _, _, seen = run(
        scheduled=[
            {"kind": "replication_break", "target": "replica", "at_s": 10.0, "duration_s": 5.0},
            {"kind": "instance_hang", "target": "primary", "at_s": 10.0, "duration_s": 5.0},
        ],
        probes=[(12.0, state), (16.0, state)],
    )
    assert [f.scope for f in world.rec.faults] == ["stream:r", "node:p"]
    assert seen == [(12.0, (1, 1)), (16.0, (0, 0))]


def test_storage_loss_is_not_reverted_by_its_end():
    """A lost volume stays lost (only a restore brings the node back)."""
    world, _, targets, _ = run(
        scheduled=[{"kind": "storage_loss", "at_s": 10.0, "duration_s": 5.0}],
    )
    assert targets.primary.storage_lost
    assert targets.primary.storage_lost_at == 10.0
    assert targets.primary.crashed == 1


def test_disruption_class_can_be_overridden():
    """A fault's disruption class defaults by kind but the scenario may set it."""
    world, *_ = run(
        scheduled=[{"kind": "instance_crash", "at_s": 1.0, "duration_s": 1.0,
                    "disruption": "Software"}],
    )
    assert world.rec.faults[0].disruption == "Software"


def test_a_fault_that_cannot_apply_leaves_no_record_and_logs_why():
    """Applicability is decided before recording: no Fault (no episode), one
    ``fault_not_applicable`` event with ``"<kind>: <reason>"``."""
    world, _, targets, _ = run(
        scheduled=[
            {"kind": "instance_crash", "target": "standby", "at_s": 10.0},
            {"kind": "az_outage", "target": "standby_az", "at_s": 20.0},
            {"kind": "backup_failure", "at_s": 25.0},
            {"kind": "instance_crash", "target": "primary", "at_s": 30.0, "duration_s": 1.0},
        ],
    )
    declined = [(e.time_s, e.detail) for e in world.rec.control
                if e.event == "fault_not_applicable"]
    assert declined == [(10.0, "instance_crash: no standby in this design now"),
                        (20.0, "az_outage: no standby_az in this design now"),
                        (25.0, "backup_failure: no automated backups")]
    assert [(f.fault_id, f.start_s) for f in world.rec.faults] == [(1, 30.0)]
    assert not targets.primary.crashed


STOCHASTIC = [{"kind": "instance_crash", "mttf_h": 0.05, "mttr_h": 0.01},
              {"kind": "replication_break", "target": "replica", "mttf_h": 0.1,
               "mttr_h": {"dist": "exponential", "mean": 0.02}}]


def test_stochastic_arrivals_are_reproducible_for_a_seed():
    """The same seed and run index give the same fault history."""
    first, *_ = run(stochastic=STOCHASTIC, horizon_s=20_000.0, seed=4, run_index=2)
    second, *_ = run(stochastic=STOCHASTIC, horizon_s=20_000.0, seed=4, run_index=2)
    assert len(first.rec.faults) > 10
    assert first.rec.faults == second.rec.faults


@pytest.mark.parametrize(("seed", "run_index"), [(5, 2), (4, 3)])
def test_stochastic_arrivals_differ_across_runs(seed, run_index):
    """Another seed or run index draws another history."""
    base, *_ = run(stochastic=STOCHASTIC, horizon_s=20_000.0, seed=4, run_index=2)
    other, *_ = run(stochastic=STOCHASTIC, horizon_s=20_000.0, seed=seed, run_index=run_index)
    assert base.rec.faults != other.rec.faults


def test_stochastic_classes_use_independent_streams():
    """Adding a fault class does not change the arrivals of another."""
    alone, *_ = run(stochastic=STOCHASTIC[:1], horizon_s=20_000.0, seed=4)
    both, *_ = run(stochastic=STOCHASTIC, horizon_s=20_000.0, seed=4)
    crashes = [(f.start_s, f.end_s) for f in both.rec.faults if f.kind == "instance_crash"]
    assert [(f.start_s, f.end_s) for f in alone.rec.faults] == crashes


def test_stochastic_faults_alternate_up_and_down_within_the_horizon():
    """Each class's next fault arrives only after the previous one is repaired."""
    world, _, targets, _ = run(stochastic=STOCHASTIC[:1], horizon_s=50_000.0, seed=1)
    faults = world.rec.faults
    assert all(f.end_s is not None and f.end_s > f.start_s for f in faults)
    assert all(f.start_s < 50_000.0 for f in faults)
    assert all(a.end_s <= b.start_s for a, b in zip(faults, faults[1:], strict=False))
    mean_gap = (faults[-1].start_s - faults[0].start_s) / (len(faults) - 1)
    assert 0.5 * 180.0 < mean_gap - 36.0 < 2.0 * 180.0  # MTTF 0.05 h + MTTR 0.01 h
    assert targets.primary.crashed == (faults[-1].end_s > 50_000.0)
