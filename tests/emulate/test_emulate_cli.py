"""``hadrsim emulate``: refuses what it cannot emulate before any server starts (exit 2),
and on a real design prints the side-by-side table and writes the JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hadrsim.cli import app

REPO = Path(__file__).resolve().parents[2]
SECURECART = REPO / "experiments" / "securecart.yaml"


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(("design", "scenario", "says"), [
    ("aurora", "instance-crash", "not emulated: aurora"),
    ("dynamodb-global", "instance-crash", "not emulated: dynamodb_global_table"),
    ("multi-az", "logical-corruption", "not emulated: logical_corruption"),
    ("nope", "instance-crash", "nope"),
    ("multi-az", "nope", "nope"),
])
def test_what_cannot_be_emulated_exits_2_at_once(tmp_path, design, scenario, says):
    """An unknown or unsupported design, scenario or fault: exit 2, the reason named, no
    JSON written, in well under a second of work (no server is started)."""
    out = tmp_path / "out.json"
    started = time.perf_counter()
    result = _invoke("emulate", SECURECART, "--design", design, "--scenario", scenario,
                     "--json", out)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert not out.exists()
    assert time.perf_counter() - started < 5.0


def test_a_multi_az_crash_from_the_command_line(tmp_path, pg_binaries, monkeypatch):
    """The README's command on a shortened SecureCart: a table with both sides, the JSON
    marked as an emulation with the time scale and PostgreSQL's version."""
    study = tmp_path / "short.yaml"
    text = SECURECART.read_text().replace("horizon_s: 1800", "horizon_s: 600")
    study.write_text(text.replace("at_s: 300}]", "at_s: 200}]"))
    out, db = tmp_path / "emulated.json", tmp_path / "results.db"
    result = _invoke("emulate", study, "--design", "multi-az", "--scenario", "instance-crash",
                     "--time-scale", "30", "--sim-runs", "5", "--json", out, "--store", db)
    assert result.exit_code == 0, result.output
    assert "emulation mean" in result.output and "rto_write_s" in result.output
    document = json.loads(out.read_text())
    assert document["source"] == "emulation" and document["time_scale"] == 30.0
    assert document["postgresql"]["version"] == pg_binaries.version
    assert document["emulation"]["runs"] == 1 and document["simulation"]["runs"] == 5
    assert document["not_applicable"] == {}
    metrics = document["runs"][0]["metrics"]
    assert metrics["lost_writes"] == 0.0 and metrics["episodes"] == 1.0
    _stored_apart(db, document)


def _stored_apart(db: Path, document: dict) -> None:
    """``--store``: the emulated run and the simulated ones, each marked with its source,
    under the scaled study (never with ``hadrsim run``'s runs), with their records."""
    from hadrsim.experiments.store import ResultsStore

    store = ResultsStore(f"sqlite:///{db}", readonly=True)
    frame = store.frame()
    assert sorted(frame["source"]) == ["emulation"] + ["simulation"] * 5
    emulated = frame[frame["source"] == "emulation"].iloc[0]
    assert emulated["lost_writes"] == document["runs"][0]["metrics"]["lost_writes"]
    assert emulated["time_scale"] == 30.0
    params = {"source": "emulation", "time_scale": 30.0,
              "postgresql": document["postgresql"]["version"]}
    assert store.records(int(emulated["study_id"]), "multi-az", "instance-crash", 0,
                         params) is not None
    listed = _invoke("results", "list", f"sqlite:///{db}")
    assert listed.exit_code == 0 and "emulation" in listed.output


def _under(run_dir: Path) -> list[int]:
    """Live processes working in a directory under ``run_dir`` (every server process)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{name}/cwd")
            state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if cwd.startswith(str(run_dir) + os.sep) and state not in ("Z", "X"):
            found.append(int(name))
    return found


def test_a_killed_emulate_command_leaves_no_server_behind(tmp_path, pg_binaries):
    """SIGKILL of ``hadrsim emulate`` mid-run: within 10 s no PostgreSQL process of its
    run is left (each postmaster dies with its parent; its backends follow)."""
    from hadrsim.emulate.sandbox import default_base

    study = tmp_path / "short.yaml"
    study.write_text(SECURECART.read_text().replace("horizon_s: 1800", "horizon_s: 1200"))
    env = {**os.environ, "HADRSIM_PG_BINDIR": str(pg_binaries.bindir)}
    child = subprocess.Popen(
        [sys.executable, "-m", "hadrsim", "emulate", str(study), "--design", "multi-az",
         "--scenario", "instance-crash", "--sim-runs", "1"], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        run_dir = None
        while time.monotonic() < deadline and not (run_dir and len(_under(run_dir)) >= 4):
            time.sleep(0.2)
            run_dir = next(iter(default_base().glob(f"run-{child.pid}-*")), None)
        assert run_dir is not None and _under(run_dir), "the servers did not start"
    finally:
        child.kill()
        child.wait()
    deadline = time.monotonic() + 10
    while _under(run_dir):
        assert time.monotonic() < deadline, f"left behind: {_under(run_dir)}"
        time.sleep(0.1)
