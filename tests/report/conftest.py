"""Fixtures of the report tests: one tiny study with a loss, run once per session.

Two designs (Multi-AZ; Multi-AZ with a cross-Region replica promoted by a
script) meet an instance crash and a Region outage, two runs each: enough for
every figure to have something to draw (censored RTOs, a data-loss window,
a Pareto front of two points) in well under a second of simulation.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

import hadrsim
import hadrsim.experimental

REPORT_STUDY: dict[str, Any] = {
    "name": "report-tiny",
    "seed": 5,
    "runs": 2,
    "horizon_s": 600.0,
    "workload": {"observed_clients": 2, "client_regions": ["us-east-1", "us-west-2"]},
    "failover": {"mode": "automatic"},
    "designs": [
        {"name": "maz", "kind": "rds_multi_az_instance"},
        {"name": "dr", "kind": "rds_multi_az_instance", "replicas": [{"region": "us-west-2"}]},
    ],
    "scenarios": [
        {"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 120.0}]},
        {"name": "region", "horizon_s": 1200.0,
         "scheduled": [{"kind": "region_outage", "target": "primary_region", "at_s": 120.0,
                        "duration_s": 3000.0}]},
    ],
    "policy": {"Hardware": {"rto_s": 120, "rpo_s": 0}, "Region": {"rto_s": 900, "rpo_s": 300}},
}


@pytest.fixture(scope="session")
def report_study(make_study):
    return make_study(**REPORT_STUDY)


@pytest.fixture(scope="session")
def report_results(report_study):
    return hadrsim.experimental.run_study(report_study, runs=2)


@pytest.fixture(scope="session")
def report_document(report_study, report_results):
    return hadrsim.experimental.summarize_study(report_study, report_results)


def png_image(data: bytes) -> Image.Image:
    """Decode PNG bytes, failing the test unless they are a real, non-blank PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    assert image.width >= 300 and image.height >= 150, image.size
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 20, "a (nearly) blank image"
    return image


@pytest.fixture(scope="session")
def check_png():
    """``check_png(data) -> PIL image``: asserts a valid, non-blank PNG (see png_image)."""
    return png_image
