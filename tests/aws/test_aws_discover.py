"""discover: resources made with plain boto3 calls on a moto server come back as a study
that validates and simulates.

moto 5.2.1 ignores DynamoDB ``ReplicaUpdates`` (``describe_table`` has no ``Replicas``) and
does not implement ``ListBackupSelections``; a replica table is therefore also created in
the second Region under the same ``hadrsim:design`` tag (how it looks from there), and the
``Replicas`` path is checked in ``test_aws_discover_build.py`` on AWS-shaped data.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import hadrsim
import hadrsim.experimental
from hadrsim.aws.discover import discover
from hadrsim.cli import app

ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1"}
PASSWORD = {"MasterUsername": "app", "MasterUserPassword": "not-a-secret-1"}


def _deploy(aws) -> None:
    east, west = aws.client("rds", "us-east-1"), aws.client("rds", "us-west-2")
    orders = east.create_db_instance(
        DBInstanceIdentifier="orders", DBInstanceClass="db.r6g.xlarge", Engine="postgres",
        MultiAZ=True, AllocatedStorage=200, BackupRetentionPeriod=7,
        AvailabilityZone="us-east-1b", **PASSWORD)["DBInstance"]
    west.create_db_instance_read_replica(
        DBInstanceIdentifier="orders-dr", SourceDBInstanceIdentifier=orders["DBInstanceArn"],
        DBInstanceClass="db.r6g.xlarge", SourceRegion="us-east-1")
    east.create_db_cluster(DBClusterIdentifier="cart", Engine="aurora-postgresql",
                           BackupRetentionPeriod=3, **PASSWORD)
    for name, tier, az in (("cart-1", 0, "us-east-1a"), ("cart-2", 2, "us-east-1c")):
        east.create_db_instance(DBInstanceIdentifier=name, DBClusterIdentifier="cart",
                                Engine="aurora-postgresql", DBInstanceClass="db.r6g.large",
                                PromotionTier=tier, AvailabilityZone=az)
    pay = east.create_db_cluster(DBClusterIdentifier="pay", Engine="aurora-postgresql",
                                 **PASSWORD)["DBCluster"]
    east.create_db_instance(DBInstanceIdentifier="pay-1", DBClusterIdentifier="pay",
                            Engine="aurora-postgresql", DBInstanceClass="db.r6g.large")
    east.create_global_cluster(GlobalClusterIdentifier="pay-global",
                               SourceDBClusterIdentifier=pay["DBClusterArn"])
    west.create_db_cluster(DBClusterIdentifier="pay-west", Engine="aurora-postgresql",
                           GlobalClusterIdentifier="pay-global")
    for region in ("us-east-1", "us-west-2"):
        ddb = aws.client("dynamodb", region)
        ddb.create_table(TableName="sessions", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         StreamSpecification={"StreamEnabled": True,
                                              "StreamViewType": "NEW_AND_OLD_IMAGES"},
                         Tags=[{"Key": "hadrsim:design", "Value": "sessions"}])
        ddb.update_continuous_backups(
            TableName="sessions",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    aws.client("dynamodb", "us-east-1").update_table(
        TableName="sessions", ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])
    r53 = aws.client("route53", "us-east-1")
    zone = r53.create_hosted_zone(Name="shop.example", CallerReference="z")["HostedZone"]["Id"]
    check = r53.create_health_check(CallerReference="c", HealthCheckConfig={
        "Type": "TCP", "IPAddress": "192.0.2.10", "Port": 5432, "RequestInterval": 10,
        "FailureThreshold": 2})["HealthCheck"]["Id"]
    endpoint = orders["Endpoint"]["Address"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "db.shop.example", "Type": "CNAME", "SetIdentifier": "primary",
            "Failover": "PRIMARY", "TTL": 20, "HealthCheckId": check,
            "ResourceRecords": [{"Value": endpoint}]}},
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "db.shop.example", "Type": "CNAME", "SetIdentifier": "secondary",
            "Failover": "SECONDARY", "TTL": 20,
            "ResourceRecords": [{"Value": "orders-dr.example.us-west-2.rds.amazonaws.com"}]}}]})
    aws.client("backup", "us-east-1").create_backup_plan(BackupPlan={
        "BackupPlanName": "gold", "Rules": [{
            "RuleName": "daily", "TargetBackupVaultName": "Default",
            "ScheduleExpression": "cron(0 5 ? * * *)", "StartWindowMinutes": 60,
            "Lifecycle": {"DeleteAfterDays": 35},
            "CopyActions": [{"DestinationBackupVaultArn":
                             "arn:aws:backup:us-west-2:123456789012:backup-vault:Default",
                             "Lifecycle": {"DeleteAfterDays": 35}}]}]})


@pytest.fixture()
def deployed(aws):
    _deploy(aws)
    return aws


def test_discover_finds_every_design_and_it_simulates(deployed, tmp_path):
    """Kinds, Regions, replicas, tiers, PITR, Route 53 and backups as read; the study
    loads from its YAML and every run succeeds."""
    found = discover(deployed, ["us-east-1", "us-west-2"])
    path = tmp_path / "found.yaml"
    path.write_text(found.to_yaml())
    study = hadrsim.load_study(path)
    designs = {d.name: d for d in study.designs}
    assert set(designs) == {"orders", "cart", "pay", "sessions"}

    orders = designs["orders"]
    assert orders.kind == "rds_multi_az_instance" and orders.region == "us-east-1"
    assert (orders.primary_az, orders.instance_class) == ("us-east-1b", "db.r6g.xlarge")
    assert orders.allocated_storage_gb == 200 and orders.backups.retention_days == 7
    assert [(r.name, r.region) for r in orders.replicas] == [("orders-dr", "us-west-2")]
    assert orders.route53.ttl_s == 20
    assert (orders.route53.request_interval_s, orders.route53.failure_threshold) == (10, 2)

    cart = designs["cart"]
    assert cart.kind == "aurora" and cart.writer_az == "us-east-1a"
    assert [(r.name, r.promotion_tier, r.az) for r in cart.readers] == [
        ("cart-2", 2, "us-east-1c")]
    assert cart.backups.retention_days == 3

    pay = designs["pay"]
    assert pay.kind == "aurora_global"
    assert [s.region for s in pay.secondaries] == ["us-west-2"]

    sessions = designs["sessions"]
    assert sessions.kind == "dynamodb_global_table"
    assert sessions.regions == ["us-east-1", "us-west-2"]
    assert sessions.pitr_retention_days == 35

    (plan,) = study.backup_plans
    assert plan.rules[0].copy_to[0].region == "us-west-2"
    assert any("selections could not be read" in w for w in found.warnings)

    results = hadrsim.experimental.run_study(study, runs=1, workers=1)
    assert len(results) == 4 * 3
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:1]


def test_discover_command_writes_a_valid_file(moto_endpoint, deployed, tmp_path):
    """The command writes the file atomically and validate accepts it."""
    out = tmp_path / "study.yaml"
    result = CliRunner().invoke(app, ["discover", "--region", "us-east-1", "--region",
                                      "us-west-2", "--endpoint-url", moto_endpoint,
                                      "-o", str(out), "--name", "shop"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "orders" in result.output and "aurora_global" in result.output
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left
    assert CliRunner().invoke(app, ["validate", str(out)]).exit_code == 0
    assert hadrsim.load_study(out).name == "shop"
    assert PASSWORD["MasterUserPassword"] not in out.read_text() + result.output


def test_nothing_to_discover_is_bad_input(moto_endpoint, aws, tmp_path):
    """An empty account: one line, exit 2, no file."""
    out = tmp_path / "study.yaml"
    result = CliRunner().invoke(app, ["discover", "--region", "eu-west-1", "--endpoint-url",
                                      moto_endpoint, "-o", str(out)], env=ENV)
    assert result.exit_code == 2
    assert "no database found" in result.output
    assert not out.exists()


def test_unreachable_endpoint(tmp_path):
    """Nobody listens: one line naming the endpoint, exit 2, no file."""
    out = tmp_path / "study.yaml"
    result = CliRunner().invoke(app, ["discover", "--region", "us-east-1", "--endpoint-url",
                                      "http://127.0.0.1:9", "-o", str(out)], env=ENV)
    assert result.exit_code == 2
    assert "cannot reach the endpoint http://127.0.0.1:9" in result.output
    assert not out.exists()


def test_missing_credentials(tmp_path, monkeypatch):
    """No credentials anywhere: one line saying how to give them, exit 2, no file."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    env = {"AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    out = tmp_path / "study.yaml"
    result = CliRunner().invoke(app, ["discover", "--region", "us-east-1", "-o", str(out)],
                                env=env)
    assert result.exit_code == 2
    assert "no AWS credentials" in result.output
    assert not out.exists()
