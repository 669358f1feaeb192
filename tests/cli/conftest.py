"""A tiny study file shared by the CLI tests (2 runs of a Multi-AZ crash, 300 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = """\
name: tiny
seed: 11
runs: 2
horizon_s: 300
designs:
  - {name: maz, kind: rds_multi_az_instance}
scenarios:
  - name: crash
    scheduled: [{kind: instance_crash, target: primary, at_s: 60}]
"""
POLICY = "policy:\n  Hardware: {rto_s: 120, rpo_s: 0}\n"


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture
def tiny_with_policy(tmp_path) -> Path:
    path = tmp_path / "tiny-policy.yaml"
    path.write_text(TINY + POLICY)
    return path


@pytest.fixture
def tiny_meeting_policy(tmp_path) -> Path:
    """The tiny study with a Hardware RTO its ~90-s Multi-AZ failover always meets."""
    path = tmp_path / "tiny-meets.yaml"
    path.write_text(TINY + "policy:\n  Hardware: {rto_s: 200, rpo_s: 0}\n")
    return path
