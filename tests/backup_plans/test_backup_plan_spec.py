"""Backup plan specs: defaults from calibration 9, and errors that name field paths."""

from __future__ import annotations

import pytest

from hadrsim.backup_plans import BackupRuleSpec
from hadrsim.spec.loader import SpecError, parse_study


def _problems(data) -> list[str]:
    with pytest.raises(SpecError) as raised:
        parse_study(data, "<test>")
    return raised.value.problems


def test_rule_defaults_follow_calibration(bp):
    """Start window 8 h, completion window 7 d, not continuous, no copies (S23)."""
    rule = bp.study(bp.plan()).backup_plans[0].rules[0]
    assert (rule.start_window_min, rule.completion_window_min) == (480, 10080)
    assert rule.continuous is False and rule.copy_to == []
    assert rule.duration_s.median == 1800.0 and rule.failure_probability == 0.01


def test_a_study_without_plans_still_validates(bp):
    """backup_plans is optional."""
    data = bp.data([])
    del data["backup_plans"]
    assert parse_study(data).backup_plans == []


def test_bad_cron_names_the_schedule_field(bp):
    """A bad schedule is reported at backup_plans.0.rules.0.schedule with the reason."""
    problems = _problems(bp.data([bp.plan(bp.rule(schedule="cron(0 25 ? * * *)"))]))
    assert len(problems) == 1
    assert problems[0].startswith("backup_plans.0.rules.0.schedule: value 'cron(0 25 ? * * *)'")
    assert "hours: 25 is out of range 0-23" in problems[0]


def test_unknown_design_and_copy_region_name_their_paths(bp):
    """Selections name designs and copy Regions exist, each reported with its path."""
    bad_copy = bp.rule(name="copy", copy_to=[{"region": "us-west-2"}, {"region": "mars-1"}])
    problems = _problems(bp.data([bp.plan(bp.rule(), bad_copy, selection=["db", "nope"])]))
    assert any(p.startswith("backup_plans.0.selection.1: unknown design 'nope'")
               for p in problems), problems
    assert any(p.startswith("backup_plans.0.rules.1.copy_to.1.region: unknown region 'mars-1'")
               for p in problems), problems


def test_cold_storage_rule_is_enforced(bp):
    """delete_after_days must be at least 90 days past the move to cold storage (S23)."""
    lifecycle = {"move_to_cold_storage_after_days": 30, "delete_after_days": 100}
    problems = _problems(bp.data([bp.plan(bp.rule(lifecycle=lifecycle))]))
    assert problems[0].startswith("backup_plans.0.rules.0.lifecycle.delete_after_days: 100 is "
                                  "less than move_to_cold_storage_after_days + 90 (120)")


def test_continuous_retention_is_at_most_35_days(bp):
    """Continuous backup keeps 1-35 days (S23b) and never goes to cold storage."""
    problems = _problems(bp.data([bp.plan(bp.rule(
        continuous=True, lifecycle={"delete_after_days": 36}))]))
    assert problems[0].startswith("backup_plans.0.rules.0.lifecycle.delete_after_days: "
                                  "continuous backup keeps 1-35 days")
    BackupRuleSpec(name="r", schedule="cron(0 5 ? * * *)", continuous=True,
                   lifecycle={"delete_after_days": 35})


def test_windows_and_names_are_checked(bp):
    """Start window >= 60 min; rule and plan names unique; unknown fields rejected."""
    problems = _problems(bp.data([
        bp.plan(bp.rule(start_window_min=30), bp.rule()),
        bp.plan(name="plan", selection=[]),
    ]))
    assert any(p.startswith("backup_plans.0.rules.0.start_window_min: value 30") for p in problems)
    problems = _problems(bp.data([bp.plan(bp.rule(), bp.rule()), bp.plan()]))
    assert any(p.startswith("backup_plans.0.rules.1.name: 'daily' is used twice")
               for p in problems), problems
    problems = _problems(bp.data([bp.plan(), bp.plan()]))
    assert problems == ["backup_plans.1.name: 'plan' is used twice; names must be unique"]
    problems = _problems(bp.data([bp.plan(bp.rule(retention_days=3))]))
    assert problems[0].startswith("backup_plans.0.rules.0.retention_days: unknown field")
