"""Booleans are not numbers in the design, alarm and backup-plan fields (issue 12).

YAML reads ``true`` as a boolean and pydantic's lax mode used to turn it into 1:
``lag_regime_s: true`` meant one second, ``promotion_tier: true`` tier 1. Each case
sets one representative number field of a module to ``true`` and expects the study to
be refused with the field's path; the same field given a plain int still loads.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hadrsim.spec.loader import SpecError, load_study, parse_study

BASE: dict[str, Any] = {
    "name": "strict",
    "designs": [
        {"name": "pilot", "kind": "rds_multi_az_instance",
         "replicas": [{"region": "us-west-2"}], "route53": {}},
        {"name": "cluster", "kind": "rds_multi_az_cluster"},
        {"name": "warm", "kind": "aurora_global", "readers": [{"promotion_tier": 0}],
         "secondaries": [{"region": "us-west-2"}]},
        {"name": "multi", "kind": "dynamodb_global_table",
         "regions": ["us-east-1", "us-west-2"]},
    ],
    "scenarios": [{"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 60}]}],
    "alarms": [{"name": "errors", "metric": "write_error_rate", "threshold": 0.5}],
    "backup_plans": [{"name": "plan", "selection": ["pilot"],
                      "rules": [{"name": "daily", "schedule": "cron(0 5 ? * * *)",
                                 "copy_to": [{"region": "us-west-2"}]}]}],
}

# (path to the field, a plain int the field accepts); one or more per module
CASES = [
    ("designs.0.replicas.0.lag_regime_s", 20),                 # rds_spec: float
    ("designs.0.detection.failure_threshold", 2),              # rds_spec: int
    ("designs.0.backups.retention_days", 1),                   # rds_spec: int, ge=0
    ("designs.0.backups.manual_snapshot_every_s", 3600),       # rds_spec: float | None
    ("designs.1.commit_quorum", 1),                            # rds_spec: int, le=2
    ("designs.2.readers.0.promotion_tier", 2),                 # aurora_spec: int
    ("designs.2.write_quorum", 4),                             # aurora_spec: int
    ("designs.2.secondaries.0.lag_regime_s", 5),               # aurora_spec: float
    ("designs.2.rpo_limit_s", 60),                             # aurora_spec: float | None
    ("designs.3.table_gb", 1),                                 # dynamodb_spec: float
    ("designs.3.pitr_retention_days", 1),                      # dynamodb_spec: int
    ("designs.0.route53.request_interval_s", 10),              # route53_spec: 10 or 30
    ("designs.0.route53.failure_threshold", 1),                # route53_spec: int
    ("alarms.0.threshold", 1),                                 # monitoring: float
    ("alarms.0.evaluation_periods", 2),                        # monitoring: int
    ("alarms.0.datapoints_to_alarm", 1),                       # monitoring: int | None
    ("backup_plans.0.rules.0.start_window_min", 60),           # backup_plans: int
    ("backup_plans.0.rules.0.failure_probability", 1),         # backup_plans: float, le=1
    ("backup_plans.0.rules.0.copy_to.0.delete_after_days", 1),  # backup_plans: int | None
]


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[last] = value
    return data


def _field(study, path: str) -> Any:
    node: Any = study
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else getattr(node, part)
    return node


@pytest.mark.parametrize(("path", "number"), CASES, ids=[c[0] for c in CASES])
def test_true_is_refused_with_the_field_path(path, number):
    with pytest.raises(SpecError) as caught:
        parse_study(_with(path, True))
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: value True: "), problems
    assert "boolean is not a number" in problems[0]


@pytest.mark.parametrize(("path", "number"), CASES, ids=[c[0] for c in CASES])
def test_a_plain_int_is_still_accepted(path, number):
    assert _field(parse_study(_with(path, number)), path) == number


def test_false_is_refused_too():
    """``false`` is not 0 either (``retention_days: false`` must not switch backups off)."""
    with pytest.raises(SpecError) as caught:
        parse_study(_with("designs.0.backups.retention_days", False))
    assert caught.value.problems[0].startswith("designs.0.backups.retention_days: value False")


def test_yaml_true_in_a_study_file(tmp_path):
    """The same through the YAML loader: ``promotion_tier: yes`` is a boolean in YAML 1.1."""
    path = tmp_path / "study.yaml"
    path.write_text(
        "name: strict\n"
        "designs:\n"
        "  - {name: c, kind: aurora, readers: [{promotion_tier: yes}]}\n"
        "scenarios:\n"
        "  - {name: crash, scheduled: [{kind: instance_crash, at_s: 60}]}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_study(path)
    assert caught.value.problems[0].startswith("designs.0.readers.0.promotion_tier: value True")


def test_backup_audit_settings_refuse_booleans():
    """The backup audit's settings (built by the CLI, not the study) refuse them too."""
    from pydantic import ValidationError

    from hadrsim.spec.backup_plans import BackupAuditSettings

    with pytest.raises(ValidationError, match="boolean is not a number"):
        BackupAuditSettings(horizon_days=True)
    assert BackupAuditSettings(horizon_days=20).horizon_days == 20
