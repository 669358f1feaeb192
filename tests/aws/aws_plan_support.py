"""Shared by the plan/apply/destroy/CLI tests: study files, an extended study, moto's gaps.

Not a conftest (those are not importable); imported by name from ``tests/aws``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from hadrsim.spec.loader import load_study, parse_study

ROOT = Path(__file__).resolve().parents[2]
STUDY_FILES = {name: ROOT / "experiments" / f"{name}.yaml"
               for name in ("securecart", "aurora-global-year", "dr-tiers")}

# What moto 5.2.1 cannot do, with the reason: passed as apply/destroy ``skip``.
MOTO_SKIP = {
    "start_db_instance_automated_backups_replication":
        "moto 5.2 has no automated backup replication (HTTP 500 'not implemented')",
    "create_backup_selection": "moto 5.2 has no backup selections (HTTP 500 'not implemented')",
    "wait:replication_task_ready": "moto never moves a DMS task out of 'creating'",
}

DMS_OPTIONS = {
    "dms_source_url": "postgresql://legacy.example.com:5432/shop",
    "dms_source_secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:legacy-AbCdEf",
    "dms_target_secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:target-AbCdEf",
    "dms_role": "arn:aws:iam::123456789012:role/dms-secrets",
}


def study(name: str):
    return load_study(STUDY_FILES[name])


def extended_data() -> dict:
    """SecureCart plus alarms, an AWS Backup plan with a cross-Region copy, Route 53."""
    data = yaml.safe_load(STUDY_FILES["securecart"].read_text())
    data = copy.deepcopy(data)
    data["alarms"] = [
        {"name": "lag", "metric": "replica_lag_s", "threshold": 30, "period_s": 60,
         "evaluation_periods": 3, "datapoints_to_alarm": 2},
        {"name": "slow-commits", "metric": "commit_latency_p99_ms", "threshold": 50,
         "period_s": 90},
        {"name": "write-errors", "metric": "write_error_rate", "threshold": 0.05,
         "period_s": 30, "treat_missing_data": "notBreaching"},
    ]
    data["backup_plans"] = [{
        "name": "gold", "selection": ["multi-az-dr", "aurora-global", "dynamodb-global"],
        "rules": [{"name": "daily", "schedule": "cron(0 5 ? * * *)",
                   "lifecycle": {"delete_after_days": 35},
                   "copy_to": [{"region": "us-west-2", "delete_after_days": 35}]}],
    }]
    for design in data["designs"]:
        if design["name"] == "multi-az-dr":
            design["route53"] = {"request_interval_s": 10, "failure_threshold": 2, "ttl_s": 30}
            design["backups"] = {"retention_days": 14,
                                 "window_start_s": 3 * 3600 + 30 * 60}
    return data


def extended_study():
    return parse_study(extended_data(), "extended-securecart")
