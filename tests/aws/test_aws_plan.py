"""``plan_design``: every design of the bundled studies as ordered, tagged, secret-free calls.

Pure tests: no AWS, no moto. Shapes are checked against what each API takes.
"""

from __future__ import annotations

import pytest
from aws_plan_support import DMS_OPTIONS, extended_data, extended_study, study

from hadrsim.aws.plan import GeneratedPassword, PlanError, Ref, SecretField, Template, plan_design
from hadrsim.spec.kinds import kind_of
from hadrsim.spec.loader import parse_study

ALL_DESIGNS = [(name, d.name) for name in ("securecart", "aurora-global-year", "dr-tiers")
               for d in study(name).designs]


def _calls(plan, operation):
    return [c for c in plan.calls if c.operation == operation]


@pytest.mark.parametrize(("study_name", "design"), ALL_DESIGNS)
def test_every_design_plans_ordered_tagged_calls_in_its_regions(study_name, design):
    """Each call needs only earlier steps, runs in a Region of the study (Route 53: its
    control plane), and every resource carries the study/design tags; node tags name
    simulator nodes."""
    s = study(study_name)
    spec = s.design(design)
    plan = plan_design(s, design)
    assert plan.calls and [c.step for c in plan.calls] == list(range(1, len(plan.calls) + 1))
    regions = {r.name for r in s.network.regions} | {"us-east-1"}
    nodes = set(kind_of(spec).node_names(spec))
    for call in plan.calls:
        assert all(dep < call.step for dep in call.depends_on)
        assert call.region in regions
        if call.operation == "describe_key":
            continue
        tags = call.resource.tags
        assert tags["hadrsim:study"] == s.name and tags["hadrsim:design"] == design
        assert tags.get("hadrsim:node", next(iter(nodes))) in nodes
        sent = call.params.get("Tags") or call.params.get("AddTags")
        if isinstance(sent, list):
            assert {"Key": "hadrsim:design", "Value": design} in sent


@pytest.mark.parametrize(("study_name", "design"), ALL_DESIGNS)
def test_plan_json_holds_no_secret_and_is_deterministic(study_name, design):
    """Every master user gets a managed or generated password, shown only as a placeholder;
    the same study plans identically."""
    s = study(study_name)
    first, second = plan_design(s, design).to_dict(), plan_design(s, design).to_dict()
    assert first == second
    for call in first["calls"]:
        params = call["params"]
        if "MasterUsername" in params:
            assert params.get("ManageMasterUserPassword") is True or \
                params["MasterUserPassword"].startswith("<password read from")
        for key in ("MasterUserPassword", "SecretString", "Password"):
            assert str(params.get(key, "<")).startswith("<")


def test_single_az_and_multi_az_instances_map_the_spec():
    """Single-AZ: its AZ and managed password; Multi-AZ: MultiAZ=True, no AZ (RDS places)."""
    s = study("securecart")
    single = _calls(plan_design(s, "single-az"), "create_db_instance")[0].params
    assert single["MultiAZ"] is False and single["AvailabilityZone"] == "us-east-1a"
    assert single["ManageMasterUserPassword"] is True and single["BackupRetentionPeriod"] == 7
    assert single["StorageEncrypted"] is True and single["Engine"] == "postgres"
    multi = plan_design(s, "multi-az")
    params = _calls(multi, "create_db_instance")[0].params
    assert params["MultiAZ"] is True and "AvailabilityZone" not in params
    assert any("standby_az" in note for note in multi.notes)


def test_multi_az_cluster_takes_a_cluster_class_and_io1():
    """The Multi-AZ DB cluster is one create_db_cluster with an NVMe class and io1."""
    plan = plan_design(study("securecart"), "multi-az-cluster")
    (call,) = plan.calls
    assert call.operation == "create_db_cluster"
    assert call.params["DBClusterInstanceClass"] == "db.r6gd.large"
    assert call.params["StorageType"] == "io1" and call.params["Iops"] == 3000
    assert call.params["Engine"] == "postgres" and "AvailabilityZones" not in call.params
    assert call.resource.attrs["nodes"] == ["multi-az-cluster-a", "multi-az-cluster-b",
                                            "multi-az-cluster-c"]


def test_cross_region_replica_is_called_in_its_region_with_the_source_arn():
    """The replica is created by the replica Region's client from the source's ARN; the
    source's password is a generated secret replicated to the DR Region."""
    plan = plan_design(study("securecart"), "multi-az-dr")
    secret, primary, replica = plan.calls
    assert secret.operation == "create_secret"
    assert isinstance(secret.params["SecretString"], GeneratedPassword)
    assert secret.params["AddReplicaRegions"] == [{"Region": "us-west-2"}]
    assert isinstance(primary.params["MasterUserPassword"], SecretField)
    assert "ManageMasterUserPassword" not in primary.params
    assert replica.operation == "create_db_instance_read_replica"
    assert replica.region == "us-west-2" and replica.params["SourceRegion"] == "us-east-1"
    assert replica.params["SourceDBInstanceIdentifier"] == Ref(primary.resource.key,
                                                               "DBInstanceArn")
    assert replica.depends_on == (primary.step,)


def test_same_region_replica_and_cluster_replica_use_identifiers():
    """A same-Region replica names its source by identifier; a Multi-AZ DB cluster's replica
    uses SourceDBClusterIdentifier."""
    data = extended_data()
    data["designs"].append({"name": "cluster-rr", "kind": "rds_multi_az_cluster",
                            "replicas": [{"region": "us-east-1"}]})
    plan = plan_design(parse_study(data), "cluster-rr")
    replica = _calls(plan, "create_db_instance_read_replica")[0]
    assert replica.params["SourceDBClusterIdentifier"] == "securecart-cluster-rr"
    assert "SourceRegion" not in replica.params and replica.region == "us-east-1"


def test_aurora_readers_keep_their_promotion_tiers_and_azs():
    """The writer is created first, then each reader with its PromotionTier and AZ."""
    plan = plan_design(study("securecart"), "aurora")
    cluster, writer, *readers = plan.calls
    assert cluster.params["Engine"] == "aurora-postgresql"
    assert cluster.params["AvailabilityZones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert cluster.params["ManageMasterUserPassword"] is True
    assert writer.params["DBClusterIdentifier"] == cluster.resource.identifier
    assert [r.params["PromotionTier"] for r in readers] == [0, 1]
    assert [r.params["AvailabilityZone"] for r in readers] == ["us-east-1b", "us-east-1c"]
    assert all(r.depends_on == (writer.step,) for r in readers)


def test_aurora_global_builds_global_cluster_then_secondary_in_the_other_region():
    s = study("aurora-global-year")
    plan = plan_design(s, "aurora-global")
    ops = [(c.region, c.operation) for c in plan.calls]
    assert ops[0] == ("us-east-1", "create_global_cluster")
    clusters = _calls(plan, "create_db_cluster")
    assert [c.region for c in clusters] == ["us-east-1", "us-west-2"]
    gid = plan.calls[0].params["GlobalClusterIdentifier"]
    assert all(c.params["GlobalClusterIdentifier"] == gid for c in clusters)
    secondary = clusters[1]
    assert "MasterUsername" not in secondary.params and secondary.params["KmsKeyId"]
    assert secondary.resource.tags["hadrsim:node"] == "aurora-global-us-west-2"
    assert isinstance(clusters[0].params["MasterUserPassword"], SecretField)


def test_aurora_global_rpo_limit_and_write_forwarding():
    """rpo_limit_s becomes rds.global_db_rpo in a cluster parameter group of the primary."""
    data = extended_data()
    for design in data["designs"]:
        if design["name"] == "aurora-global":
            design.update({"rpo_limit_s": 30, "write_forwarding": True})
    plan = plan_design(parse_study(data), "aurora-global")
    modify = _calls(plan, "modify_db_cluster_parameter_group")[0]
    assert modify.params["Parameters"][0] == {"ParameterName": "rds.global_db_rpo",
                                              "ParameterValue": "30", "ApplyMethod": "immediate"}
    primary, secondary = _calls(plan, "create_db_cluster")
    assert primary.params["DBClusterParameterGroupName"] == modify.params[
        "DBClusterParameterGroupName"]
    assert secondary.params["EnableGlobalWriteForwarding"] is True


def test_dynamodb_mrec_adds_one_replica_per_call_and_pitr():
    plan = plan_design(study("dr-tiers"), "multi-site")
    table, pitr, replica, tags = plan.calls
    assert table.operation == "create_table" and table.params["BillingMode"] == "PAY_PER_REQUEST"
    assert pitr.params["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 35}
    assert replica.params["ReplicaUpdates"] == [{"Create": {"RegionName": "us-west-2"}}]
    assert "MultiRegionConsistency" not in replica.params and replica.wait is not None
    assert tags.region == "us-west-2" and isinstance(tags.params["ResourceArn"], Template)


def test_dynamodb_mrsc_adds_replicas_and_witness_in_one_strong_call():
    plan = plan_design(study("securecart"), "dynamodb-mrsc")
    update = _calls(plan, "update_table")[0]
    assert update.params["MultiRegionConsistency"] == "STRONG"
    assert update.params["GlobalTableWitnessUpdates"] == [{"Create": {"RegionName": "us-east-2"}}]
    assert update.params["ReplicaUpdates"] == [{"Create": {"RegionName": "us-west-2"}}]


def test_three_region_mrec_chains_replicas_one_at_a_time():
    data = extended_data()
    data["designs"].append({"name": "tri", "kind": "dynamodb_global_table",
                            "regions": ["us-east-1", "us-west-2", "us-east-2"]})
    plan = plan_design(parse_study(data), "tri")
    first, second = _calls(plan, "update_table")
    assert first.step in second.depends_on


def test_route53_failover_records_and_health_check():
    """PRIMARY on the writer with a TCP health check (interval, threshold), SECONDARY on the
    secondary cluster, both with the model's TTL."""
    plan = plan_design(study("dr-tiers"), "warm-standby")
    check = _calls(plan, "create_health_check")[0].params["HealthCheckConfig"]
    assert check["Type"] == "TCP" and check["RequestInterval"] == 30
    assert check["FailureThreshold"] == 3 and "Regions" not in check
    records = _calls(plan, "change_resource_record_sets")[0]
    changes = records.params["ChangeBatch"]["Changes"]
    primary, secondary = (c["ResourceRecordSet"] for c in changes)
    assert (primary["Failover"], secondary["Failover"]) == ("PRIMARY", "SECONDARY")
    assert primary["TTL"] == secondary["TTL"] == 60 and "HealthCheckId" in primary
    assert secondary["ResourceRecords"][0]["Value"].key.endswith("warm-standby-us-west-2")
    assert records.region == "us-east-1" and len(records.depends_on) == 4


def test_route53_checker_regions_must_be_route53_regions():
    data = extended_data()
    for design in data["designs"]:
        if design["name"] == "multi-az-dr":
            design["route53"]["checker_regions"] = ["us-east-1", "us-west-2", "us-east-2"]
    with pytest.raises(PlanError, match="us-east-2"):
        plan_design(parse_study(data), "multi-az-dr")


def test_backup_replication_goes_to_the_copy_region():
    plan = plan_design(study("dr-tiers"), "backup-and-restore")
    key, replication = plan.calls[1:]
    assert key.operation == "describe_key" and not key.creates
    assert replication.operation == "start_db_instance_automated_backups_replication"
    assert replication.region == "us-west-2" and replication.params["BackupRetentionPeriod"] == 7
    assert replication.params["KmsKeyId"] == Ref(key.resource.key, "KeyMetadata.Arn")


def test_backup_window_retention_and_backup_plan_with_copy_action():
    """A constant window is a PreferredBackupWindow; the study plan gets vaults in both
    Regions, a copy action into the other Region's vault and a tag selection."""
    plan = plan_design(extended_study(), "multi-az-dr")
    primary = _calls(plan, "create_db_instance")[0].params
    assert primary["PreferredBackupWindow"] == "03:30-04:00"
    assert primary["BackupRetentionPeriod"] == 14
    vaults = _calls(plan, "create_backup_vault")
    assert sorted(v.region for v in vaults) == ["us-east-1", "us-west-2"]
    rule = _calls(plan, "create_backup_plan")[0].params["BackupPlan"]["Rules"][0]
    copy = rule["CopyActions"][0]
    assert copy["Lifecycle"] == {"DeleteAfterDays": 35}
    assert copy["DestinationBackupVaultArn"].text.startswith("arn:aws:backup:us-west-2:")
    selection = _calls(plan, "create_backup_selection")[0].params["BackupSelection"]
    keys = {c["ConditionKey"]: c["ConditionValue"]
            for c in selection["Conditions"]["StringEquals"]}
    assert keys == {"aws:ResourceTag/hadrsim:study": "securecart",
                    "aws:ResourceTag/hadrsim:design": "multi-az-dr"}


def test_cluster_copy_to_region_becomes_a_backup_plan():
    data = extended_data()
    for design in data["designs"]:
        if design["name"] == "aurora":
            design["backups"] = {"retention_days": 7, "copy_to_region": "us-west-2"}
    plan = plan_design(parse_study(data), "aurora")
    rule = _calls(plan, "create_backup_plan")[0].params["BackupPlan"]["Rules"][0]
    assert "us-west-2" in rule["CopyActions"][0]["DestinationBackupVaultArn"].text
    assert any("copy_to_region" in note for note in plan.notes)


def test_alarm_metrics_map_to_cloudwatch_with_converted_thresholds():
    """replica_lag_s: ReplicaLag (s) in the replica's Region, AuroraGlobalDBReplicationLag
    (ms) in the secondary's; commit p99: ExtendedStatistic p99; error rate: the app's
    namespace; a Multi-AZ standby has no lag metric, which the plan says."""
    s = extended_study()
    dr = {c.resource.identifier: c.params for c in
          _calls(plan_design(s, "multi-az-dr"), "put_metric_alarm")}
    lag = dr["securecart-multi-az-dr-lag"]
    assert lag["MetricName"] == "ReplicaLag" and lag["Threshold"] == 30
    assert lag["Dimensions"] == [{"Name": "DBInstanceIdentifier",
                                  "Value": "securecart-multi-az-dr-replica1"}]
    assert lag["DatapointsToAlarm"] == 2 and lag["EvaluationPeriods"] == 3
    errors = dr["securecart-multi-az-dr-write-errors"]
    assert errors["Namespace"] == "hadrsim/securecart" and errors["Period"] == 30
    assert errors["TreatMissingData"] == "notBreaching"
    glob = plan_design(s, "aurora-global")
    by_name = {c.resource.identifier: c for c in _calls(glob, "put_metric_alarm")}
    secondary = by_name["securecart-aurora-global-lag-us-west-2"]
    assert secondary.region == "us-west-2" and secondary.params["Threshold"] == 30000
    assert secondary.params["MetricName"] == "AuroraGlobalDBReplicationLag"
    commit = by_name["securecart-aurora-global-slow-commits"].params
    assert commit["ExtendedStatistic"] == "p99" and "Statistic" not in commit
    assert commit["Period"] == 120
    multi = plan_design(s, "multi-az")
    assert not any(c.resource.identifier.endswith("-lag") for c in multi.calls)
    assert any("replica_lag_s has no CloudWatch metric" in n for n in multi.notes)


def test_dms_migration_uses_secrets_never_a_password():
    plan = plan_design(study("securecart"), "aurora", **DMS_OPTIONS)
    instance, source, target, task = plan.calls[-4:]
    assert instance.operation == "create_replication_instance"
    assert source.params["EngineName"] == "postgres" and source.params["DatabaseName"] == "shop"
    settings = source.params["PostgreSQLSettings"]
    assert settings["SecretsManagerSecretId"] == DMS_OPTIONS["dms_source_secret"]
    assert "Password" not in source.params and "ServerName" not in source.params
    assert target.params["EngineName"] == "aurora-postgresql"
    assert target.params["PostgreSQLSettings"]["SecretsManagerSecretId"] == \
        DMS_OPTIONS["dms_target_secret"]
    assert task.params["MigrationType"] == "full-load-and-cdc"
    assert set(task.depends_on) == {instance.step, source.step, target.step}


def test_dms_into_dynamodb_needs_only_the_role():
    options = {k: v for k, v in DMS_OPTIONS.items() if k != "dms_target_secret"}
    plan = plan_design(study("securecart"), "dynamodb-global", **options)
    target = [c for c in plan.calls if c.params.get("EndpointType") == "target"][0]
    assert target.params["DynamoDbSettings"] == {"ServiceAccessRoleArn": DMS_OPTIONS["dms_role"]}


@pytest.mark.parametrize(("changes", "message"), [
    ({"dms_source_url": "postgresql://admin:hunter2@db.example.com/shop"}, "remove the password"),
    ({"dms_source_url": "sqlite:///shop.db"}, "not a DMS source engine"),
    ({"dms_source_url": "postgresql://db.example.com"}, "give host and database"),
    ({"dms_source_secret": None}, "--dms-source-secret"),
    ({"dms_role": "not-an-arn"}, "--dms-role"),
    ({"dms_target_secret": None}, "--dms-target-secret"),
])
def test_dms_options_are_checked_and_a_url_password_is_never_echoed(changes, message):
    with pytest.raises(PlanError, match=message) as info:
        plan_design(study("securecart"), "multi-az", **{**DMS_OPTIONS, **changes})
    assert "hunter2" not in str(info.value)


def test_unknown_design_is_a_plan_error():
    with pytest.raises(PlanError, match="no such design"):
        plan_design(study("securecart"), "nope")
