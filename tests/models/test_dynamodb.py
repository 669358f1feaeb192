"""DynamoDB global tables: MREC (multi-active, last writer wins) and MRSC (strong).

calibration.md section 7: MREC replicates asynchronously, "typically within one
second", and settles conflicts by last writer wins, silently (S16, S17): every
Region keeps writing through a partition, and concurrent updates are lost. MRSC
has three members (three replicas, or two and a witness), RPO 0, and a higher write
latency (a cross-Region round trip to the nearest member, S16): a Region that
reaches no other member cannot write.
"""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.experiments.montecarlo import execute, plan_runs
from hadrsim.experiments.run import simulate
from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.checkers.lww import lost_updates

NETWORK = {
    "regions": [
        {"name": "us-east-1", "azs": ["us-east-1a", "us-east-1b", "us-east-1c"]},
        {"name": "us-east-2", "azs": ["us-east-2a", "us-east-2b", "us-east-2c"]},
        {"name": "us-west-2", "azs": ["us-west-2a", "us-west-2b", "us-west-2c"]},
    ],
    "region_rtt_ms": [{"a": "us-east-2", "b": "us-west-2", "rtt_ms": 50}],
}
CLIENTS = {"client_regions": ["us-east-1", "us-west-2"], "observed_clients": 4,
           "observed_keys": 3}
TWO_REGIONS = ["us-east-1", "us-west-2"]
DESIGNS = [
    {"name": "mrec", "kind": "dynamodb_global_table", "regions": TWO_REGIONS},
    {"name": "mrsc", "kind": "dynamodb_global_table", "consistency": "strong"},
    {"name": "mrsc-witness", "kind": "dynamodb_global_table", "consistency": "strong",
     "regions": TWO_REGIONS, "witness_region": "us-east-2"},
]
CUT_AT_S, CUT_FOR_S = 30.0, 90.0
PARTITION = {"kind": "network_partition", "between": ["us-east-1", "us-west-2"],
             "at_s": CUT_AT_S, "duration_s": CUT_FOR_S}
HORIZON_S = 180.0  # the partition heals 60 s before the horizon, then 30 s of quiescence
SEEDS = 30
CALM_SEEDS = 8


def _table_study(make_study, scenarios, designs=DESIGNS, horizon_s=HORIZON_S, runs=1,
                 **workload):
    return make_study(runs=runs, horizon_s=horizon_s, network=NETWORK,
                      workload={**CLIENTS, **workload}, designs=designs, scenarios=scenarios)


def _writes(world, region, start_s, end_s):
    return [op for op in world.rec.ops if op.kind == "write" and op.client_region == region
            and start_s <= op.invoke_s < end_s]


def _during_cut(world, region):
    """Writes invoked inside the partition and timed out (2 s) before it healed."""
    return _writes(world, region, CUT_AT_S + 0.5, CUT_AT_S + CUT_FOR_S - 2.5)


@pytest.fixture(scope="module")
def partitioned(make_study):
    """Every design under the same partition, and with no fault (for latency), per seed."""
    study = _table_study(make_study, runs=SEEDS, scenarios=[
        {"name": "cut", "scheduled": [PARTITION]}, {"name": "calm", "scheduled": []}])
    tasks = [t for t in plan_runs(study) if t.scenario == "cut" or t.run_index < CALM_SEEDS]
    out = execute(study, tasks, workers=2)
    assert all(r.ok for r in out), [r.error for r in out if not r.ok][:1]
    return study, out


def _pick(results, design, scenario="cut"):
    return [r for r in results if r.design == design and r.scenario == scenario]


# --- MREC ---------------------------------------------------------------------------------
def test_mrec_keeps_writing_in_both_regions_through_a_partition(partitioned):
    """Multi-active: no write fails on either side of the partition (RTO 0)."""
    study, results = partitioned
    for r in _pick(results, "mrec"):
        assert r.metrics["write_success_ratio"] == pytest.approx(1.0)
        assert r.metrics["rto_write_s"] == 0.0
    world = simulate(study, "mrec", "cut", 0)
    for region in TWO_REGIONS:
        during = _during_cut(world, region)
        assert len(during) > 50 and all(op.outcome == "ok" for op in during)


def test_mrec_partition_makes_lww_conflicts_and_lost_updates(partitioned):
    """Both sides update the same keys; LWW keeps one, silently dropping the other.

    The dropped acknowledged writes are lost writes (DESIGN.md's RPO): the final
    read holds only each key's surviving history, not every id a replica applied.
    The commit records agree with the client history.
    """
    study, results = partitioned
    for r in _pick(results, "mrec"):
        assert r.metrics["conflicts"] > 0
        assert r.metrics["lost_updates"] > 0
        assert r.metrics["lost_writes"] > 0
        assert r.metrics["lost_writes_commits"] == r.metrics["lost_writes"]


def test_mrec_final_read_keeps_overwritten_but_seen_writes(make_study):
    """One sequential writer: each overwrite saw the write it replaced (its ``prev``),
    so the overwritten writes are in their key's surviving history: nothing is lost."""
    study = _table_study(make_study, [{"name": "calm", "scheduled": []}],
                         designs=DESIGNS[:1], horizon_s=60.0, observed_clients=1,
                         client_regions=["us-west-2"])
    world = simulate(study, "mrec", "calm", 0)
    metrics, _ = run_metrics(world.rec)
    acked = [op for op in world.rec.ops if op.kind == "write" and op.outcome == "ok"]
    assert len(acked) > 20
    assert metrics["lost_writes"] == 0


def test_mrec_regions_diverge_during_the_partition_and_converge_after(partitioned):
    """Cut off, each Region reads only its own new writes; after the heal all agree."""
    study, results = partitioned
    assert all(r.metrics["divergent_keys"] == 0 for r in _pick(results, "mrec"))
    world = simulate(study, "mrec", "cut", 0)
    written = {op.value: op for op in world.rec.ops if op.kind == "write" and op.outcome == "ok"}
    for region in TWO_REGIONS:
        reads = [op for op in world.rec.ops if op.kind == "read" and op.client_region == region
                 and op.outcome == "ok" and CUT_AT_S <= op.invoke_s < CUT_AT_S + CUT_FOR_S]
        new = [written[op.value] for op in reads
               if op.value in written and written[op.value].complete_s > CUT_AT_S]
        assert len(new) > 20
        assert {op.client_region for op in new} == {region}


# --- MRSC ---------------------------------------------------------------------------------
def _resolved(world):
    """The history with the writes whose reply a partition swallowed made explicit.

    The lost-update checker cannot tell that a timed-out write committed and knowingly
    replaced the write before it (its ALL_OLD reply never arrived). From the surviving
    log we know both: mark such writes acknowledged, with their predecessor in the log.
    """
    survived = world.rec.final.write_ids
    key_of = {op.value: op.key for op in world.rec.ops if op.kind == "write"}
    before: dict[int, int | None] = {}
    last: dict[int, int] = {}
    for commit in world.rec.commits:
        for write_id in commit.write_ids:
            if write_id in survived and write_id in key_of:
                before[write_id] = last.get(key_of[write_id])
                last[key_of[write_id]] = write_id
    return [
        op._replace(outcome="ok", prev=before[op.value])
        if op.kind == "write" and op.outcome == "unknown" and op.value in before else op
        for op in world.rec.ops
    ]


@pytest.mark.slow
@pytest.mark.parametrize("design", ["mrsc", "mrsc-witness"])
def test_mrsc_loses_nothing_under_a_partition(partitioned, design):
    """Strong consistency: no acknowledged write and no update lost, no divergence."""
    study, results = partitioned
    runs = _pick(results, design)
    assert all(r.metrics["lost_writes"] == 0 and r.metrics["lost_writes_commits"] == 0
               for r in runs)
    assert all(r.metrics["conflicts"] == 0 and r.metrics["divergent_keys"] == 0
               for r in runs)
    # A few seeds report a lost update: a write in flight when the partition began
    # committed, its reply was dropped, and the checker cannot see it replaced a write.
    flagged = [r.run_index for r in runs if r.metrics["lost_updates"] > 0]
    assert len(flagged) <= SEEDS // 5
    for seed in [0, *flagged]:
        assert lost_updates(_resolved(simulate(study, design, "cut", seed))) == 0


# Partitions, isolation, conflicts and write latency per Region (no leader: each
# Region's write commits with its nearest reachable member): tests/models/test_mrsc.py.


def test_mrsc_commits_slower_than_mrec(partitioned):
    """MRSC waits for another member across Regions; MREC commits in its own Region."""
    _, results = partitioned
    p50 = {d["name"]: np.median([r.metrics["commit_latency_p50_ms"]
                                 for r in _pick(results, d["name"], "calm")])
           for d in DESIGNS}
    # nearest member: us-east-2, 12 ms away (calibration 13)
    assert p50["mrsc"] > p50["mrec"] + 8.0
    assert p50["mrsc-witness"] > p50["mrec"] + 8.0
    assert p50["mrec"] < 10.0


# --- Region outage and clock skew (MREC) --------------------------------------------------
@pytest.mark.slow
def test_mrec_region_outage_loses_only_unreplicated_writes(make_study):
    """The other Region writes on (RTO 0); lost = acknowledged writes not yet shipped,
    plus shipped ones that a concurrent write of the other Region discarded (LWW)."""
    study = _table_study(make_study, [{"name": "region", "scheduled": [
        {"kind": "region_outage", "target": "primary_region", "at_s": 60.0}]}],
        designs=DESIGNS[:1], horizon_s=120.0, observed_keys=100)
    lost_any = 0
    for seed in range(30):
        world = simulate(study, "mrec", "region", seed)
        metrics, _ = run_metrics(world.rec)
        assert metrics["rto_write_s"] == 0.0
        assert all(op.outcome == "ok" for op in _writes(world, "us-west-2", 0.0, 120.0))
        assert world.rec.final.node == "mrec-us-west-2"
        assert metrics["lost_writes"] >= _unreplicated_acknowledged(world)
        assert metrics["lost_writes_commits"] == metrics["lost_writes"]
        lost_any += metrics["lost_writes"] > 0
    assert lost_any > 0


def _unreplicated_acknowledged(world) -> int:
    """Acknowledged us-east-1 writes past the last one us-west-2 applied (from the records)."""
    applied = max((a.lsn for a in world.rec.applies
                   if a.node == "mrec-us-west-2" and a.source == "mrec-us-east-1"), default=0)
    acked = {op.value for op in world.rec.ops if op.kind == "write" and op.outcome == "ok"}
    return sum(1 for c in world.rec.commits if c.node == "mrec-us-east-1" and c.lsn_to > applied
               for w in c.write_ids if w in acked)


def test_clock_skew_makes_a_region_win_conflicts(make_study):
    """us-east-1's clock runs 5 s ahead: a later us-west-2 write loses to its earlier one."""
    skewed = [{"kind": "clock_skew", "target": "primary", "skew_ms": 5000.0, "at_s": 0.0}]
    study = _table_study(make_study, [{"name": "skew", "scheduled": skewed},
                                      {"name": "calm", "scheduled": []}],
                         designs=DESIGNS[:1], horizon_s=120.0)
    outcomes = {"skew": [], "calm": []}
    for scenario, seen in outcomes.items():
        for seed in range(5):
            world = simulate(study, "mrec", scenario, seed)
            final = dict(world.rec.replicas[0].values)
            assert all(dict(r.values) == final for r in world.rec.replicas)
            acked = [op for op in world.rec.ops if op.kind == "write" and op.outcome == "ok"]
            for key in range(CLIENTS["observed_keys"]):
                east = max((op for op in acked if op.key == key
                            and op.client_region == "us-east-1"), key=lambda op: op.complete_s)
                west = max((op for op in acked if op.key == key
                            and op.client_region == "us-west-2"), key=lambda op: op.complete_s)
                # the west write came clearly later (replicated east write seen), within the skew
                if east.complete_s + 1.0 < west.invoke_s < east.complete_s + 4.0:
                    seen.append(final[key] == west.value)
    assert outcomes["skew"] and not any(outcomes["skew"])  # the later write always lost
    assert outcomes["calm"] and all(outcomes["calm"])  # without skew it always wins


def _regional_failure_study(make_study, app_failover_after):
    return make_study(
        horizon_s=900.0,
        workload={"client_regions": ["us-east-1"], "observed_clients": 2,
                  "app_failover_after": app_failover_after},
        designs=[{"name": "gt", "kind": "dynamodb_global_table",
                  "regions": ["us-east-1", "us-west-2"]}],
        scenarios=[{"name": "regional", "scheduled": [
            {"kind": "instance_crash", "target": "node:gt-us-east-1", "at_s": 200.0,
             "duration_s": 600.0}]}],
    )


def test_application_failover_moves_clients_to_another_region(make_study):
    """With app_failover_after: 3, clients whose Regional endpoint fails switch to the other
    Region's endpoint themselves; without it they wait for the Region's service."""
    for run in range(4):
        switching = run_metrics(simulate(
            _regional_failure_study(make_study, 3), "gt", "regional", run).rec)[0]
        waiting = run_metrics(simulate(
            _regional_failure_study(make_study, None), "gt", "regional", run).rec)[0]
        assert switching["rto_write_s"] < 30.0
        assert waiting["rto_write_s"] >= 600.0
        # after the switch, writes cross the continent
        assert switching["commit_latency_p99_ms"] > 60.0
