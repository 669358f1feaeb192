"""Round trip on a moto server: apply two SecureCart designs, discover them, simulate.

What apply built must come back as the same designs: names (``hadrsim:design``), node
names (``hadrsim:node``), kinds, Regions, AZs, classes, replicas and promotion tiers.
moto does not report a Multi-AZ instance's ``SecondaryAvailabilityZone``; discover then
takes the Region's next AZ, which is also the simulator's default.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hadrsim
import hadrsim.experimental
from hadrsim.aws.discover import discover

pytest.importorskip("hadrsim.aws.apply", reason="apply is another engineer's module")
from hadrsim.aws.apply import apply_plan  # noqa: E402
from hadrsim.aws.plan import plan_design  # noqa: E402

SECURECART = Path(__file__).resolve().parents[2] / "experiments" / "securecart.yaml"
DESIGNS = ("multi-az-dr", "aurora")


def _shape(design) -> dict:
    """The fields a deployment shows, as comparable plain data."""
    fields = ("kind", "region", "instance_class", "primary_az", "standby_az", "writer_az",
              "storage_azs")
    shape = {f: getattr(design, f, None) for f in fields}
    shape["retention_days"] = design.backups.retention_days
    shape["replicas"] = [(r.name, r.region, r.az) for r in getattr(design, "replicas", [])]
    shape["readers"] = [(r.name, r.promotion_tier, r.az, r.instance_class)
                        for r in getattr(design, "readers", [])]
    return shape


def test_apply_then_discover_gives_the_designs_back(aws, tmp_path):
    """Applied designs are discovered with the same shape, and the study simulates."""
    study = hadrsim.load_study(SECURECART)
    for name in DESIGNS:
        report = apply_plan(plan_design(study, name), aws, allow_unimplemented=True)
        assert report.failed is None, report.failed
    found = discover(aws, ["us-east-1", "us-west-2"])
    path = tmp_path / "found.yaml"
    path.write_text(found.to_yaml())
    again = hadrsim.load_study(path)
    assert again.name == "securecart"  # from the hadrsim:study tag
    assert sorted(d.name for d in again.designs) == sorted(DESIGNS)
    for name in DESIGNS:
        assert _shape(again.design(name)) == _shape(study.design(name)), name
    results = hadrsim.experimental.run_study(again, runs=1, workers=1)
    assert len(results) == len(DESIGNS) * len(again.scenarios)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:1]
