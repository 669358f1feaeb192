"""Observed clients, alone and end to end: what they record around faults and failovers."""

from __future__ import annotations

from itertools import count

import numpy as np
import pytest

from hadrsim.experiments.run import simulate
from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.client import ObservedClient
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import FollowConfig, Node
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.service import Service
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant
from hadrsim.spec.loader import parse_study
from hadrsim.spec.workload import WorkloadSpec

HOP = 0.0005  # one-way inter-AZ / Region-to-AZ delay
FLUSH = 0.001


def fixed(seconds: float) -> Sampler:
    return Sampler(constant(seconds), np.random.Generator(np.random.PCG64(0)))


class Setup:
    """One primary (p, a1) and one non-readable sync standby (s, a2) behind endpoints."""

    def __init__(self, horizon_s: float = 20.0, client_region: str = "r1", seed: int = 0,
                 **workload):
        self.world = World(seed, 0, horizon_s)
        self.net = Network(self.world, {"r1": ["a1", "a2"], "r2": ["b1"]}, 1.0, 0.2,
                           lambda a, b: 60.0, 0.0)
        log = Log()
        follow = FollowConfig(mode="sync", readable=False, flush=fixed(0.0))
        self.p = Node(self.world, self.net, "p", "a1", log.root)
        self.s = Node(self.world, self.net, "s", "a2", log.root)
        self.p.follow = self.s.follow = follow
        self.group = ReplicationGroup(self.world, self.net, self.p, flush=fixed(FLUSH),
                                      background_writes_per_s=0.0)
        self.group.add_follower(self.s, in_sync=True)
        self.writer = Endpoint(self.world, "db.writer", 5.0, [self.p])
        self.reader = Endpoint(self.world, "db.reader", 5.0, [self.p])
        self.service = Service(self.world, log, self.group, self.writer, self.reader)
        self.spec = WorkloadSpec(**{"probe_interval_s": 0.5, **workload})
        self.client = ObservedClient(self.world, self.net, self.service, self.spec, "c1",
                                     client_region, count(1))

    def run(self):
        self.client.start()
        self.world.run()
        return self.world.rec.ops


def test_write_latency_is_a_round_trip_plus_the_commit():
    """Client in r1, primary in a1, standby in a2: RTT + max(flush, standby RTT)."""
    ops = Setup(observed_write_fraction=1.0).run()
    assert len(ops) > 10
    assert all(op.kind == "write" and op.outcome == "ok" and op.node == "p" for op in ops)
    for op in ops:
        assert op.complete_s - op.invoke_s == pytest.approx(2 * HOP + max(FLUSH, 2 * HOP))


def test_write_ids_are_unique_and_reads_return_acknowledged_writes():
    """Every write carries a fresh id; a read of the writer returns the newest acked write."""
    ops = Setup(observed_keys=1, horizon_s=60.0).run()
    writes = [op for op in ops if op.kind == "write"]
    reads = [op for op in ops if op.kind == "read"]
    assert writes and reads
    assert len({w.value for w in writes}) == len(writes)
    for read in reads:
        before = [w for w in writes if w.complete_s <= read.invoke_s]
        expected = before[-1].value if before else None
        assert read.outcome == "ok" and read.value == expected


def test_think_time_is_around_the_probe_interval():
    """Between successful operations a client waits 0.5-1.5 probe intervals."""
    ops = Setup(horizon_s=100.0).run()
    gaps = [b.invoke_s - a.complete_s for a, b in zip(ops, ops[1:], strict=False)]
    assert all(0.25 <= g <= 0.75 for g in gaps)


def test_unanswered_write_is_unknown_and_unanswered_read_fails():
    """A dead node gives no answer: a write is 'unknown', a read 'fail', after op_timeout_s."""
    setup = Setup(op_timeout_s=2.0, horizon_s=30.0)
    setup.p.crashed = 1
    ops = setup.run()
    assert {op.outcome for op in ops if op.kind == "write"} == {"unknown"}
    assert {op.outcome for op in ops if op.kind == "read"} == {"fail"}
    assert all(op.error == "timeout" for op in ops)
    assert all(op.complete_s - op.invoke_s == pytest.approx(2.0) for op in ops)


def test_failed_calls_are_retried_after_a_backoff():
    """After a failure the next call follows after 0.5-1.5 x retry_backoff_s."""
    setup = Setup(op_timeout_s=1.0, retry_backoff_s=3.0, horizon_s=60.0)
    setup.p.crashed = 1
    ops = setup.run()
    gaps = [b.invoke_s - a.complete_s for a, b in zip(ops, ops[1:], strict=False)]
    assert all(1.5 <= g <= 4.5 for g in gaps)


def test_write_to_a_read_only_node_fails_at_once():
    """A standby refuses writes: the client gets a quick 'read-only' failure."""
    setup = Setup(observed_write_fraction=1.0)
    setup.writer.targets = [setup.s]
    ops = setup.run()
    assert ops and all(op.outcome == "fail" and op.error == "read-only" for op in ops)
    assert all(op.complete_s - op.invoke_s == pytest.approx(2 * HOP) for op in ops)


def test_endpoint_without_targets_fails_without_a_request():
    """No node behind the endpoint: the operation fails at once with 'no endpoint'."""
    setup = Setup(observed_write_fraction=1.0)
    setup.writer.targets = []
    ops = setup.run()
    assert ops and all(op.error == "no endpoint" and op.node is None for op in ops)
    assert all(op.complete_s == op.invoke_s for op in ops)


def test_client_keeps_using_its_cached_node_until_the_cache_expires():
    """After a repoint the client stays on the old node until its DNS cache runs out."""
    setup = Setup(observed_write_fraction=1.0, dns_cache_s=10.0, horizon_s=30.0)
    setup.world.call_later(1.0, setattr, setup.p, "crashed", 1)
    setup.world.call_later(2.0, setup.group.switch_primary, setup.s,
                           setup.service.log.branch(setup.s.timeline, setup.s.lsn))
    setup.world.call_later(2.0, setup.writer.repoint, [setup.s])
    ops = setup.run()
    first_lookup = ops[0].invoke_s
    expiry = first_lookup + 10.0
    on_old = [op for op in ops if op.invoke_s < expiry]
    on_new = [op for op in ops if op.invoke_s >= expiry]
    assert {op.node for op in on_old} == {"p"}
    assert {op.node for op in on_new} == {"s"}
    assert all(op.outcome == "unknown" for op in on_old if op.invoke_s > 1.0)
    assert all(op.outcome == "ok" for op in on_new)


def test_client_in_a_down_region_issues_nothing_until_it_returns():
    """A client is down with its Region and resumes within a probe interval of its return."""
    setup = Setup(horizon_s=30.0)
    setup.world.call_later(5.0, setup.net.set_down, "r1", True)
    setup.world.call_later(5.0, setup.world.changed)
    setup.world.call_later(15.0, setup.net.set_down, "r1", False)
    setup.world.call_later(15.0, setup.world.changed)
    ops = setup.run()
    assert not [op for op in ops if 5.0 <= op.invoke_s < 15.0]
    resumed = min(op.invoke_s for op in ops if op.invoke_s >= 15.0)
    assert resumed <= 15.0 + 0.5


def test_same_seed_same_history():
    """A client's history is a pure function of the seed."""
    histories = [Setup(seed=3, horizon_s=30.0).run() for _ in range(2)]
    assert histories[0] == histories[1]
    assert Setup(seed=4, horizon_s=30.0).run() != histories[0]


# --- end to end ------------------------------------------------------------------------


def study(seed: int = 7, horizon_s: float = 200.0, workload=None, design=None, scenario=None,
          **top):
    """A tiny study: Regions r1 (3 AZs) and r2, constant delays, one Multi-AZ instance."""
    return parse_study({
        **top,
        "name": "tiny",
        "seed": seed,
        "horizon_s": horizon_s,
        "network": {
            "regions": [{"name": "r1", "azs": ["a1", "a2", "a3"]},
                        {"name": "r2", "azs": ["b1"]}],
            "region_rtt_ms": [{"a": "r1", "b": "r2", "rtt_ms": 60.0}],
            "jitter_sigma": 0.0,
        },
        "workload": {"observed_clients": 1, "write_rate_per_s": 10.0, **(workload or {})},
        "designs": [design or {
            "name": "maz", "kind": "rds_multi_az_instance", "promotion_s": 10.0,
            "dns_ttl_s": 5.0, "commit_flush_ms": 1.0, "standby_flush_ms": 1.0,
            "replace_host_s": 1000.0,
            "detection": {"interval_s": 1.0, "failure_threshold": 2, "timeout_s": 0.5},
        }],
        "scenarios": [scenario or {
            "name": "crash",
            "scheduled": [{"kind": "instance_crash", "target": "primary", "at_s": 20.0}],
        }],
    })


def first_scenario(s) -> tuple[str, str]:
    return s.designs[0].name, s.scenarios[0].name


def test_multi_az_crash_fails_over_and_writes_fail_then_succeed():
    """Primary crash: writes to it time out, the standby is promoted, writes succeed on it."""
    s = study()
    world = simulate(s, *first_scenario(s), 0)
    writes = [op for op in world.rec.ops if op.kind == "write"]
    before = [op for op in writes if op.complete_s < 20.0]
    assert before and all(op.outcome == "ok" and op.node == "maz-a" for op in before)
    failed = [op for op in writes if op.outcome != "ok"]
    assert failed and all(op.node == "maz-a" and op.invoke_s >= 19.9 for op in failed)
    after = [op for op in writes if op.invoke_s > failed[-1].invoke_s]
    assert after and all(op.outcome == "ok" and op.node == "maz-b" for op in after)

    events = [e.event for e in world.rec.control]
    for name in ("failure_detected", "promotion_started", "promotion_completed"):
        assert name in events
    detected = next(e.time_s for e in world.rec.control if e.event == "failure_detected")
    promoted = next(e.time_s for e in world.rec.control if e.event == "promotion_completed")
    assert 20.0 + 1.5 < detected <= 20.0 + 2.5 + 1e-9
    assert promoted == pytest.approx(detected + 10.0)

    metrics, (episode,) = run_metrics(world.rec)
    assert episode["recovered_write"]
    assert metrics["lost_writes"] == 0  # synchronous standby: nothing acknowledged is lost
    assert promoted - 20.0 <= episode["rto_write_s"] <= promoted - 20.0 + 5.0 + 2.0 + 1.0


def rto_with_cache(dns_cache_s: float | None, horizon_s: float = 320.0) -> tuple[float, list]:
    s = study(horizon_s=horizon_s,
              workload={"dns_cache_s": dns_cache_s, "observed_write_fraction": 1.0})
    world = simulate(s, *first_scenario(s), 0)
    metrics, _ = run_metrics(world.rec)
    return metrics["rto_write_s"], world.rec.ops


def test_client_keeps_hitting_the_old_node_until_its_dns_cache_expires():
    """A client that caches DNS for long keeps writing to the dead primary until expiry."""
    rto, ops = rto_with_cache(100.0)
    expiry = ops[0].invoke_s + 100.0  # the first lookup is cached for 100 s
    assert all(op.node == "maz-a" for op in ops if op.invoke_s < expiry)
    assert all(op.outcome != "ok" for op in ops if 20.0 <= op.invoke_s < expiry)
    recovered = min(op.complete_s for op in ops if op.invoke_s >= expiry and op.outcome == "ok")
    assert recovered - 20.0 == pytest.approx(rto)
    assert rto >= expiry - 20.0


def test_rto_grows_by_about_the_dns_cache_time():
    """Caching DNS for 100 s more delays recovery by about 100 s more."""
    base, _ = rto_with_cache(None)
    longer, _ = rto_with_cache(100.0)
    longest, _ = rto_with_cache(200.0)
    assert base < 20.0
    assert longer > base + 50.0
    assert longest - longer == pytest.approx(100.0, abs=3.0)


REGION_DOWN = {
    "name": "r2-down",
    "scheduled": [{"kind": "region_outage", "target": "r2", "at_s": 30.0, "duration_s": 40.0}],
}


def region_down_run(seed: int):
    s = study(seed=seed, horizon_s=120.0, scenario=REGION_DOWN,
              workload={"observed_clients": 2, "client_regions": ["r1", "r2"]},
              design={"name": "single", "kind": "rds_single_az"})
    return simulate(s, *first_scenario(s), 0)


def test_client_in_a_down_region_records_nothing_during_the_outage():
    """Its client issues nothing while r2 is down; the client in r1 carries on."""
    world = region_down_run(seed=7)
    r2 = [op for op in world.rec.ops if op.client_region == "r2"]
    r1 = [op for op in world.rec.ops if op.client_region == "r1"]
    assert r2 and not [op for op in r2 if 30.0 <= op.invoke_s < 70.0]
    assert min(op.invoke_s for op in r2 if op.invoke_s >= 70.0) <= 70.5
    assert [op for op in r1 if 30.0 <= op.invoke_s < 70.0]
    assert all(op.outcome == "ok" for op in r1)


def test_client_in_a_down_region_records_no_completion_during_the_outage():
    """Seed 2: c2's write, invoked 24 ms before r2 goes down, must not complete during it."""
    world = region_down_run(seed=2)
    r2 = [op for op in world.rec.ops if op.client_region == "r2"]
    assert not [op for op in r2 if 30.0 <= op.complete_s < 70.0]


def test_same_study_and_run_index_give_the_same_history():
    """Determinism end to end: identical records and hash for the same seed and run."""
    s = study()
    first = simulate(s, *first_scenario(s), 3).rec
    second = simulate(s, *first_scenario(s), 3).rec
    assert first.history_hash() == second.history_hash()
    assert first.ops == second.ops
    assert simulate(s, *first_scenario(s), 4).rec.history_hash() != first.history_hash()


def test_clients_probe_densely_around_faults_and_sparsely_elsewhere():
    """With an idle interval, observed clients thin out away from the nemesis schedule."""
    s = study(horizon_s=3000.0, workload={"idle_interval_s": 100.0},
              scenario={"name": "crash", "scheduled": [
                  {"kind": "instance_crash", "at_s": 1500.0, "duration_s": 1.0}]})
    ops = simulate(s, *first_scenario(s), 0).rec.ops
    around = [op for op in ops if 1500.0 - 30.0 <= op.invoke_s <= 1500.0 + 120.0]
    before = [op for op in ops if 200.0 <= op.invoke_s < 1400.0]
    assert len(around) > 150  # every ~0.5 s for 150 s
    assert len(before) < 30  # every ~100 s for 1200 s


def test_promoting_a_lagging_async_replica_after_a_crash_loses_the_lag():
    """Replica 30 s behind, primary host dies for good: the operator's promotion loses ~30 s."""
    s = study(
        horizon_s=400.0,
        workload={"observed_write_fraction": 1.0},
        design={"name": "dr", "kind": "rds_single_az", "replace_host_s": None,
                "replicas": [{"region": "r2", "lag_s": 30.0, "promotion_s": 10.0}]},
        scenario={"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 100.0}]},
        failover={"operator_delay_s": 60.0},
    )
    world = simulate(s, *first_scenario(s), 0)
    assert "promotion_completed" in [e.event for e in world.rec.control]
    metrics, _ = run_metrics(world.rec)
    assert metrics["lost_writes"] > 0
    assert 20.0 < metrics["rpo_s"] <= 31.0
