"""Run metrics: every figure of a run, from its recorder alone."""

import math

import pytest

from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import ReplicaState, RoleChange

EAST = "us-east-1"

RUN_KEYS = {
    "episodes",
    "lost_writes",
    "unexplained_lost_writes",
    "lost_writes_commits",
    "lost_writes_total",
    "rpo_s",
    "rto_write_s",
    "rto_read_s",
    "availability_write",
    "availability_read",
    "write_success_ratio",
    "read_success_ratio",
    "commit_latency_p50_ms",
    "commit_latency_p99_ms",
    "commit_latency_p999_ms",
    "read_latency_p50_ms",
    "read_latency_p99_ms",
    "read_latency_p999_ms",
    "ops",
    "stale_reads",
    "stale_read_ratio",
    "ryw_violations",
    "monotonic_read_violations",
    "conflicts",
    "lost_updates",
    "indeterminate_writes",
    "split_brain_s",
    "divergent_keys",
    "corrupt_reads",
    "tvis_p_0s",
    "tvis_p_0_1s",
    "tvis_p_1s",
    "tvis_p_5s",
}
ROW_KEYS = {
    "fault_id",
    "kind",
    "scope",
    "disruption",
    "start_s",
    "end_s",
    "rto_write_s",
    "rto_read_s",
    "recovered_write",
    "recovered_read",
    "lost_writes",
    "rpo_s",
    "detection_s",
    "decision_s",
    "promotion_s",
    "dns_s",
}


@pytest.fixture
def region_failover(write, read, fault, commit, final, event) -> Recorder:
    """A region outage at t=100 s: async replication loses two writes, failover takes 30 s."""
    rec = Recorder(horizon_s=1000.0)
    rec.ops += [
        write(90.0, 90.1, value=1),
        write(95.0, 95.1, value=2),
        write(98.0, 98.1, value=3),
        write(99.0, 101.0, "unknown", value=4),
        write(101.0, 111.0, "fail"),
        write(111.0, 121.0, "fail"),
        write(121.0, 130.2, value=5),
        read(100.5, 110.5, "unknown"),
        read(110.5, 115.0),
        # Dies with the region: never recovers but must not count.
        write(99.5, 109.5, "fail", client="east", region=EAST),
        write(109.5, 119.5, "fail", client="east", region=EAST),
    ]
    rec.commits += [
        commit(1, 1, 50, write_ids=(1,), time_s=90.05),
        commit(1, 51, 60, write_ids=(2,), time_s=95.05),
        commit(1, 61, 70, write_ids=(3, 4), time_s=98.05),
        commit(2, 51, 80, write_ids=(5,), time_s=130.1),
    ]
    rec.faults.append(fault(1, 100.0))
    rec.control += [
        event(110.0, "failure_detected"),
        event(112.0, "promotion_started"),
        event(120.0, "promotion_completed"),
        event(125.0, "endpoint_updated"),
    ]
    rec.final = final(write_ids={1, 5}, ranges=((1, 1, 50), (2, 51, 80)))
    return rec


def test_region_failover_row(region_failover):
    """The episode row shows the lost writes, loss window, client RTOs and breakdown."""
    _, (row,) = run_metrics(region_failover)
    assert set(row) == ROW_KEYS
    assert row["lost_writes"] == 2
    # Recovery point: the surviving commit at 90.05; last lost acknowledgement 98.05.
    assert row["rpo_s"] == pytest.approx(98.05 - 90.05)
    assert row["rto_write_s"] == pytest.approx(30.2)
    assert row["rto_read_s"] == pytest.approx(15.0)
    assert row["recovered_write"]
    assert row["recovered_read"]
    steps = (row["detection_s"], row["decision_s"], row["promotion_s"], row["dns_s"])
    assert steps == (10.0, 2.0, 8.0, 5.0)


def test_region_failover_run_metrics(region_failover):
    """Run metrics aggregate the episode and cross-check losses against commits."""
    metrics, _ = run_metrics(region_failover)
    assert set(metrics) == RUN_KEYS
    assert all(isinstance(v, float) for v in metrics.values())
    assert metrics["episodes"] == 1.0
    assert metrics["lost_writes"] == 2.0
    assert metrics["unexplained_lost_writes"] == 0.0
    # The commit log also lost write 4, whose client never learned it committed.
    assert metrics["lost_writes_commits"] == 3.0
    assert metrics["lost_writes_total"] == 20.0
    assert metrics["availability_write"] == pytest.approx(1 - 30.2 / 1000.0)
    assert metrics["availability_read"] == pytest.approx(1 - 15.0 / 1000.0)
    assert metrics["write_success_ratio"] == pytest.approx(4 / 9)
    assert metrics["read_success_ratio"] == 0.5
    assert metrics["read_latency_p50_ms"] == pytest.approx(4500.0)
    assert metrics["ops"] == 11.0


def test_quiet_run(write, read, final):
    """Without faults: no loss, unknown RTO, full availability."""
    rec = Recorder(horizon_s=100.0, final=final(write_ids={1}))
    rec.ops += [write(1.0, value=1), read(2.0, value=1)]
    metrics, rows = run_metrics(rec)
    assert rows == []
    assert metrics["episodes"] == 0.0
    assert metrics["rpo_s"] == 0.0
    assert math.isnan(metrics["rto_write_s"])
    assert math.isnan(metrics["rto_read_s"])
    assert metrics["availability_write"] == metrics["availability_read"] == 1.0
    assert metrics["lost_writes"] == 0.0


def test_loss_without_fault_is_unexplained(write, final):
    """A lost write in a run with no fault is reported, not hidden."""
    rec = Recorder(horizon_s=100.0, final=final())
    rec.ops.append(write(1.0, value=1))
    metrics, _ = run_metrics(rec)
    assert metrics["lost_writes"] == metrics["unexplained_lost_writes"] == 1.0


def test_run_without_final_read_is_rejected():
    """Data loss cannot be judged without the final read."""
    with pytest.raises(ValueError, match="final read"):
        run_metrics(Recorder(horizon_s=10.0))


def test_consistency_metrics(write, read, final):
    """Stale reads, session anomalies, LWW, split brain and divergence reach the run row."""
    rec = Recorder(horizon_s=100.0, final=final(write_ids={1, 2, 3}))
    rec.ops += [
        write(1.0, 1.1, value=1, version=1, client="e", region=EAST),
        write(2.0, 2.1, value=2, version=2, prev=1, client="e", region=EAST),
        write(2.0, 2.2, value=3, version=3, prev=1, client="w"),  # concurrent with 2
        read(2.205, value=1, version=1, client="e", region=EAST),  # misses its own write 2
        read(2.35, value=3, version=3),
        read(2.4, value=1, version=1),  # back in time
        read(3.5, value=3, version=3),
    ]
    rec.roles += [
        RoleChange(0.0, "db-1", "primary", 1, "db", "az1"),
        RoleChange(40.0, "db-2", "primary", 1, "db", "az2"),
        RoleChange(50.0, "db-1", "standby", 1, "db", "az1"),
    ]
    rec.replicas += [
        ReplicaState("db-1", "db", "standby", True, ((0, 3), (1, None))),
        ReplicaState("db-2", "db", "primary", True, ((0, 2), (1, None))),
    ]
    metrics, _ = run_metrics(rec)
    assert metrics["stale_reads"] == 2.0
    assert metrics["stale_read_ratio"] == 0.5
    assert metrics["ryw_violations"] == 1.0
    assert metrics["monotonic_read_violations"] == 1.0
    assert metrics["conflicts"] == 1.0
    assert metrics["lost_updates"] == 1.0
    assert metrics["split_brain_s"] == 10.0
    assert metrics["divergent_keys"] == 1.0
    # Pairs with write 3: 0.005 s (missed), 0.15 s and 0.2 s (one missed), 1.3 s (seen).
    assert metrics["tvis_p_0s"] == 0.0
    assert metrics["tvis_p_0_1s"] == 0.5
    assert metrics["tvis_p_1s"] == 1.0
    assert math.isnan(metrics["tvis_p_5s"])
    assert all(isinstance(v, float) for v in metrics.values())


def test_no_reads_means_unknown_staleness(write, final):
    """Without reads the stale ratio and the visibility curve are NaN, not perfect."""
    rec = Recorder(horizon_s=10.0, final=final(write_ids={1}))
    rec.ops.append(write(1.0, value=1, version=1))
    metrics, _ = run_metrics(rec)
    assert metrics["stale_reads"] == 0.0
    assert math.isnan(metrics["stale_read_ratio"])
    assert all(math.isnan(metrics[k]) for k in ("tvis_p_0s", "tvis_p_0_1s", "tvis_p_1s"))
