"""Study builders for the AWS Backup plan tests (fixtures: conftest modules are not imported)."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest

from hadrsim.spec.loader import parse_study


def _study_data(plans: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "backups",
        "seed": 7,
        "designs": [{"name": "db", "kind": "rds_multi_az_instance"}],
        "scenarios": [{"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 60}]}],
        "backup_plans": copy.deepcopy(plans),
    }
    data.update(copy.deepcopy(overrides))
    return data


def _rule(**fields: Any) -> dict[str, Any]:
    return {"name": "daily", "schedule": "cron(0 5 ? * * *)", **fields}


def _plan(*rules: dict[str, Any], name: str = "plan", selection=("db",)) -> dict[str, Any]:
    return {"name": name, "selection": list(selection), "rules": list(rules or [_rule()])}


@pytest.fixture
def bp() -> SimpleNamespace:
    """``bp.rule(...)``, ``bp.plan(...)``, ``bp.data(plans)`` and ``bp.study(*plans)``."""
    return SimpleNamespace(
        rule=_rule,
        plan=_plan,
        data=_study_data,
        study=lambda *plans, **overrides: parse_study(_study_data(list(plans), **overrides)),
    )
