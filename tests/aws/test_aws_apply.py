"""``apply_plan`` against a real moto server over HTTP: shapes, idempotence, failures.

moto 5.2.1 lacks a few operations; they are passed as ``skip`` (``MOTO_SKIP``, with the
reason) and the tests assert the report names them. moto also accepts DynamoDB replica
updates without doing anything: apply notices (a describe shows no effect) and, with
``allow_unimplemented``, reports the call as skipped instead of pretending success.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from aws_plan_support import DMS_OPTIONS, MOTO_SKIP, extended_data, extended_study, study

from hadrsim.aws.apply import apply_plan
from hadrsim.aws.plan import plan_design
from hadrsim.aws.session import AwsContext, AwsError
from hadrsim.spec.loader import parse_study

ON_MOTO = {"skip": MOTO_SKIP, "allow_unimplemented": True}


def _apply_twice(aws, s, design, **options):
    """Apply, check nothing failed, apply again and check nothing new was made."""
    plan = plan_design(s, design, **options)
    first = apply_plan(plan, aws, **ON_MOTO)
    assert first.failed is None, first.failed
    second = apply_plan(plan, aws, **ON_MOTO)
    assert second.failed is None and second.created == []
    assert {o.status for o in second.outcomes} <= {"present", "looked-up", "skipped"}
    return plan, first


def _instance(aws, region, identifier):
    return aws.client("rds", region).describe_db_instances(
        DBInstanceIdentifier=identifier)["DBInstances"][0]


def _tags(desc):
    return {t["Key"]: t["Value"] for t in desc["TagList"]}


def test_single_az_and_multi_az_instances_have_their_shape(aws):
    """Single-AZ in its AZ, Multi-AZ with MultiAZ=True; RDS manages both passwords."""
    s = study("securecart")
    _apply_twice(aws, s, "single-az")
    _apply_twice(aws, s, "multi-az")
    single = _instance(aws, "us-east-1", "securecart-single-az")
    assert single["MultiAZ"] is False and single["AvailabilityZone"] == "us-east-1a"
    assert single["BackupRetentionPeriod"] == 7 and single["MasterUserSecret"]["SecretArn"]
    multi = _instance(aws, "us-east-1", "securecart-multi-az")
    assert multi["MultiAZ"] is True and multi["StorageEncrypted"] is True
    assert _tags(multi)["hadrsim:node"] == "multi-az-a"
    assert _tags(multi)["hadrsim:role"] == "primary"


def test_multi_az_db_cluster_has_its_class_and_storage(aws):
    _apply_twice(aws, study("securecart"), "multi-az-cluster")
    cluster = aws.client("rds", "us-east-1").describe_db_clusters(
        DBClusterIdentifier="securecart-multi-az-cluster")["DBClusters"][0]
    assert cluster["DBClusterInstanceClass"] == "db.r6gd.large"
    assert cluster["StorageType"] == "io1" and cluster["Engine"] == "postgres"
    assert _tags(cluster)["hadrsim:node"] == "multi-az-cluster-a"


def test_cross_region_replica_follows_its_source(aws):
    """The replica lives in us-west-2 and names the primary's ARN as its source; the
    generated master secret is replicated there."""
    _, report = _apply_twice(aws, study("securecart"), "multi-az-dr")
    assert [o.status for o in report.outcomes] == ["created"] * 3
    primary = _instance(aws, "us-east-1", "securecart-multi-az-dr")
    replica = _instance(aws, "us-west-2", "securecart-multi-az-dr-replica1")
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == primary["DBInstanceArn"]
    assert replica["DBInstanceArn"] in primary["ReadReplicaDBInstanceIdentifiers"]
    assert _tags(replica)["hadrsim:role"] == "replica"
    assert "MasterUserSecret" not in primary  # a replica source cannot use managed passwords
    west = aws.client("secretsmanager", "us-west-2").describe_secret(
        SecretId="hadrsim/securecart-multi-az-dr/master")
    assert west["PrimaryRegion"] == "us-east-1"


def test_aurora_members_and_promotion_tiers(aws):
    _apply_twice(aws, study("securecart"), "aurora")
    rds = aws.client("rds", "us-east-1")
    cluster = rds.describe_db_clusters(DBClusterIdentifier="securecart-aurora")["DBClusters"][0]
    members = {m["DBInstanceIdentifier"]: m for m in cluster["DBClusterMembers"]}
    assert members["securecart-aurora-w"]["IsClusterWriter"] is True
    assert members["securecart-aurora-r1"]["PromotionTier"] == 0
    assert members["securecart-aurora-r2"]["PromotionTier"] == 1
    assert _tags(_instance(aws, "us-east-1", "securecart-aurora-r2"))["hadrsim:node"] == \
        "aurora-r2"


def test_aurora_global_has_a_writer_and_a_secondary_region(aws):
    _apply_twice(aws, study("aurora-global-year"), "aurora-global")
    rds = aws.client("rds", "us-east-1")
    (glob,) = [g for g in rds.describe_global_clusters()["GlobalClusters"]
               if g["GlobalClusterIdentifier"] == "aurora-global-year-aurora-global-global"]
    members = {m["DBClusterArn"].rsplit(":", 1)[-1]: m["IsWriter"]
               for m in glob["GlobalClusterMembers"]}
    assert members == {"aurora-global-year-aurora-global": True,
                       "aurora-global-year-aurora-global-us-west-2": False}
    secondary = aws.client("rds", "us-west-2").describe_db_clusters(
        DBClusterIdentifier="aurora-global-year-aurora-global-us-west-2")["DBClusters"][0]
    assert [m["DBInstanceIdentifier"] for m in secondary["DBClusterMembers"]] == [
        "aurora-global-year-aurora-global-us-west-2-1"]


def test_dynamodb_table_pitr_and_replicas_moto_ignores(aws):
    """Table and PITR exist; moto accepts ReplicaUpdates without effect, which the report
    names as skipped (and the replica's tagging, which needs it, too)."""
    _, report = _apply_twice(aws, study("dr-tiers"), "multi-site")
    statuses = {o.operation: (o.status, o.detail) for o in report.outcomes}
    assert statuses["create_table"][0] == "created"
    assert statuses["update_continuous_backups"][0] == "configured"
    assert statuses["update_table"] == ("skipped", "not applied by this endpoint: the endpoint "
                                        "accepted the call but a describe shows no effect")
    assert statuses["tag_resource"] == ("skipped", "needs step 3, skipped")
    ddb = aws.client("dynamodb", "us-east-1")
    pitr = ddb.describe_continuous_backups(TableName="dr-tiers-multi-site")[
        "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED" and pitr["RecoveryPeriodInDays"] == 35


def test_a_call_without_effect_fails_unless_allowed(aws):
    """Without allow_unimplemented, silence from the endpoint is a failure, not success."""
    plan = plan_design(study("dr-tiers"), "multi-site")
    report = apply_plan(plan, aws, skip=MOTO_SKIP)
    assert report.failed.step == 3 and "no effect" in report.failed.detail
    assert [o.status for o in report.outcomes] == ["created", "configured", "failed"]


def test_route53_failover_records_point_at_writer_and_secondary(aws):
    _apply_twice(aws, study("dr-tiers"), "warm-standby")
    r53 = aws.client("route53", "us-east-1")
    (zone,) = r53.list_hosted_zones_by_name(
        DNSName="dr-tiers-warm-standby.hadrsim.example.")["HostedZones"][:1]
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
    assert {"Key": "hadrsim:design", "Value": "warm-standby"} in tags["ResourceTagSet"]["Tags"]
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone_id)[
        "ResourceRecordSets"] if r["Type"] == "CNAME"]
    by_role = {r["Failover"]: r for r in records}
    rds_east, rds_west = aws.client("rds", "us-east-1"), aws.client("rds", "us-west-2")
    writer = rds_east.describe_db_clusters(
        DBClusterIdentifier="dr-tiers-warm-standby")["DBClusters"][0]["Endpoint"]
    secondary = rds_west.describe_db_clusters(
        DBClusterIdentifier="dr-tiers-warm-standby-us-west-2")["DBClusters"][0]["Endpoint"]
    assert by_role["PRIMARY"]["ResourceRecords"] == [{"Value": writer}]
    assert by_role["SECONDARY"]["ResourceRecords"] == [{"Value": secondary}]
    assert by_role["PRIMARY"]["TTL"] == 60
    check = r53.get_health_check(HealthCheckId=by_role["PRIMARY"]["HealthCheckId"])
    config = check["HealthCheck"]["HealthCheckConfig"]
    assert (config["Type"], config["FullyQualifiedDomainName"], config["Port"]) == \
        ("TCP", writer, 5432)
    assert (config["RequestInterval"], config["FailureThreshold"]) == (30, 3)


def test_skipped_operation_is_named_with_its_reason(aws):
    """Backup replication is not sent to moto; the report says so and why."""
    _, report = _apply_twice(aws, study("dr-tiers"), "backup-and-restore")
    last = report.outcomes[-1]
    assert last.operation == "start_db_instance_automated_backups_replication"
    assert last.status == "skipped" and "no automated backup replication" in last.detail
    assert report.outcomes[1].status == "looked-up"


def test_alarms_and_backup_plan_with_copy_action(aws):
    _apply_twice(aws, extended_study(), "multi-az-dr")
    west = aws.client("cloudwatch", "us-west-2").describe_alarms(
        AlarmNames=["securecart-multi-az-dr-lag"])["MetricAlarms"][0]
    assert (west["MetricName"], west["Statistic"], west["Threshold"]) == \
        ("ReplicaLag", "Maximum", 30.0)
    assert west["Dimensions"] == [{"Name": "DBInstanceIdentifier",
                                   "Value": "securecart-multi-az-dr-replica1"}]
    east = aws.client("cloudwatch", "us-east-1").describe_alarms(
        AlarmNames=["securecart-multi-az-dr-slow-commits"])["MetricAlarms"][0]
    assert east["ExtendedStatistic"] == "p99" and east["Period"] == 120
    backup = aws.client("backup", "us-east-1")
    (listed,) = backup.list_backup_plans()["BackupPlansList"]
    rule = backup.get_backup_plan(BackupPlanId=listed["BackupPlanId"])["BackupPlan"]["Rules"][0]
    assert rule["CopyActions"][0]["DestinationBackupVaultArn"] == (
        "arn:aws:backup:us-west-2:123456789012:backup-vault:securecart-multi-az-dr-vault")
    aws.client("backup", "us-west-2").describe_backup_vault(
        BackupVaultName="securecart-multi-az-dr-vault")
    instance = _instance(aws, "us-east-1", "securecart-multi-az-dr")
    assert instance["PreferredBackupWindow"] == "03:30-04:00"
    assert instance["BackupRetentionPeriod"] == 14


def test_dms_replication_instance_endpoints_and_task(aws):
    _, report = _apply_twice(aws, study("securecart"), "aurora", **DMS_OPTIONS)
    dms = aws.client("dms", "us-east-1")
    (task,) = dms.describe_replication_tasks()["ReplicationTasks"]
    assert task["MigrationType"] == "full-load-and-cdc"
    source = dms.describe_endpoints(Filters=[{"Name": "endpoint-id",
                                              "Values": ["securecart-aurora-dms-source"]}])
    settings = source["Endpoints"][0]["PostgreSQLSettings"]
    assert settings["SecretsManagerSecretId"] == DMS_OPTIONS["dms_source_secret"]
    assert "wait skipped: moto never moves" in report.outcomes[-1].detail


def test_a_conflicting_resource_stops_apply_and_reports_what_was_made(aws):
    """An untagged instance of the same name is not adopted: apply stops there."""
    aws.client("rds", "us-east-1").create_db_instance(
        DBInstanceIdentifier="securecart-multi-az-dr", DBInstanceClass="db.t3.micro",
        Engine="postgres", MasterUsername="someone", ManageMasterUserPassword=True,
        AllocatedStorage=20)
    report = apply_plan(plan_design(study("securecart"), "multi-az-dr"), aws, **ON_MOTO)
    assert [o.status for o in report.outcomes] == ["created", "failed"]
    assert report.failed.step == 2 and "without hadrsim tags" in report.failed.detail
    assert [o.identifier for o in report.created] == ["hadrsim/securecart-multi-az-dr/master"]


def test_an_invalid_parameter_stops_apply_at_that_call(aws):
    """AWS's refusal of a call ends the apply with its one-line error."""
    plan = plan_design(study("securecart"), "aurora")
    calls = list(plan.calls)
    calls[2] = dataclasses.replace(calls[2], params={**calls[2].params,
                                                     "DBClusterIdentifier": "no-such-cluster"})
    report = apply_plan(dataclasses.replace(plan, calls=tuple(calls)), aws, **ON_MOTO)
    assert [o.status for o in report.outcomes] == ["created", "created", "failed"]
    assert report.failed.detail.startswith("CreateDBInstance: DBClusterNotFoundFault")


def test_generated_password_never_reaches_the_report(aws):
    plan = plan_design(study("securecart"), "multi-az-dr")
    report = apply_plan(plan, aws, **ON_MOTO)
    secret = aws.client("secretsmanager", "us-east-1").get_secret_value(
        SecretId="hadrsim/securecart-multi-az-dr/master")["SecretString"]
    password = json.loads(secret)["password"]
    assert len(password) >= 30 and password not in json.dumps(report.to_dict())


def test_no_wait_skips_the_waiters(aws):
    report = apply_plan(plan_design(study("securecart"), "aurora"), aws, wait=False, **ON_MOTO)
    assert all(o.status == "created" and "waited" not in o.detail for o in report.outcomes)


def test_unreachable_endpoint_is_one_error_within_seconds(aws):
    ctx = AwsContext(session=aws.session, endpoint_url="http://127.0.0.1:9")
    start = time.monotonic()
    with pytest.raises(AwsError, match="cannot reach the endpoint"):
        apply_plan(plan_design(study("securecart"), "single-az"), ctx)
    assert time.monotonic() - start < 10


def test_unknown_region_is_refused_before_any_call(aws):
    data = extended_data()
    data["network"]["regions"].append({"name": "mars-north-1", "azs": ["m1a", "m1b", "m1c"]})
    data["designs"].append({"name": "far", "kind": "rds_single_az", "region": "mars-north-1"})
    data["network"]["region_rtt_ms"] += [{"a": "mars-north-1", "b": r, "rtt_ms": 300}
                                         for r in ("us-east-1", "us-west-2", "us-east-2")]
    with pytest.raises(AwsError, match="mars-north-1"):
        apply_plan(plan_design(parse_study(data), "far"), aws)
