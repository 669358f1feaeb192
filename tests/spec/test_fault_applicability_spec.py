"""A scenario fault that can apply to no design of the study is a spec error.

It would measure nothing (every design declines it), so validation refuses it with
the field path, the value and each design's reason (issue 11, items 3 and 11).
"""

from __future__ import annotations

import pytest

from hadrsim.spec.loader import SpecError

RDS = {"name": "maz", "kind": "rds_multi_az_instance"}
TABLE = {"name": "carts", "kind": "dynamodb_global_table"}


def _problems(make_study, designs, fault) -> list[str]:
    with pytest.raises(SpecError) as caught:
        make_study(designs=designs, scenarios=[
            {"name": "ok", "scheduled": [{"kind": "region_outage", "at_s": 10.0}]},
            {"name": "bad", "scheduled": [{"at_s": 10.0, **fault}]}])
    return caught.value.problems


def test_switchover_with_no_global_database_in_the_study_is_refused(make_study):
    problems = _problems(make_study, [RDS, TABLE], {"kind": "switchover"})
    assert problems == [
        "scenarios.1.scheduled.0.kind: value 'switchover' cannot apply to any design of the "
        "study (maz: no global database to switch over; carts: no global database to switch "
        "over); use a fault at least one design has a target for"]


def test_promote_wrong_replica_on_a_global_table_only_is_refused(make_study):
    problems = _problems(make_study, [TABLE],
                         {"kind": "operator_error", "action": "promote_wrong_replica"})
    assert len(problems) == 1
    assert problems[0].startswith("scenarios.1.scheduled.0.action: value 'promote_wrong_replica'")
    assert "no replica to promote" in problems[0]


def test_a_fault_one_design_can_take_is_accepted(make_study):
    study = make_study(designs=[RDS, {**RDS, "name": "dr", "replicas": [{"region": "us-west-2"}]}],
                       scenarios=[{"name": "op", "scheduled": [
                           {"kind": "operator_error", "action": "promote_wrong_replica",
                            "at_s": 10.0}]}])
    assert [s.name for s in study.scenarios] == ["op"]


def test_stochastic_faults_are_checked_too(make_study):
    with pytest.raises(SpecError) as caught:
        make_study(designs=[TABLE], scenarios=[{"name": "s", "stochastic": [
            {"kind": "instance_crash", "mttf_h": 1.0, "mttr_h": 0.1}]}])
    assert caught.value.problems[0].startswith("scenarios.0.stochastic.0.kind: value "
                                               "'instance_crash' cannot apply")
