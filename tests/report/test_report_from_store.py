"""A report from a results store draws its timelines from the stored records: a store
written by another process is reported without calling the simulator once."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.experiments.results import open_results
from hadrsim.report import render_report

STUDY = """\
name: from-store
seed: 11
runs: 2
horizon_s: 300
designs:
  - {name: maz, kind: rds_multi_az_instance}
  - {name: single, kind: rds_single_az}
scenarios:
  - name: crash
    scheduled: [{kind: instance_crash, target: primary, at_s: 60}]
policy:
  Hardware: {rto_s: 120, rpo_s: 0}
"""


@pytest.fixture
def no_simulator(monkeypatch):
    """Every way into the simulator fails the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the report simulated a stored run")

    for target in ("hadrsim.experiments.run.simulate", "hadrsim.experiments.run.run_once",
                   "hadrsim.experiments.montecarlo.run_once"):
        monkeypatch.setattr(target, forbidden)


@pytest.fixture
def store_url(tmp_path) -> str:
    """A store written by ``hadrsim run`` in another process."""
    study = tmp_path / "study.yaml"
    study.write_text(STUDY)
    url = f"sqlite:///{tmp_path / 'results.db'}"
    subprocess.run([sys.executable, "-m", "hadrsim", "run", str(study), "--workers", "1",
                    "--store", url], check=True, capture_output=True, timeout=300)
    return url


def test_report_command_from_a_store_never_simulates(store_url, tmp_path, no_simulator):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", store_url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.count('id="timeline-') == 2  # one episode per design, from the records
    assert "differ from the measured run" not in html


def test_render_report_of_opened_results(store_url, no_simulator):
    """render_report(open_results(url)): the study, runs and records come with it."""
    results = open_results(store_url)
    try:
        html = render_report(results)
    finally:
        results.close()
    assert html.count('id="timeline-') == 2
