"""The ``hadrsim`` commands on good input, and the bad options around a good file.

Exit status: 0 ok, 2 bad input with nothing written (see ``hadrsim/cli/``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hadrsim.cli import app

REPO = Path(__file__).resolve().parents[2]
SECURECART = REPO / "experiments" / "securecart.yaml"
SUMMARY_METRICS = (
    "rto_write_s",
    "rto_read_s",
    "rpo_s",
    "lost_writes",
    "availability_write",
    "availability_read",
    "commit_latency_p99_ms",
)
SUMMARY_FIELDS = ("mean", "p50", "p95", "p99", "ci95")


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_validate_securecart_is_ok():
    """The shipped SecureCart study validates: exit 0 and a one-line summary."""
    result = _invoke("validate", SECURECART)
    assert result.exit_code == 0, result.output
    assert re.search(r"ok \(\d+ designs, \d+ scenarios, \d+ runs each\)", result.stdout)


def test_schema_is_json_with_designs_and_scenarios():
    """``hadrsim schema`` prints a JSON Schema whose properties include the two lists."""
    result = _invoke("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert {"designs", "scenarios"} <= set(schema["properties"])
    assert {"designs", "scenarios"} <= set(schema["required"])


def test_run_writes_json_summary(tiny, tmp_path):
    """``hadrsim run --json`` (the real process) writes every design's summary statistics."""
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "hadrsim", "run", str(tiny), "--json", str(out), "--workers", "1"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(out.read_text())
    assert document["scenario"] == "tiny"
    assert document["seed"] == 11
    design = document["designs"][0]
    assert (design["name"], design["kind"]) == ("maz", "rds_multi_az_instance")
    assert (design["runs"], design["failed_runs"]) == (2, 0)
    assert "policy" in design
    # Per scenario only: RTO, RPO and lost writes are never pooled across scenarios.
    assert not {"rto_write_s", "rpo_s", "lost_writes"} & set(design["metrics"])
    for scenario in design["scenarios"].values():
        for metric in SUMMARY_METRICS:
            summary = scenario["metrics"][metric]
            assert set(SUMMARY_FIELDS) <= set(summary), metric
            assert len(summary["ci95"]) == 2, metric
            assert summary["ci_method"] in ("point", "bootstrap-bca", "bootstrap-percentile",
                                            "none"), metric
    assert all(v["ci_method"] in (None, "wilson", "wilson-runs", "cluster-bootstrap")
               for v in design["policy"].values())
    assert not list(tmp_path.glob("*.tmp")), "the temporary file of the atomic write remains"


def test_run_seed_option_is_recorded(tiny, tmp_path):
    """``--seed`` replaces the study's seed, and the document records the one used."""
    out = tmp_path / "results.json"
    result = _invoke("run", tiny, "--json", out, "--runs", "1", "--workers", "1", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["seed"] == 5


def test_run_unknown_design_exits_2_without_output(tiny, tmp_path):
    """``--design nosuch`` names the bad design and the existing ones; nothing is written."""
    out = tmp_path / "results.json"
    result = _invoke("run", tiny, "--design", "nosuch", "--json", out, "--workers", "1")
    assert result.exit_code == 2, result.output
    assert "'nosuch'" in result.stderr
    assert "maz" in result.stderr
    assert not out.exists()


def test_run_json_into_missing_directory_exits_2(tiny, tmp_path):
    """``--json`` into a directory that does not exist is refused before simulating."""
    out = tmp_path / "no-such-dir" / "results.json"
    result = _invoke("run", tiny, "--json", out, "--workers", "1")
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.stderr
    assert "no-such-dir" in result.stderr
    assert not out.parent.exists()


def test_run_json_onto_a_directory_exits_2(tiny, tmp_path):
    """``--json`` naming an existing directory is bad input (2), refused before simulating."""
    target = tmp_path / "results"
    target.mkdir()
    result = _invoke("run", tiny, "--json", target, "--runs", "1", "--workers", "1")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception


def test_run_zero_runs_option_exits_2(tiny):
    """``--runs 0`` is a usage error (status 2) from the option's own bound."""
    result = _invoke("run", tiny, "--runs", "0")
    assert result.exit_code == 2
    assert "--runs" in result.output


def test_validate_missing_file_exits_2(tmp_path):
    """A path that does not exist: status 2 and the reason, no traceback."""
    result = _invoke("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2, result.output
    assert "cannot read the file" in result.stderr
    assert "Traceback" not in result.output


def test_compare_without_policy_exits_2(tiny, tmp_path):
    """``hadrsim compare`` needs a policy: status 2 naming ``policy``, nothing written."""
    out = tmp_path / "results.json"
    result = _invoke("compare", tiny, "--json", out, "--workers", "1")
    assert result.exit_code == 2, result.output
    assert "policy" in result.stderr
    assert not out.exists()


def test_compare_with_policy_prints_verdict(tiny_with_policy):
    """With a policy, ``hadrsim compare`` runs and prints the comparison."""
    study = tiny_with_policy
    result = _invoke("compare", study, "--runs", "1", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "maz" in result.stdout
