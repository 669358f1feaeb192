"""``destroy_plan`` against moto: everything apply made goes, newest first, with final
snapshots by default; what is not this design's stays; a second destroy finds nothing."""

from __future__ import annotations

import pytest
from aws_plan_support import DMS_OPTIONS, MOTO_SKIP, extended_study, study

from hadrsim.aws.apply import apply_plan
from hadrsim.aws.destroy import destroy_plan
from hadrsim.aws.plan import plan_design

ON_MOTO = {"skip": MOTO_SKIP, "allow_unimplemented": True}


def _build(aws, s, design, **options):
    plan = plan_design(s, design, **options)
    report = apply_plan(plan, aws, **ON_MOTO)
    assert report.failed is None, report.failed
    return plan


def _instances(aws, region):
    return [i["DBInstanceIdentifier"] for i in
            aws.client("rds", region).describe_db_instances()["DBInstances"]]


def _snapshots(aws, region):
    rds = aws.client("rds", region)
    names = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots(
        SnapshotType="manual")["DBSnapshots"]]
    return names + [s["DBClusterSnapshotIdentifier"] for s in rds.describe_db_cluster_snapshots(
        SnapshotType="manual")["DBClusterSnapshots"]]


@pytest.mark.parametrize(("study_name", "design"), [
    ("securecart", "multi-az-dr"), ("securecart", "aurora"), ("securecart", "multi-az-cluster"),
    ("dr-tiers", "warm-standby"), ("dr-tiers", "backup-and-restore"), ("dr-tiers", "multi-site"),
])
def test_destroy_removes_everything_in_reverse_order_then_finds_nothing(aws, study_name,
                                                                         design):
    plan = _build(aws, study(study_name), design)
    report = destroy_plan(plan, aws, **ON_MOTO)
    assert report.failed is None, report.failed
    steps = [o.step for o in report.outcomes]
    assert steps == sorted(steps, reverse=True)
    assert {o.status for o in report.outcomes} <= {"deleted", "absent", "skipped"}
    assert _instances(aws, "us-east-1") == [] and _instances(aws, "us-west-2") == []
    again = destroy_plan(plan, aws, **ON_MOTO)
    assert again.deleted == [] and {o.status for o in again.outcomes} <= {"absent", "skipped"}


def test_final_snapshots_for_data_holders_only(aws):
    """The primary gets a final snapshot; its read replica does not (it has no own data)."""
    plan = _build(aws, study("securecart"), "multi-az-dr")
    report = destroy_plan(plan, aws, **ON_MOTO)
    outcome = {o.identifier: o for o in report.outcomes}
    # moto deletes a cross-Region replica and then answers HTTP 500 (a moto bug in
    # remove_replica); destroy checks the replica is gone and says what the endpoint said
    replica = outcome["securecart-multi-az-dr-replica1"]
    assert replica.status == "deleted" and replica.detail.startswith("gone, though the endpoint")
    (snapshot,) = _snapshots(aws, "us-east-1")
    assert snapshot.startswith("securecart-multi-az-dr-final-")
    assert _snapshots(aws, "us-west-2") == []


def test_skip_final_snapshot_deletes_without_one(aws):
    plan = _build(aws, study("securecart"), "aurora")
    destroy_plan(plan, aws, final_snapshot=False, **ON_MOTO)
    assert _snapshots(aws, "us-east-1") == []


def test_dynamodb_table_gets_a_final_backup(aws):
    plan = _build(aws, study("securecart"), "dynamodb-global")
    destroy_plan(plan, aws, **ON_MOTO)
    backups = aws.client("dynamodb", "us-east-1").list_backups()["BackupSummaries"]
    assert [b["BackupName"][:33] for b in backups] == ["securecart-dynamodb-global-final-"]


def test_a_resource_that_is_not_this_designs_is_left_alone(aws):
    """Same identifier, other design's tags: destroy reports it and does not delete it."""
    aws.client("rds", "us-east-1").create_db_instance(
        DBInstanceIdentifier="securecart-single-az", DBInstanceClass="db.t3.micro",
        Engine="postgres", MasterUsername="other", ManageMasterUserPassword=True,
        AllocatedStorage=20, Tags=[{"Key": "hadrsim:study", "Value": "securecart"},
                                   {"Key": "hadrsim:design", "Value": "someone-else"}])
    report = destroy_plan(plan_design(study("securecart"), "single-az"), aws, **ON_MOTO)
    (outcome,) = report.outcomes
    assert outcome.status == "left" and "someone-else" in outcome.detail
    assert _instances(aws, "us-east-1") == ["securecart-single-az"]


def test_alarms_backup_plan_route53_and_dms_go_too(aws):
    plan = _build(aws, extended_study(), "multi-az-dr", **DMS_OPTIONS)
    report = destroy_plan(plan, aws, **ON_MOTO)
    assert report.failed is None, report.failed
    assert aws.client("cloudwatch", "us-west-2").describe_alarms()["MetricAlarms"] == []
    assert aws.client("backup", "us-east-1").list_backup_plans()["BackupPlansList"] == []
    assert aws.client("backup", "us-west-2").list_backup_vaults()["BackupVaultList"] == []
    zones = aws.client("route53", "us-east-1").list_hosted_zones()["HostedZones"]
    assert zones == []
    assert aws.client("route53", "us-east-1").list_health_checks()["HealthChecks"] == []
    dms = aws.client("dms", "us-east-1")
    assert dms.describe_endpoints()["Endpoints"] == []
    skipped = {o.operation: o.detail for o in report.with_status("skipped")}
    assert set(skipped) == {"create_backup_selection"}


def test_aurora_global_on_moto_leaves_only_the_global_cluster_and_says_why(aws):
    """moto ignores remove_from_global_cluster for a secondary in another Region, so the
    global cluster keeps a deleted member; destroy reports it as not applied (on AWS the
    detach works and the global cluster goes last)."""
    plan = _build(aws, study("aurora-global-year"), "aurora-global")
    report = destroy_plan(plan, aws, **ON_MOTO)
    last = report.outcomes[-1]
    assert last.operation == "create_global_cluster" and last.status == "skipped"
    assert "ignored remove_from_global_cluster" in last.detail
    assert all(o.status == "deleted" for o in report.outcomes[:-1])
    assert _instances(aws, "us-east-1") == [] and _instances(aws, "us-west-2") == []
