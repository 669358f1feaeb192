"""Automated backups, PITR and logical corruption (calibration.md section 1).

A bad write replicates everywhere, so Multi-AZ and replicas copy it; recovery is
a point-in-time restore to just before it into a new instance.
"""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.experiments.run import simulate
from hadrsim.simulator.backups import BackupCatalog
from hadrsim.simulator.checkers import lost_writes, run_metrics
from hadrsim.simulator.log import Log

CORRUPT_AT = 1500.0


def _study(make_study, design, detection=300.0, decision=120.0, horizon=5400.0):
    return make_study(
        horizon_s=horizon,
        workload={"observed_clients": 2, "idle_interval_s": 5.0},
        designs=[design],
        scenarios=[{"name": "corruption", "scheduled": [
            {"kind": "logical_corruption", "target": "primary", "at_s": CORRUPT_AT,
             "detection_s": detection, "decision_s": decision}]}],
    )


def test_latest_restorable_time_lags_by_at_most_the_archive_interval():
    """LRT trails now by 0-5 minutes (S5: logs uploaded every 5 minutes)."""
    catalog = BackupCatalog(Log(), archive_interval_s=300.0, archive_phase_s=123.4,
                            retention_days=7, snapshot_at_s=3600.0)
    for now in np.linspace(500.0, 90_000.0, 997):
        lag = now - catalog.latest_restorable_time(now)
        assert 0.0 <= lag < 300.0
    assert catalog.restore_time(1000.0, now=2000.0) == (1000.0, 0.0)
    assert catalog.restore_time(1999.0, now=2000.0)[0] <= 2000.0 - 0.0
    assert catalog.restore_time(10.0, now=8 * 86400.0) is None  # beyond retention


@pytest.mark.parametrize("kind", ["rds_single_az", "rds_multi_az_instance"])
def test_pitr_loses_only_writes_after_the_corruption(make_study, kind):
    """Restored to just before the bad write: nothing acknowledged before it is lost;
    what was written to the corrupted database until the restore is, so the loss
    window runs from the restore target (the corruption) to the last lost write."""
    study = _study(make_study, {"name": "db", "kind": kind})
    for run in range(4):
        rec = simulate(study, "db", "corruption", run).rec
        metrics, episodes = run_metrics(rec)
        lost = lost_writes(rec.ops, rec.final)
        assert lost and all(op.complete_s > CORRUPT_AT - 1.0 for op in lost)
        recovery_point = max(op.complete_s for op in lost) - metrics["rpo_s"]
        assert CORRUPT_AT - 1.0 <= recovery_point <= CORRUPT_AT
        events = {e.event: e.time_s for e in rec.control}
        assert events["restore_completed"] > CORRUPT_AT + 300.0 + 120.0
        # clients write to the restored database only after detection, decision,
        # restore and the DNS change
        assert metrics["rto_write_s"] >= events["restore_completed"] - CORRUPT_AT


def test_without_pitr_the_loss_reaches_back_to_the_last_snapshot(make_study):
    """retention_days 0 turns automated backups off (S4): no PITR and no daily
    snapshot, so only manual snapshots remain; the restore goes back to the newest
    one (every 1000 s: t = 1000) and every write since it is lost."""
    design = {"name": "db", "kind": "rds_single_az",
              "backups": {"retention_days": 0, "window_start_s": 1100.0,
                          "manual_snapshot_every_s": 1000.0}}
    for run in range(3):
        rec = simulate(_study(make_study, design), "db", "corruption", run).rec
        restored = [e.detail for e in rec.control if e.event == "restore_started"]
        assert restored == ["to t=1000.000"]  # not the window at 1100 s: none is taken
        lost = lost_writes(rec.ops, rec.final)
        assert all(op.complete_s > 1000.0 - 1e-6 for op in lost)
        assert any(op.complete_s < CORRUPT_AT - 200.0 for op in lost)  # reaches back


def test_replicas_and_multi_az_copy_the_corruption(make_study):
    """Reads from a read replica return the corrupted values too (it replicates)."""
    design = {"name": "db", "kind": "rds_multi_az_instance",
              "replicas": [{"name": "rr", "lag_s": 0.1}]}
    study = _study(make_study, design, detection=900.0)
    rec = simulate(study, "db", "corruption", 0).rec
    corrupt_on_replica = [op for op in rec.ops if op.kind == "read" and op.node == "rr"
                          and op.value is not None and op.value < 0]
    assert corrupt_on_replica
    assert run_metrics(rec)[0]["corrupt_reads"] > 0


def test_restore_time_grows_with_data_size(make_study):
    """The restore takes the fixed time + size x per-GB + replay; more GB, longer."""
    durations = []
    for size_gb in (100.0, 4000.0):
        design = {"name": "db", "kind": "rds_single_az", "allocated_storage_gb": size_gb,
                  "restore_s": 600.0, "backups": {"restore_per_gb_s": 0.5}}
        rec = simulate(_study(make_study, design), "db", "corruption", 0).rec
        events = {e.event: e.time_s for e in rec.control}
        durations.append(events["restore_completed"] - events["restore_started"])
    assert durations[1] - durations[0] == pytest.approx((4000.0 - 100.0) * 0.5, abs=1e-6)


def _region_loss(make_study, backups, mode="automatic"):
    return make_study(
        horizon_s=4000.0,
        workload={"client_regions": ["us-east-1", "us-west-2"], "observed_clients": 2,
                  "idle_interval_s": 5.0},
        failover={"mode": mode},
        designs=[{"name": "db", "kind": "rds_single_az", "backups": backups}],
        scenarios=[{"name": "region", "scheduled": [
            {"kind": "region_outage", "at_s": 1200.0, "duration_s": 50_000.0}]}],
    )


def test_backups_copied_to_another_region_restore_after_region_loss(make_study):
    """Backup and restore DR: the copies in us-west-2 are restored into a new instance
    there; RPO = archive lag + copy lag (<= ~5 + 20 min), RTO = detection + restore."""
    study = _region_loss(make_study, {"copy_to_region": "us-west-2"})
    for run in range(4):
        rec = simulate(study, "db", "region", run).rec
        metrics, _ = run_metrics(rec)
        assert metrics["lost_writes"] > 0
        assert 0 < metrics["rpo_s"] <= 300.0 + 1200.0 * 2
        events = {e.event: e.time_s for e in rec.control}
        assert events["restore_completed"] - 1200.0 <= metrics["rto_write_s"]
        assert rec.final.node == "db-restored1" and rec.final.available
    without = _region_loss(make_study, {})
    metrics, _ = run_metrics(simulate(without, "db", "region", 0).rec)
    assert not metrics["lost_writes"] and metrics["rto_write_s"] >= 4000.0 - 1200.0 - 1.0


def test_a_failed_backup_job_makes_the_restore_replay_from_the_day_before(make_study):
    """A failed nightly snapshot leaves PITR's base snapshot a day older: the restore
    replays the log from the day-1 snapshot (t = 100), twice as long (10x, S5)."""
    day = 86400.0
    design = {"name": "db", "kind": "rds_single_az",
              "backups": {"retention_days": 7, "window_start_s": 100.0}}
    scenario = {"name": "s", "horizon_s": 2 * day + 6 * 3600.0, "scheduled": [
        {"kind": "backup_failure", "target": "primary", "at_s": day},
        {"kind": "logical_corruption", "target": "primary", "at_s": 2 * day,
         "detection_s": 60.0, "decision_s": 60.0}]}
    study = make_study(workload={"observed_clients": 1, "idle_interval_s": 600.0},
                       designs=[design], scenarios=[scenario])
    rec = simulate(study, "db", "s", 0).rec
    times = {e.event: e.time_s for e in rec.control}
    replay_from_day_1 = (2 * day - 100.0) / 10.0  # the snapshot of day 2 (t = 86500) failed
    assert times["restore_completed"] - times["restore_started"] >= replay_from_day_1


def test_global_tables_copy_the_corruption_and_pitr_recovers(make_study):
    """A bad write in one Region replicates to the other; DynamoDB PITR (S18) restores a
    new table to just before it, losing only what came after (and what had not yet
    replicated to the restore source)."""
    study = make_study(
        horizon_s=5400.0,
        workload={"client_regions": ["us-east-1", "us-west-2"], "observed_clients": 2,
                  "idle_interval_s": 5.0},
        designs=[{"name": "gt", "kind": "dynamodb_global_table",
                  "regions": ["us-east-1", "us-west-2"]}],
        scenarios=[{"name": "corruption", "scheduled": [
            {"kind": "logical_corruption", "target": "primary", "at_s": CORRUPT_AT,
             "detection_s": 300.0, "decision_s": 120.0}]}],
    )
    rec = simulate(study, "gt", "corruption", 0).rec
    west_corrupt = [op for op in rec.ops if op.kind == "read" and op.client_region == "us-west-2"
                    and op.value is not None and op.value < 0]
    assert west_corrupt  # replicated to the other Region
    metrics, _ = run_metrics(rec)
    lost = lost_writes(rec.ops, rec.final)
    assert metrics["lost_writes"] > 0
    # the loss window spans the writes to the corrupted table up to the restore; it may
    # start a little before the corruption: LWW losers and unreplicated writes count too
    recovery_point = max(op.complete_s for op in lost) - metrics["rpo_s"]
    assert CORRUPT_AT - 60.0 <= recovery_point <= CORRUPT_AT
    assert rec.final.node.endswith("restored1")


def _operator_error(make_study, action, backups=None, replicas=(), at_s=2000.0):
    design = {"name": "db", "kind": "rds_multi_az_instance", "replicas": list(replicas)}
    if backups:
        design["backups"] = backups
    return make_study(
        horizon_s=6000.0,
        workload={"client_regions": ["us-east-1", "us-west-2"], "observed_clients": 2,
                  "idle_interval_s": 5.0},
        designs=[design],
        scenarios=[{"name": "oops", "scheduled": [
            {"kind": "operator_error", "action": action, "target": "primary",
             "at_s": at_s, "detection_s": 120.0, "decision_s": 60.0}]}],
    )


def test_deleting_the_instance_without_a_final_snapshot(make_study):
    """Automated backups go with the instance: with hourly manual snapshots the restore
    goes back to the last one; without any, the data is gone and never comes back."""
    kept = _operator_error(make_study, "delete_instance", {"manual_snapshot_every_s": 3600.0},
                           at_s=4000.0)
    rec = simulate(kept, "db", "oops", 0).rec
    assert [e.detail for e in rec.control if e.event == "restore_started"] == ["to t=3600.000"]
    metrics, _ = run_metrics(rec)
    # writes from the 3600-s snapshot to the deletion at 4000 s are lost
    assert 395.0 <= metrics["rpo_s"] <= 410.0
    none = _operator_error(make_study, "delete_instance")
    rec = simulate(none, "db", "oops", 0).rec
    metrics, episodes = run_metrics(rec)
    assert any(e.event == "restore_impossible" for e in rec.control)
    assert not episodes[0]["recovered_write"]
    assert metrics["lost_writes"] > 0


def test_promoting_the_wrong_replica_splits_the_brain(make_study):
    """The operator promotes the cross-Region replica while the primary is healthy:
    clients follow the DNS change, stale ones keep writing to the old primary, and
    the writes the replica had not received are lost."""
    study = _operator_error(make_study, "promote_wrong_replica",
                            replicas=[{"region": "us-west-2", "lag_s": 2.0}])
    rec = simulate(study, "db", "oops", 0).rec
    metrics, _ = run_metrics(rec)
    assert metrics["split_brain_s"] > 0
    assert metrics["lost_writes"] > 0
    assert rec.final.node == "db-replica1"


def test_a_restored_instance_is_slow_until_hydrated(make_study):
    """After a restore the volume loads from S3 on first touch (S36): for size / rate
    seconds operations pay a cold-block penalty, then latency returns to normal."""
    design = {"name": "db", "kind": "rds_single_az", "allocated_storage_gb": 200.0,
              "restore_s": 300.0,
              "backups": {"hydration_mib_s": 200.0, "cold_block_ms": 40.0}}
    rec = simulate(_study(make_study, design), "db", "corruption", 0).rec
    restored = next(e.time_s for e in rec.control if e.event == "restore_completed")
    hydrated = restored + 200.0 * 1024.0 / 200.0
    on_new = [op for op in rec.ops if op.outcome == "ok" and op.node == "db-restored1"]
    during = [op.complete_s - op.invoke_s for op in on_new if op.invoke_s < hydrated - 5]
    after = [op.complete_s - op.invoke_s for op in on_new if op.invoke_s > hydrated + 5]
    assert during and after
    assert min(during) >= 0.040 and max(after) < 0.040


def test_a_restore_behind_route53_retires_controllers_but_keeps_the_dns_record(make_study):
    """PITR on a design fronted by Route 53: the old controllers stop, the failover record
    keeps routing (its primary follows the writer name to the restored instance)."""
    design = {"name": "db", "kind": "rds_single_az", "replicas": [{"region": "us-west-2"}],
              "route53": {}}
    study = _study(make_study, design)
    rec = simulate(study, "db", "corruption", 0).rec
    metrics, episodes = run_metrics(rec)
    assert episodes[0]["recovered_write"]
    assert rec.final.node == "db-restored1"
    recovery_point = max(op.complete_s for op in lost_writes(rec.ops, rec.final)) - metrics["rpo_s"]
    assert CORRUPT_AT - 1.0 <= recovery_point <= CORRUPT_AT
