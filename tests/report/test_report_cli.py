"""``hadrsim report``: from a study file or a results store; bad input exits 2, writes nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hadrsim.cli import app

TINY = """\
name: {name}
seed: 11
runs: 3
horizon_s: 300
designs:
  - {{name: maz, kind: rds_multi_az_instance}}
  - {{name: single, kind: rds_single_az}}
scenarios:
  - name: crash
    scheduled: [{{kind: instance_crash, target: primary, at_s: 60}}]
policy:
  Hardware: {{rto_s: 120, rpo_s: 0}}
"""


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def _study_file(directory: Path, name: str = "tiny") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(TINY.format(name=name))
    return path


def _store(directory: Path, *names: str) -> str:
    """A results store holding a 2-run study per name, written by ``hadrsim run --store``."""
    url = f"sqlite:///{directory / 'results.db'}"
    for name in names:
        result = _invoke("run", _study_file(directory, name), "--store", url, "--runs", "2",
                         "--workers", "1")
        assert result.exit_code == 0, result.output
    return url


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("store")
    _store(directory, "tiny", "other")
    return directory


def test_study_file_to_report(tmp_path):
    """The real process: a study file is run and its report written, with a one-line note."""
    out = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "hadrsim", "report", str(_study_file(tmp_path)), "-o", str(out),
         "--runs", "2", "--workers", "1"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="ascii")
    assert text.startswith("<!DOCTYPE html>") and "hadrsim report: tiny" in text
    assert f"report written to {out} (4 runs" in proc.stdout.replace("\n", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "tiny.yaml"]


def test_store_report_equals_the_study_file_report(store_dir, tmp_path):
    """Reading the stored runs gives the very bytes of a report that runs them afresh."""
    url = f"sqlite:///{store_dir / 'results.db'}"
    from_store, from_file = tmp_path / "store.html", tmp_path / "file.html"
    result = _invoke("report", url, "--study", "tiny", "-o", from_store)
    assert result.exit_code == 0, result.output
    result = _invoke("report", _study_file(tmp_path), "-o", from_file, "--runs", "2",
                     "--workers", "1")
    assert result.exit_code == 0, result.output
    assert from_store.read_bytes() == from_file.read_bytes()


def test_store_runs_option_keeps_the_first_indices(store_dir, tmp_path):
    """--runs N on a store reports run indices below N only."""
    url = f"sqlite:///{store_dir / 'results.db'}"
    out = tmp_path / "one.html"
    result = _invoke("report", url, "--study", "other", "--runs", "1", "-o", out)
    assert result.exit_code == 0, result.output
    assert "(4 runs" not in result.stdout and "(2 runs" in result.stdout
    assert "<dt>runs per scenario</dt><dd>1</dd>" in out.read_text()


def _bad(tmp_path: Path, store_dir: Path, case: str) -> tuple[list[object], Path | None]:
    """Arguments for one bad-input case, and a file that must stay as it was (or absent)."""
    out = tmp_path / "report.html"
    store = f"sqlite:///{store_dir / 'results.db'}"
    if case == "missing-sqlite":
        return ["report", f"sqlite:///{tmp_path / 'nope.db'}", "-o", out], tmp_path / "nope.db"
    if case == "not-a-store":
        db = tmp_path / "other.db"
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
        return ["report", f"sqlite:///{db}", "-o", out], db
    if case == "unknown-dialect":
        return ["report", "nosuchdb://host/x", "-o", out], None
    if case == "several-studies":
        return ["report", store, "-o", out], store_dir / "results.db"
    if case == "unknown-study":
        return ["report", store, "--study", "nosuch", "-o", out], store_dir / "results.db"
    if case == "unknown-seed":
        return ["report", store, "--study", "tiny", "--seed", "99", "-o", out], None
    if case == "missing-file":
        return ["report", tmp_path / "nope.yaml", "-o", out], None
    if case == "invalid-yaml":
        bad = tmp_path / "bad.yaml"
        bad.write_text("name: [unclosed\n")
        return ["report", bad, "-o", out], bad
    if case == "output-dir-missing":
        return ["report", _study_file(tmp_path), "-o", tmp_path / "no" / "r.html"], None
    if case == "output-is-a-dir":
        return ["report", _study_file(tmp_path), "-o", tmp_path], None
    if case == "bad-prices":
        prices = tmp_path / "prices.yaml"
        prices.write_text("no_such_price: 1\n")
        return ["report", _study_file(tmp_path), "-o", out, "--prices", prices], prices
    if case == "study-name-with-a-file":
        return ["report", _study_file(tmp_path), "--study", "other", "-o", out], None
    raise AssertionError(case)


BAD_CASES = ["missing-sqlite", "not-a-store", "unknown-dialect", "several-studies",
             "unknown-study", "unknown-seed", "missing-file", "invalid-yaml",
             "output-dir-missing", "output-is-a-dir", "bad-prices", "study-name-with-a-file"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_2_and_writes_nothing(case, tmp_path, store_dir):
    """Each mistake: exit 2, an 'error:' line naming the problem, no report, no file touched."""
    args, kept = _bad(tmp_path, store_dir, case)
    before = kept.read_bytes() if kept is not None and kept.exists() else None
    listing = sorted(p.name for p in tmp_path.rglob("*"))
    result = _invoke(*args)
    assert result.exit_code == 2, (case, result.output)
    assert result.stderr.startswith("error: "), result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == listing  # nothing written here
    if kept is not None:
        assert (kept.read_bytes() if kept.exists() else None) == before


def test_several_studies_message_names_them(store_dir, tmp_path):
    """A store of two studies without --study lists both and says how to choose."""
    result = _invoke("report", f"sqlite:///{store_dir / 'results.db'}", "-o",
                     tmp_path / "r.html")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "tiny (seed 11)" in message and "other (seed 11)" in message
    assert "--study NAME" in message
    assert len(result.stderr.strip().splitlines()) <= 2  # one line (rich may wrap it once)
