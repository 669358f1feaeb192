"""Faults a design declines create no episode (issue 11, items 3, 4 and 11).

A fault that cannot apply (no such target or action in the design) leaves no Fault
record, so it can never read as a met episode; the control log says why
(``fault_not_applicable``, detail ``"<kind>: <reason>"``). A fault the managed
service absorbs (an AZ outage under a DynamoDB table) is an episode. Logical
corruption applies to every design that stores data, restore point or not.
"""

from __future__ import annotations

import pytest

from hadrsim.experiments.run import run_once
from hadrsim.spec.applicability import not_applicable
from hadrsim.spec.faults import ScheduledFault

RDS = {"name": "maz", "kind": "rds_multi_az_instance"}
RDS_NO_BACKUPS = {"name": "maz-nobackup", "kind": "rds_multi_az_instance",
                  "backups": {"retention_days": 0}}
RDS_DR = {"name": "maz-dr", "kind": "rds_multi_az_instance",
          "replicas": [{"region": "us-west-2"}]}
GLOBAL = {"name": "aurora-global", "kind": "aurora_global",
          "secondaries": [{"region": "us-west-2"}]}
MREC = {"name": "mrec", "kind": "dynamodb_global_table"}
NETWORK_3 = {"regions": [
    {"name": "us-east-1", "azs": ["us-east-1a", "us-east-1b", "us-east-1c"]},
    {"name": "us-east-2", "azs": ["us-east-2a", "us-east-2b", "us-east-2c"]},
    {"name": "us-west-2", "azs": ["us-west-2a", "us-west-2b", "us-west-2c"]}],
    "region_rtt_ms": [{"a": "us-east-2", "b": "us-west-2", "rtt_ms": 50}]}
MRSC = {"name": "mrsc", "kind": "dynamodb_global_table", "consistency": "strong"}


def _study(make_study, designs, fault, horizon_s=300.0, **extra):
    return make_study(designs=designs, horizon_s=horizon_s,
                      scenarios=[{"name": "s", "scheduled": [{"at_s": 60.0, **fault}]}], **extra)


def _not_applicable(result) -> list[str]:
    return [detail for _t, event, _node, detail in result.control
            if event == "fault_not_applicable"]


def _run(study, design):
    result = run_once(study, design, "s", 0)
    assert result.ok, result.error
    return result


# --- the rule, from the spec alone --------------------------------------------------------
@pytest.mark.parametrize(("design", "fault", "reason"), [
    (RDS, {"kind": "switchover"}, "no global database to switch over"),
    (RDS_NO_BACKUPS, {"kind": "backup_failure"}, "no automated backups"),
    (RDS, {"kind": "operator_error", "action": "promote_wrong_replica"}, "no replica"),
    (MREC, {"kind": "operator_error", "action": "promote_wrong_replica"}, "no replica"),
    (MREC, {"kind": "operator_error", "action": "delete_instance"}, "no instance"),
    (MREC, {"kind": "instance_crash"}, "no host"),
    (MREC, {"kind": "backup_failure"}, "no backup job"),
    ({"name": "one", "kind": "rds_single_az"}, {"kind": "az_outage", "target": "standby_az"},
     "no standby"),
])
def test_a_fault_without_a_target_in_the_design_cannot_apply(make_study, design, fault,
                                                             reason):
    study = _study(make_study, [design, GLOBAL, RDS_DR], fault)
    decline = not_applicable(study.designs[0], ScheduledFault(at_s=1.0, **fault))
    assert decline is not None and reason in decline.reason


@pytest.mark.parametrize(("design", "fault"), [
    (MREC, {"kind": "az_outage"}),  # the managed service absorbs it: still an episode
    (MREC, {"kind": "logical_corruption"}),
    ({**MREC, "pitr_retention_days": 0}, {"kind": "logical_corruption"}),
    (RDS_NO_BACKUPS, {"kind": "logical_corruption"}),
    (GLOBAL, {"kind": "switchover"}),
    (RDS_DR, {"kind": "operator_error", "action": "promote_wrong_replica"}),
])
def test_a_fault_the_design_has_a_target_for_applies(make_study, design, fault):
    study = _study(make_study, [design], fault, network=NETWORK_3)
    assert not_applicable(study.designs[0], ScheduledFault(at_s=1.0, **fault)) is None


# --- runs: no episode, a logged reason ----------------------------------------------------
def test_switchover_without_a_global_database_is_no_episode(make_study):
    """Before: an RDS design recorded the switchover, skipped it, and scored a met episode."""
    study = _study(make_study, [RDS_DR, GLOBAL], {"kind": "switchover"})
    result = _run(study, "maz-dr")
    assert result.episodes == []
    assert _not_applicable(result) == ["switchover: no global database to switch over"]
    assert len(_run(study, "aurora-global").episodes) == 1


def test_backup_failure_without_backups_is_no_episode(make_study):
    study = _study(make_study, [RDS_NO_BACKUPS, RDS], {"kind": "backup_failure"})
    result = _run(study, "maz-nobackup")
    assert result.episodes == []
    assert _not_applicable(result) == ["backup_failure: no automated backups"]
    assert len(_run(study, "maz").episodes) == 1


def test_promote_wrong_replica_on_a_global_table_is_not_applicable(make_study):
    """Issue item 11: this raised AttributeError in every run of a DynamoDB table."""
    study = _study(make_study, [MREC, RDS_DR],
                   {"kind": "operator_error", "action": "promote_wrong_replica"})
    result = _run(study, "mrec")
    assert result.episodes == []
    assert _not_applicable(result) == [
        "operator_error: no replica to promote: the service manages a global table's replicas"]
    assert len(_run(study, "maz-dr").episodes) == 1


def test_an_az_outage_under_a_regional_table_is_a_met_episode(make_study):
    """The service absorbs it: an episode with no client-visible outage and no loss."""
    study = _study(make_study, [MREC], {"kind": "az_outage", "duration_s": 60.0})
    result = _run(study, "mrec")
    assert [e["scope"] for e in result.episodes] == ["az:us-east-1a"]
    episode = result.episodes[0]
    assert episode["rto_write_s"] == 0.0 and episode["lost_writes"] == 0
    assert _not_applicable(result) == []


# --- logical corruption applies to every design that stores data (item 4) -----------------
def _events(result, name: str) -> list[str]:
    return [detail for _t, event, _node, detail in result.control if event == name]


def test_corruption_of_an_mrsc_table_goes_through_the_write_path(make_study):
    study = _study(make_study, [MRSC], {"kind": "logical_corruption",
                                        "detection_s": 30.0, "decision_s": 30.0},
                   horizon_s=2400.0, network=NETWORK_3)
    result = _run(study, "mrsc")
    assert len(result.episodes) == 1
    assert _events(result, "corruption_written")
    assert result.metrics["corrupt_reads"] > 0
    assert _events(result, "restore_completed")


@pytest.mark.parametrize("design", [
    {**MREC, "pitr_retention_days": 0},
    {**MRSC, "pitr_retention_days": 0},
    RDS_NO_BACKUPS,
])
def test_corruption_without_a_restore_point_stays(make_study, design):
    """No PITR: the corruption is still written (an episode); the restore is impossible."""
    study = _study(make_study, [design], {"kind": "logical_corruption",
                                          "detection_s": 30.0, "decision_s": 30.0},
                   horizon_s=400.0, network=NETWORK_3)
    result = _run(study, design["name"])
    assert len(result.episodes) == 1
    assert _events(result, "corruption_written")
    assert _events(result, "restore_impossible")
    assert not _events(result, "restore_completed")
    assert result.metrics["corrupt_reads"] > 0
