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
