"""Shared fixtures: small studies built from dicts, fast enough for many seeds."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hadrsim.spec.loader import parse_study

BASE: dict[str, Any] = {
    "name": "t",
    "seed": 7,
    "runs": 1,
    "horizon_s": 600.0,
    "workload": {"observed_clients": 2, "client_regions": ["us-east-1"]},
    "designs": [{"name": "maz", "kind": "rds_multi_az_instance"}],
    "scenarios": [
        {"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 120.0}]}
    ],
}


def _merge(base: dict, overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@pytest.fixture(scope="session")
def make_study():
    """``make_study(designs=[...], scenarios=[...], ...)``: a validated small Study."""

    def build(**overrides: Any):
        return parse_study(_merge(BASE, overrides), "<test>")

    return build


TINY_LONGRUN = {
    "name": "tiny-longrun", "seed": 5,
    "workload": {"observed_clients": 2, "idle_interval_s": 600},
    "designs": [{"name": "single", "kind": "rds_single_az"},
                {"name": "maz", "kind": "rds_multi_az_instance"}],
    "scenarios": [{"name": "faults", "stochastic": [
        {"kind": "az_outage", "target": "primary_az", "mttf_h": 200, "mttr_h": 0.5},
        {"kind": "instance_crash", "target": "standby", "mttf_h": 300, "mttr_h": 0.2},
    ]}],
    "longrun": {"years": 1, "runs": 40,
                "library": {"min_episodes": 4, "max_episodes": 8, "max_compound": 4},
                "downtime_cost_usd_per_min": 100, "lost_write_cost_usd": 1},
}


@pytest.fixture
def longrun_study_file(tmp_path):
    """A two-design study with two cheap fault classes, for `hadrsim longrun` (~5 s)."""
    import yaml

    path = tmp_path / "longrun-study.yaml"
    path.write_text(yaml.safe_dump(TINY_LONGRUN))
    return path
