"""Compliance controls over backup plans, and the ``hadrsim backup-audit`` command."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from hadrsim.backup_plans import (
    CONTINUOUS_BACKUP,
    CONTROLS,
    CROSS_REGION_COPY,
    MIN_FREQUENCY_AND_RETENTION,
    POINT_MIN_RETENTION,
    PROTECTED_BY_PLAN,
    audit,
)
from hadrsim.cli import app

KEEP_35 = {"delete_after_days": 35}
COPY_WEST = {"region": "us-west-2", "delete_after_days": 35}


def _by_control(results, resource):
    return {r.control: r for r in results if r.resource == resource}


def _compliant(bp):
    return bp.plan(
        bp.rule(lifecycle=KEEP_35, copy_to=[COPY_WEST]),
        bp.rule(name="pitr", continuous=True, lifecycle=KEEP_35),
        name="gold",
    )


def test_a_compliant_plan_passes_every_control(bp):
    """Daily, 35 d, cross-Region copy and continuous backup: every control passes."""
    results = audit(bp.study(_compliant(bp)))
    assert {r.control for r in results} == set(CONTROLS)
    assert all(r.passed for r in results), [r for r in results if not r.passed]


def test_missing_cross_region_copy_fails_naming_the_plan(bp):
    """A plan without a cross-Region copy fails that control; the reason names the plan."""
    results = _by_control(audit(bp.study(bp.plan(bp.rule(lifecycle=KEEP_35), name="local"))),
                          "db")
    result = results[CROSS_REGION_COPY]
    assert not result.passed
    assert "'local'" in result.reason and "us-east-1" in result.reason


def test_copy_to_another_account_in_the_same_region_is_not_cross_region(bp):
    """A copy to another account in the home Region does not protect against Region loss."""
    same_region = {"region": "us-east-1", "account": "111122223333"}
    results = _by_control(audit(bp.study(bp.plan(bp.rule(copy_to=[same_region])))), "db")
    assert not results[CROSS_REGION_COPY].passed


def test_daily_plan_with_7_day_retention_fails_min_retention(bp):
    """Daily with 7-day retention fails the 35-day minimum (plan and recovery-point controls)."""
    results = audit(bp.study(bp.plan(bp.rule(lifecycle={"delete_after_days": 7}), name="week")))
    plan_result = _by_control(results, "week")[MIN_FREQUENCY_AND_RETENTION]
    assert not plan_result.passed
    assert "rule 'daily' every 24 h, keeps 7 d" in plan_result.reason
    point_result = _by_control(results, "db")[POINT_MIN_RETENTION]
    assert not point_result.passed and "kept 7 d < 35 d" in point_result.reason


def test_weekly_plan_fails_min_frequency(bp):
    """A weekly rule is less frequent than daily, whatever it keeps."""
    weekly = bp.rule(schedule="cron(0 5 ? * SUN *)", lifecycle=KEEP_35)
    result = _by_control(audit(bp.study(bp.plan(weekly))), "plan")[MIN_FREQUENCY_AND_RETENTION]
    assert not result.passed and "every 168 h" in result.reason


def test_short_copy_retention_fails_recovery_point_retention(bp):
    """Recovery-point retention covers copies too."""
    rule = bp.rule(lifecycle=KEEP_35, copy_to=[{"region": "us-west-2", "delete_after_days": 3}])
    result = _by_control(audit(bp.study(bp.plan(rule))), "db")[POINT_MIN_RETENTION]
    assert not result.passed and "copy to us-west-2 kept 3 d" in result.reason


def test_continuous_backup_passes_pitr(bp):
    """A continuous rule passes the PITR control; a snapshot-only plan fails it."""
    pitr = bp.rule(continuous=True, lifecycle=KEEP_35)
    assert _by_control(audit(bp.study(bp.plan(pitr))), "db")[CONTINUOUS_BACKUP].passed
    failed = _by_control(audit(bp.study(bp.plan())), "db")[CONTINUOUS_BACKUP]
    assert not failed.passed and "no continuous rule" in failed.reason


def test_unselected_design_is_not_protected(bp):
    """A design no plan selects fails the protected-by-plan control."""
    study = bp.study(_compliant(bp), designs=[
        {"name": "db", "kind": "rds_multi_az_instance"}, {"name": "other", "kind": "aurora"}])
    result = _by_control(audit(study), "other")[PROTECTED_BY_PLAN]
    assert not result.passed and result.reason == "no backup plan selects it"


def _write(tmp_path, data) -> str:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_cli_exit_0_when_all_pass_and_json_written(bp, tmp_path):
    """backup-audit: 0 when every control passes; prints the table and RPO; writes JSON."""
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(app, ["backup-audit", _write(tmp_path, bp.data([_compliant(bp)])),
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.stdout and "FAIL" not in result.stdout
    assert "Region loss" in result.stdout
    document = json.loads(out.read_text())
    assert document["passed"] is True
    assert {r["scenario"] for r in document["rpo"]} == {"corruption", "region_loss"}


def test_cli_exit_1_when_a_control_fails(bp, tmp_path):
    """backup-audit: 1 when a control fails; infinite RPO becomes null in JSON."""
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(app, ["backup-audit", _write(tmp_path, bp.data([bp.plan()])),
                                      "--json", str(out)])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stdout and "no restorable point" in result.stdout
    region = [r for r in json.loads(out.read_text())["rpo"] if r["scenario"] == "region_loss"]
    assert region[0]["worst_s"] is None


def test_cli_exit_2_for_a_bad_file(bp, tmp_path):
    """backup-audit: 2 and the field path for an invalid plan."""
    data = bp.data([bp.plan(bp.rule(schedule="cron(0 5 * * * *)"))])
    result = CliRunner().invoke(app, ["backup-audit", _write(tmp_path, data)])
    assert result.exit_code == 2
    assert "backup_plans.0.rules.0.schedule" in result.stderr
