"""FIS export: faults become FIS actions in time order; what FIS cannot do is listed."""

from __future__ import annotations

import re

import pytest

from hadrsim.aws.fis import ACCOUNT_PLACEHOLDER, export_fis, iso_duration

ALARMS = [{"name": "write-errors", "metric": "write_error_rate", "threshold": 0.5},
          {"name": "lag", "metric": "replica_lag_s", "threshold": 30}]
DESIGNS = [
    {"name": "maz", "kind": "rds_multi_az_instance",
     "replicas": [{"name": "maz-dr", "region": "us-west-2"}]},
    {"name": "aur", "kind": "aurora", "readers": [{"promotion_tier": 0}]},
    {"name": "ddb", "kind": "dynamodb_global_table", "regions": ["us-east-1", "us-west-2"]},
]


@pytest.fixture()
def study(make_study):
    return make_study(
        designs=DESIGNS, alarms=ALARMS, horizon_s=100000.0,
        scenarios=[
            {"name": "mixed", "stop_conditions": ["write-errors", "lag"], "scheduled": [
                {"kind": "az_outage", "target": "primary_az", "at_s": 600, "duration_s": 30},
                {"kind": "instance_crash", "target": "primary", "at_s": 120},
                {"kind": "logical_corruption", "target": "primary", "at_s": 630},
                {"kind": "region_outage", "target": "primary_region", "at_s": 50000},
                {"kind": "instance_crash", "target": "replica", "at_s": 900},
            ], "stochastic": [
                {"kind": "instance_crash", "mttf_h": 100, "mttr_h": 1},
            ]},
            {"name": "dynamo", "scheduled": [
                # the replica receives the replication stream (the primary has none to
                # break: a validation error); its table is in us-west-2, so the
                # partition is cut from there too (a template acts in one Region)
                {"kind": "replication_break", "target": "replica", "at_s": 60,
                 "duration_s": 300},
                {"kind": "network_partition", "between": ["us-west-2", "us-east-1"],
                 "at_s": 400, "duration_s": 600},
            ]},
        ])


def test_iso_durations():
    """FIS takes ISO 8601 durations: minutes and hours without zero parts."""
    assert [iso_duration(s) for s in (60, 90, 7200, 43200, 3725)] == [
        "PT1M", "PT1M30S", "PT2H", "PT12H", "PT1H2M5S"]


def test_actions_follow_the_schedule_through_a_chain_of_waits(study):
    """Each fault starts after a wait that ends at its at_s; the waits form one chain."""
    export = export_fis(study, "mixed", "maz")
    actions = export.template["actions"]
    assert actions["wait-until-120s"] == {"actionId": "aws:fis:wait",
                                          "parameters": {"duration": "PT2M"}}
    assert actions["wait-until-600s"]["startAfter"] == ["wait-until-120s"]
    assert actions["wait-until-600s"]["parameters"] == {"duration": "PT8M"}
    crash = actions["instance-crash-1"]
    assert crash["actionId"] == "aws:rds:reboot-db-instances"
    assert crash["parameters"] == {"forceFailover": "true"}
    assert crash["startAfter"] == ["wait-until-120s"]
    az = [name for name, a in actions.items() if a.get("startAfter") == ["wait-until-600s"]
          and a["actionId"] != "aws:fis:wait"]
    assert sorted(az) == ["az-outage-0-network", "az-outage-0-reboot"]
    network = actions["az-outage-0-network"]
    assert network["parameters"] == {"scope": "all", "duration": "PT1M"}  # 30 s -> 1 min
    assert any("raised to 1 min" in note for note in export.notes)
    subnets = export.template["targets"][network["targets"]["Subnets"]]
    assert subnets["resourceType"] == "aws:ec2:subnet"
    assert subnets["filters"] == [{"path": "AvailabilityZone", "values": ["us-east-1a"]}]
    assert subnets["resourceTags"]["hadrsim:design"] == "maz"
    db = export.template["targets"][crash["targets"]["DBInstances"]]
    assert db == {"resourceType": "aws:rds:db", "selectionMode": "COUNT(1)",
                  "resourceTags": {"hadrsim:managed": "true", "hadrsim:study": "t",
                                   "hadrsim:design": "maz", "hadrsim:node": "maz-a"}}


def test_long_gaps_and_permanent_faults_are_cut_to_fis_limits(study):
    """A wait over 12 h is split; a fault without duration lasts FIS's maximum, noted."""
    actions = export_fis(study, "mixed", "maz").template["actions"]
    waits = [a for a in actions.values() if a["actionId"] == "aws:fis:wait"]
    total = sum(_seconds(a["parameters"]["duration"]) for a in waits)
    assert total == 50000
    assert all(_seconds(a["parameters"]["duration"]) <= 43200 for a in waits)
    assert actions["wait-until-43800s"]["startAfter"] == ["wait-until-600s"]
    assert actions["wait-until-50000s"]["startAfter"] == ["wait-until-43800s"]
    outage = actions["region-outage-3"]
    assert outage["actionId"] == "aws:network:disrupt-connectivity"
    assert outage["parameters"]["duration"] == "PT12H"


def _seconds(iso: str) -> int:
    parts = dict((u, int(v)) for v, u in re.findall(r"(\d+)([HMS])", iso))
    return parts.get("H", 0) * 3600 + parts.get("M", 0) * 60 + parts.get("S", 0)


def test_unsupported_faults_are_listed_with_reasons(study):
    """Nothing is dropped silently: corruption, stochastic classes and a fault in another
    Region than the experiment's are listed with why."""
    export = export_fis(study, "mixed", "maz")
    listed = {(u["fault"], u["kind"]): u["reason"] for u in export.unsupported}
    assert set(listed) == {("scenarios.0.scheduled.2", "logical_corruption"),
                           ("scenarios.0.stochastic.0", "instance_crash"),
                           ("scenarios.0.scheduled.4", "instance_crash")}
    assert "MTTF" in listed[("scenarios.0.stochastic.0", "instance_crash")]
    assert "us-west-2" in listed[("scenarios.0.scheduled.4", "instance_crash")]
    assert export.region == "us-east-1"


def test_stop_conditions_are_the_alarms_plan_makes(study):
    """Scenario alarms become the ARNs of the CloudWatch alarms hadrsim plan creates
    (``<study>-<design>-<alarm>``) in the experiment's Region; the account is a token
    unless given; an alarm elsewhere or without a metric is left out, with a note."""
    dry = export_fis(study, "mixed", "aur")
    prefix = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT_PLACEHOLDER}:alarm:t-aur-"
    assert dry.template["stopConditions"] == [
        {"source": "aws:cloudwatch:alarm", "value": prefix + "write-errors"},
        {"source": "aws:cloudwatch:alarm", "value": prefix + "lag"}]  # Aurora reader lag
    assert ACCOUNT_PLACEHOLDER in dry.template["roleArn"]
    maz = export_fis(study, "mixed", "maz", account_id="111122223333",
                     role_arn="arn:aws:iam::111122223333:role/fis")
    assert [c["value"] for c in maz.template["stopConditions"]] == [
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:t-maz-write-errors"]
    assert any("t-maz-lag" in n and "us-west-2" in n for n in maz.notes)  # replica's Region
    assert export_fis(study, "dynamo", "ddb").template["stopConditions"] == [
        {"source": "none"}]


def test_aurora_crash_is_a_cluster_failover(study):
    """With a reader to promote, the writer's crash is aws:rds:failover-db-cluster."""
    export = export_fis(study, "mixed", "aur")
    crash = export.template["actions"]["instance-crash-1"]
    assert crash["actionId"] == "aws:rds:failover-db-cluster"
    cluster = export.template["targets"][crash["targets"]["Clusters"]]
    assert cluster["resourceType"] == "aws:rds:cluster"
    failover = export.template["actions"]["az-outage-0-failover"]
    target = export.template["targets"][failover["targets"]["Clusters"]]
    assert target["parameters"] == {"writerAvailabilityZoneIdentifiers": "us-east-1a"}


def test_dynamodb_replication_break_and_partition(study):
    """A break of the replica's replication is FIS's pause-replication, run in the
    replica table's Region; a Region partition from there blocks routes to the other
    Region and pauses replication; a host crash is refused."""
    export = export_fis(study, "dynamo", "ddb")
    assert export.unsupported == [] and export.region == "us-west-2"
    actions = export.template["actions"]
    pause = actions["replication-break-0"]
    assert pause["actionId"] == "aws:dynamodb:global-table-pause-replication"
    assert pause["parameters"] == {"duration": "PT5M"}
    assert pause["startAfter"] == ["wait-until-60s"]
    assert export.template["targets"][pause["targets"]["Tables"]]["resourceType"] == \
        "aws:dynamodb:global-table"
    routes = actions["network-partition-1-routes"]
    assert routes["actionId"] == "aws:network:route-table-disrupt-cross-region-connectivity"
    assert routes["parameters"] == {"region": "us-east-1", "duration": "PT10M"}
    assert routes["startAfter"] == ["wait-until-400s"]
    assert actions["network-partition-1-replication"]["actionId"] == \
        "aws:dynamodb:global-table-pause-replication"
    crash = export_fis(study, "mixed", "ddb")
    reasons = {u["fault"]: u["reason"] for u in crash.unsupported}
    assert "Regional managed service" in reasons["scenarios.0.scheduled.1"]
    assert "hides the loss of an AZ" in reasons["scenarios.0.scheduled.0"]


def test_nothing_exportable_gives_no_template(make_study):
    """A scenario of faults FIS cannot run yields no template, only reasons."""
    study = make_study(scenarios=[{"name": "bad", "scheduled": [
        {"kind": "clock_skew", "target": "primary", "at_s": 10, "skew_ms": 500}]}])
    export = export_fis(study, "bad", "maz")
    assert export.template is None and export.region is None
    assert export.unsupported[0]["kind"] == "clock_skew"
