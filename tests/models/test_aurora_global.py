"""Aurora Global Database: unplanned failover, managed switchover, rds.global_db_rpo.

calibration.md section 6: storage-level replication "typically under a second" (S14);
promoting a secondary "under a minute" (S14), so an unplanned failover costs the
detection plus that, and loses the replication lag (S15, "measured in seconds"); a
managed switchover drains the secondaries first and loses nothing, with a brief
outage (S15); rds.global_db_rpo blocks commits while no secondary's RPO lag is
below it, and resumes them when one catches up (S15).
"""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.experiments.montecarlo import execute, plan_runs
from hadrsim.experiments.run import simulate
from hadrsim.simulator.checkers import run_metrics

NETWORK = {
    "regions": [
        {"name": "us-east-1", "azs": ["us-east-1a", "us-east-1b", "us-east-1c"]},
        {"name": "us-east-2", "azs": ["us-east-2a", "us-east-2b", "us-east-2c"]},
        {"name": "us-west-2", "azs": ["us-west-2a", "us-west-2b", "us-west-2c"]},
    ],
    "region_rtt_ms": [{"a": "us-east-2", "b": "us-west-2", "rtt_ms": 50}],
}
CLIENTS = {"client_regions": ["us-east-1", "us-west-2"], "observed_clients": 4}
SECONDARY = "gdb-us-west-2"
OUTAGE_AT_S = 40.0


def _design(**fields):
    return {"name": "gdb", "kind": "aurora_global", "secondaries": [{"region": "us-west-2"}],
            **fields}


def _region_outage(at_s=OUTAGE_AT_S):
    return {"kind": "region_outage", "target": "primary_region", "at_s": at_s,
            "duration_s": 7200.0}


def _study(make_study, *, scenarios, failover=None, design=None, horizon_s=240.0, **more):
    return make_study(
        horizon_s=horizon_s, network=NETWORK, workload={**CLIENTS, **more.pop("workload", {})},
        failover=failover or {"mode": "automatic"},
        designs=[design or _design()], scenarios=scenarios, **more,
    )


def _events(world, name):
    return [e for e in world.rec.control if e.event == name]


def _acknowledged_lost(world):
    """Acknowledged writes missing from the final read (the history checker's lost set)."""
    survived = world.rec.final.write_ids
    return [op for op in world.rec.ops
            if op.kind == "write" and op.outcome == "ok" and op.value not in survived]


# --- unplanned failover -------------------------------------------------------------------
@pytest.fixture(scope="module")
def unplanned(make_study):
    study = _study(make_study, runs=60,
                   scenarios=[{"name": "region", "scheduled": [_region_outage()]}])
    out = execute(study, plan_runs(study), workers=2)
    assert all(r.ok for r in out), [r.error for r in out if not r.ok][:1]
    return out


@pytest.mark.slow
def test_unplanned_failover_rto_is_detection_plus_promotion(unplanned):
    """Secondary-Region clients write again within ~30-150 s (alarm ~30 s + promotion S14)."""
    rto = np.array([r.metrics["rto_write_s"] for r in unplanned])
    assert all(r.episodes[0]["recovered_write"] for r in unplanned)
    assert ((rto >= 30.0) & (rto <= 150.0)).all(), (rto.min(), rto.max())
    assert 45.0 <= rto.mean() <= 120.0


@pytest.mark.slow
def test_unplanned_failover_loses_the_replication_lag(unplanned):
    """Detach-and-promote loses what was not shipped: some seeds lose writes, RPO < 5 s."""
    lost = np.array([r.metrics["lost_writes"] for r in unplanned])
    rpo = np.array([r.metrics["rpo_s"] for r in unplanned])
    assert (rpo < 5.0).all(), rpo.max()
    assert np.mean(lost > 0) >= 0.25
    assert all(r.metrics["unexplained_lost_writes"] == 0 for r in unplanned)
    # the commit records see every loss the client history sees (and maybe unknown-outcome ones)
    assert all(r.metrics["lost_writes"] <= r.metrics["lost_writes_commits"] for r in unplanned)


def test_manual_failover_adds_the_operator_delay(make_study):
    """Same seeds, a constant 600-s operator delay vs a script: RTO grows by ~600 s."""
    scenarios = [{"name": "region", "scheduled": [_region_outage()]}]
    common = {"horizon_s": 900.0, "workload": {"idle_interval_s": 5.0}}
    manual = _study(make_study, scenarios=scenarios,
                    failover={"mode": "manual", "operator_delay_s": 600.0}, **common)
    script = _study(make_study, scenarios=scenarios, **common)
    for seed in range(4):
        world = simulate(manual, "gdb", "region", seed)
        slow = run_metrics(world.rec)[0]["rto_write_s"]
        fast = run_metrics(simulate(script, "gdb", "region", seed).rec)[0]["rto_write_s"]
        assert slow - fast == pytest.approx(600.0, abs=15.0)
        assert world.rec.final.node == SECONDARY


# --- managed switchover -------------------------------------------------------------------
SWITCH_AT_S = 40.0


@pytest.fixture(scope="module")
def switchovers(make_study):
    study = _study(make_study, runs=50, horizon_s=180.0, scenarios=[
        {"name": "switch", "scheduled": [{"kind": "switchover", "at_s": SWITCH_AT_S}]}])
    out = execute(study, plan_runs(study), workers=2)
    assert all(r.ok for r in out), [r.error for r in out if not r.ok][:1]
    return study, out


@pytest.mark.slow
def test_switchover_loses_no_acknowledged_write(switchovers):
    """The target catches up before it is promoted (S15): RPO 0 over 50 seeds."""
    _, runs = switchovers
    assert sum(r.metrics["lost_writes"] for r in runs) == 0
    assert sum(r.metrics["lost_writes_commits"] for r in runs) == 0
    assert all(r.metrics["rpo_s"] == 0 for r in runs)
    assert all(r.metrics["ops"] > 100 for r in runs)


@pytest.mark.slow
def test_switchover_is_a_brief_write_outage(switchovers):
    """Writes are fenced during the drain and the promotion: an outage of well under 2 min."""
    _, runs = switchovers
    rto = np.array([r.metrics["rto_write_s"] for r in runs])
    assert all(r.episodes[0]["recovered_write"] for r in runs)
    assert (rto > 0).all() and (rto < 120.0).all(), (rto.min(), rto.max())


def test_switchover_moves_the_writer_to_the_secondary(switchovers):
    """Afterwards the secondary is the writer: the final read and new writes are its."""
    study, _ = switchovers
    for seed in range(3):
        world = simulate(study, "gdb", "switch", seed)
        assert [e.node for e in _events(world, "switchover_completed")] == [SECONDARY]
        assert world.rec.final.node == SECONDARY
        late = [op for op in world.rec.ops
                if op.kind == "write" and op.outcome == "ok" and op.invoke_s > 150.0]
        assert late and all(op.node == SECONDARY for op in late)


# --- rds.global_db_rpo --------------------------------------------------------------------
RPO_LIMIT_S = 20.0
CUT_AT_S, CUT_FOR_S = 60.0, 120.0
PARTITION = {"kind": "network_partition", "between": ["us-east-1", "us-west-2"],
             "at_s": CUT_AT_S, "duration_s": CUT_FOR_S}


def test_rpo_limit_blocks_commits_while_the_secondary_is_cut_off(make_study):
    """Commits block ~20 s into a partition (primary-Region writes fail) and resume on heal."""
    study = _study(make_study, horizon_s=300.0, design=_design(rpo_limit_s=RPO_LIMIT_S),
                   scenarios=[{"name": "cut", "scheduled": [PARTITION]}])
    for seed in range(3):
        world = simulate(study, "gdb", "cut", seed)
        blocked = _events(world, "commits_blocked")
        resumed = _events(world, "commits_resumed")
        assert len(blocked) == 1 and len(resumed) == 1
        blocked_at, resumed_at = blocked[0].time_s, resumed[0].time_s
        assert CUT_AT_S + RPO_LIMIT_S - 3.0 <= blocked_at <= CUT_AT_S + RPO_LIMIT_S + 2.0
        assert CUT_AT_S + CUT_FOR_S <= resumed_at <= CUT_AT_S + CUT_FOR_S + 5.0
        east = [op for op in world.rec.ops
                if op.kind == "write" and op.client_region == "us-east-1"]
        before = [op for op in east if CUT_AT_S <= op.invoke_s < blocked_at - 3.0]
        during = [op for op in east if blocked_at < op.invoke_s < resumed_at - 2.5]
        after = [op for op in east if resumed_at < op.invoke_s]
        assert before and all(op.outcome == "ok" for op in before)
        assert len(during) > 20 and all(op.outcome in ("fail", "unknown") for op in during)
        assert after and all(op.outcome == "ok" for op in after)
        assert run_metrics(world.rec)[0]["lost_writes"] == 0


@pytest.fixture(scope="module")
def cut_then_lost(make_study):
    """The primary Region dies 40 s into a partition, with and without the RPO limit."""
    scenarios = [{"name": "cut-then-region",
                  "scheduled": [PARTITION, _region_outage(CUT_AT_S + 40.0)]}]
    study = _study(make_study, horizon_s=240.0, scenarios=scenarios)
    bounded = _study(make_study, horizon_s=240.0, scenarios=scenarios,
                     design=_design(rpo_limit_s=RPO_LIMIT_S))
    return {
        label: [simulate(s, "gdb", "cut-then-region", seed) for seed in range(30)]
        for label, s in (("unbounded", study), ("bounded", bounded))
    }


def _loss_window_s(world) -> float:
    """Commit time spanned by the lost acknowledged writes (what the RPO lag bounds)."""
    lost = _acknowledged_lost(world)
    return max(op.complete_s for op in lost) - min(op.complete_s for op in lost) if lost else 0.0


@pytest.mark.slow
def test_rpo_limit_bounds_the_loss_window(cut_then_lost):
    """With the limit no more than ~20 s of acknowledged writes is lost; without it, more."""
    bounded = np.array([_loss_window_s(w) for w in cut_then_lost["bounded"]])
    unbounded = np.array([_loss_window_s(w) for w in cut_then_lost["unbounded"]])
    assert (bounded > 0).all() and (unbounded > 0).all()
    assert bounded.max() <= RPO_LIMIT_S + 1.0, bounded.max()
    assert unbounded.max() > RPO_LIMIT_S + 10.0
    for world in cut_then_lost["bounded"]:
        metrics, _ = run_metrics(world.rec)
        assert metrics["unexplained_lost_writes"] == 0
        assert world.rec.final.node == SECONDARY
        # rpo_s spans the lost writes from the recovery point (commit records included)
        assert metrics["rpo_s"] >= _loss_window_s(world)


def test_write_forwarding_lets_a_secondary_region_write_at_cross_region_latency(make_study):
    """With write_forwarding, secondary-Region clients write through their local cluster:
    the writes succeed and pay a cross-Region round trip (S14); reads stay local."""
    study = make_study(
        horizon_s=300.0,
        workload={"client_regions": ["us-west-2"], "observed_clients": 2},
        designs=[{"name": "gdb", "kind": "aurora_global", "write_forwarding": True,
                  "secondaries": [{"region": "us-west-2"}]}],
        scenarios=[{"name": "calm", "scheduled": [
            {"kind": "replication_break", "target": "replica", "at_s": 250.0,
             "duration_s": 1.0}]}],
    )
    rec = simulate(study, "gdb", "calm", 0).rec
    writes = [op for op in rec.ops if op.kind == "write" and op.invoke_s < 250]
    reads = [op for op in rec.ops if op.kind == "read" and op.outcome == "ok"]
    assert writes and all(op.outcome == "ok" and op.node == "gdb-us-west-2" for op in writes)
    latencies = sorted(op.complete_s - op.invoke_s for op in writes)
    assert latencies[len(latencies) // 2] > 0.065  # us-east-1 <-> us-west-2 RTT 65 ms
    assert max(op.complete_s - op.invoke_s for op in reads) < 0.02
