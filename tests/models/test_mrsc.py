"""DynamoDB MRSC: leaderless majority writes (issue 11, item 14; calibration.md §7, S16).

An MRSC write commits once it is durable in its own Region and in one other member
of the set, so its latency is the local write + the RTT to the *nearest* other
member (calibration.md §7: "local + RTT to nearest set member"), not the RTT to a
single leader. A Region keeps writing while it reaches one other member; one that
reaches neither cannot write. Concurrent writes to one item from two Regions: one
fails (``ReplicatedWriteConflictException``), never a lost update. Strongly
consistent reads see every acknowledged write. Acknowledged writes are never lost.
"""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.experiments.run import simulate
from hadrsim.simulator.checkers import run_metrics

ALL = ["us-east-1", "us-east-2", "us-west-2"]
NETWORK = {  # the study network: us-east-1 <-> us-east-2 12 ms, us-east-1 <-> us-west-2 65 ms
    "regions": [{"name": r, "azs": [f"{r}{z}" for z in "abc"]} for r in ALL],
    "region_rtt_ms": [{"a": "us-east-2", "b": "us-west-2", "rtt_ms": 50}],
}
SECURECART = {"name": "witness", "kind": "dynamodb_global_table", "consistency": "strong",
              "regions": ["us-east-1", "us-west-2"], "witness_region": "us-east-2"}
THREE = {"name": "three", "kind": "dynamodb_global_table", "consistency": "strong"}
MREC = {"name": "mrec", "kind": "dynamodb_global_table"}  # the local write path alone
CUT_AT_S, CUT_FOR_S = 30.0, 60.0
CONFLICT = "ReplicatedWriteConflictException"


def _study(make_study, designs, scheduled=(), horizon_s=120.0, **workload):
    workload = {"client_regions": ALL, "observed_clients": 6, "observed_keys": 50, **workload}
    return make_study(horizon_s=horizon_s, network=NETWORK, workload=workload, designs=designs,
                      scenarios=[{"name": "s", "scheduled": list(scheduled)}])


def _cut(a: str, b: str) -> dict:
    return {"kind": "network_partition", "between": [a, b], "at_s": CUT_AT_S,
            "duration_s": CUT_FOR_S}


def _ops(world, kind, region, start_s=0.0, end_s=np.inf):
    return [op for op in world.rec.ops if op.kind == kind and op.client_region == region
            and start_s <= op.invoke_s < end_s]


def _p50_ms(worlds, kind, region) -> float:
    return float(np.median([(op.complete_s - op.invoke_s) * 1e3 for w in worlds
                            for op in _ops(w, kind, region) if op.outcome == "ok"]))


def _during_cut(world, region, kind="write"):
    """Operations invoked inside the cut that finished (2-s timeout) before it healed."""
    return _ops(world, kind, region, CUT_AT_S + 0.5, CUT_AT_S + CUT_FOR_S - 2.5)


# --- latency -------------------------------------------------------------------------------
@pytest.mark.parametrize(("design", "nearest"), [
    (SECURECART, {"us-east-1": "us-east-2", "us-west-2": "us-east-2"}),  # the witness
    (THREE, {"us-east-1": "us-east-2", "us-east-2": "us-east-1", "us-west-2": "us-east-2"}),
])
def test_write_p50_is_local_write_plus_rtt_to_the_nearest_member(make_study, design, nearest):
    """securecart: us-east-1 ~ local + 12 ms, us-west-2 ~ local + 50 ms (not 65 + 12)."""
    study = _study(make_study, [design, MREC])
    worlds = {d: [simulate(study, d, "s", seed) for seed in range(2)]
              for d in (design["name"], "mrec")}
    for region, member in nearest.items():
        local = _p50_ms(worlds["mrec"], "write", region)  # client hop + local durable write
        rtt = study.network.rtt_between_regions_ms(region, member)
        assert _p50_ms(worlds[design["name"]], "write", region) == pytest.approx(
            local + rtt, abs=3.0), region


def test_strong_reads_take_one_round_trip_and_see_every_acknowledged_write(make_study):
    """S16: strongly consistent reads return the latest version irrespective of the Region."""
    study = _study(make_study, [{**SECURECART, "consistent_reads": True}], observed_keys=3)
    world = simulate(study, "witness", "s", 0)
    metrics, _ = run_metrics(world.rec)
    assert metrics["stale_reads"] == 0 and metrics["ryw_violations"] == 0
    assert metrics["monotonic_read_violations"] == 0
    assert _p50_ms([world], "read", "us-east-1") == pytest.approx(1.0 + 12.0, abs=3.0)
    assert _p50_ms([world], "read", "us-west-2") == pytest.approx(1.0 + 50.0, abs=3.0)


# --- partitions -----------------------------------------------------------------------------
@pytest.mark.parametrize("design", [SECURECART, THREE])
def test_both_sides_keep_writing_while_each_reaches_the_third_member(make_study, design):
    """us-east-1 and us-west-2 cut apart, both still reach us-east-2: both keep writing.

    Three hot items written from both sides: us-west-2 learns us-east-1's writes only
    through us-east-2 and still commits on top of them. The only failures are the
    rare conflicts of two Regions writing one item at once (S16), never a timeout.
    """
    study = _study(make_study, [{**design, "consistent_reads": True}],
                   [_cut("us-east-1", "us-west-2")], observed_keys=3)
    for seed in range(3):
        world = simulate(study, design["name"], "s", seed)
        for region in ("us-east-1", "us-west-2"):
            writes = _during_cut(world, region)
            ok = sum(op.outcome == "ok" for op in writes)
            assert len(writes) > 40 and ok >= 0.95 * len(writes), (region, ok, len(writes))
            assert all(CONFLICT in op.error for op in writes if op.outcome != "ok")
        metrics, _ = run_metrics(world.rec)
        assert metrics["stale_reads"] == 0 and metrics["lost_writes"] == 0


@pytest.mark.parametrize("isolated", ["us-east-1", "us-west-2"])
def test_a_region_isolated_from_both_members_cannot_write(make_study, isolated):
    """Its writes (and strong reads) fail at once; the other two write on, with no failover."""
    others = [r for r in ALL if r != isolated]
    study = _study(make_study, [{**THREE, "consistent_reads": True}],
                   [_cut(isolated, other) for other in others])
    for seed in range(3):
        world = simulate(study, "three", "s", seed)
        writes, reads = _during_cut(world, isolated), _during_cut(world, isolated, "read")
        assert len(writes) > 20 and all(op.outcome == "fail" for op in writes)
        assert reads and all(op.outcome == "fail" for op in reads)
        for region in others:
            writes = _during_cut(world, region)
            assert len(writes) > 20 and all(op.outcome == "ok" for op in writes), region
        healed = _ops(world, "write", isolated, CUT_AT_S + CUT_FOR_S + 5.0)
        assert healed and all(op.outcome == "ok" for op in healed)
        metrics, _ = run_metrics(world.rec)
        assert metrics["lost_writes"] == 0 and metrics["divergent_keys"] == 0


def test_a_crashed_member_does_not_stall_the_other_two(make_study):
    """The witness host dies: us-east-1 and us-west-2 commit with each other (65 ms), even
    on hot items both write; no write hangs on the silent member (no timeouts)."""
    crash = {"kind": "instance_crash", "target": "node:witness-witness", "at_s": CUT_AT_S,
             "duration_s": CUT_FOR_S}
    study = _study(make_study, [SECURECART], [crash], observed_keys=3,
                   client_regions=["us-east-1", "us-west-2"])
    for seed in range(3):
        world = simulate(study, "witness", "s", seed)
        for region in ("us-east-1", "us-west-2"):
            writes = _during_cut(world, region)
            ok = sum(op.outcome == "ok" for op in writes)
            assert len(writes) > 40 and ok >= 0.9 * len(writes), (region, ok, len(writes))
            assert all(op.outcome != "unknown" for op in writes)
        assert run_metrics(world.rec)[0]["lost_writes"] == 0


# --- conflicts ------------------------------------------------------------------------------
def test_concurrent_writes_to_one_item_fail_instead_of_losing_an_update(make_study):
    """Two Regions 12 ms apart hammer one item: some writes fail with
    ReplicatedWriteConflictException; no acknowledged write is lost or silently replaced."""
    study = _study(make_study, [THREE], client_regions=["us-east-1", "us-east-2"],
                   observed_clients=8, observed_keys=1, observed_write_fraction=1.0,
                   probe_interval_s=0.05, idle_interval_s=None, horizon_s=60.0)
    world = simulate(study, "three", "s", 0)
    errors = [op.error or "" for op in world.rec.ops if op.outcome == "fail"]
    assert any(CONFLICT in e for e in errors)
    metrics, _ = run_metrics(world.rec)
    assert metrics["lost_writes"] == 0 and metrics["lost_updates"] == 0
    assert metrics["conflicts"] == 0  # no two acknowledged writes replaced the same version
    assert metrics["write_success_ratio"] > 0.5


# --- nothing acknowledged is ever lost -------------------------------------------------------
SEEDS = 50


@pytest.mark.slow
@pytest.mark.parametrize("fault", [
    {"kind": "region_outage", "target": "primary_region", "at_s": CUT_AT_S,
     "duration_s": CUT_FOR_S},
    _cut("us-east-1", "us-west-2"),
], ids=["region-outage", "region-partition"])
def test_no_acknowledged_write_or_update_is_lost(make_study, fault):
    """securecart's MRSC table, 50 seeds per fault: 0 lost writes, 0 lost updates, no
    divergence after the fault heals."""
    study = _study(make_study, [SECURECART], [fault], horizon_s=100.0, observed_clients=4,
                   observed_keys=3, client_regions=["us-east-1", "us-west-2"])
    for seed in range(SEEDS):
        metrics, _ = run_metrics(simulate(study, "witness", "s", seed).rec)
        assert metrics["lost_writes"] == 0 and metrics["lost_writes_commits"] == 0, seed
        assert metrics["lost_updates"] == 0 and metrics["conflicts"] == 0, seed
        assert metrics["divergent_keys"] == 0 and metrics["split_brain_s"] == 0, seed
