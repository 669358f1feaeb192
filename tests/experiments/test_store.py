"""The results store: committed per run, resumable, never duplicating, versioned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.experiments.montecarlo import execute, plan_runs
from hadrsim.experiments.run import run_once
from hadrsim.experiments.store import ResultsStore, StoreError

STUDY = {
    "name": "store-test", "seed": 3, "runs": 40, "horizon_s": 400.0,
    "workload": {"observed_clients": 2},
    "designs": [{"name": "maz", "kind": "rds_multi_az_instance"}],
    "scenarios": [{"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 60.0}]}],
}


def test_round_trip_to_a_dataframe(make_study, tmp_path):
    """Stored runs come back as tidy rows with their metrics, and as RunResults."""
    study = make_study(runs=3)
    store = ResultsStore(f"sqlite:///{tmp_path / 'r.db'}")
    sid = store.study_id(study.name, study.seed, study.model_dump_json())
    results = execute(study, plan_runs(study))
    assert all(store.add(sid, r) for r in results)
    assert not store.add(sid, results[0])  # stored once
    frame = store.frame()
    assert len(frame) == 3 and set(frame["run_index"]) == {0, 1, 2}
    assert frame["rto_write_s"].tolist() == pytest.approx([r.metrics["rto_write_s"]
                                                           for r in results])
    back = store.results(sid)
    assert [r.episodes for r in back] == [r.episodes for r in results]


def test_another_schema_version_is_refused(tmp_path):
    """A store written by another schema version gives a clear error, not a misread."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = ResultsStore(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE hadrsim_schema SET version = 99"))
    with pytest.raises(StoreError, match="schema version"):
        ResultsStore(url)


def test_a_sigkill_mid_run_loses_no_finished_run_and_resume_duplicates_none(tmp_path):
    """Kill -9 a running study, then resume: every run stored exactly once."""
    study_file = tmp_path / "s.yaml"
    study_file.write_text(yaml.safe_dump(STUDY))
    db = tmp_path / "r.db"
    url = f"sqlite:///{db}"
    command = [sys.executable, "-m", "hadrsim", "run", str(study_file), "--workers", "1",
               "--store", url]
    proc = subprocess.Popen(command + ["--resume"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    stored = 0
    while time.time() < deadline:
        time.sleep(0.3)
        if db.exists():
            try:
                stored = len(ResultsStore(url).frame())
            except Exception:  # noqa: BLE001 - the file may be mid-creation
                continue
            if stored >= 5:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = len(ResultsStore(url).frame())
    assert 5 <= killed_at < 40
    subprocess.run(command + ["--resume"], check=True, stdout=subprocess.DEVNULL)
    frame = ResultsStore(url).frame()
    assert len(frame) == 40
    assert not frame.duplicated(["design", "scenario", "run_index"]).any()
    assert frame["rto_write_s"].notna().all()


def test_bad_store_url_exits_2(tmp_path):
    """An unusable URL is bad input: exit 2, nothing run."""
    study_file = Path(__file__).resolve().parents[2] / "experiments" / "securecart.yaml"
    result = CliRunner().invoke(app, ["run", str(study_file), "--store", "nosuchdb://x"])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["run", str(study_file), "--resume"])
    assert result.exit_code == 2 and "--resume needs --store" in result.output


def test_postgresql_store(make_study):
    """The store works on a real PostgreSQL (started by .ci/run; required under CI=true)."""
    url = os.environ.get("HADRSIM_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must test the PostgreSQL store: HADRSIM_PG_URL is not set")
        pytest.skip("no PostgreSQL here: set HADRSIM_PG_URL (\\.ci/run starts one)")
    schema = f"hadrsim_test_{time.time_ns()}"  # a store of its own: reruns start empty
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in url else "?"
        store = ResultsStore(f"{url}{sep}options=-csearch_path%3D{schema}")
        study = make_study(runs=2)
        sid = store.study_id(study.name, study.seed, study.model_dump_json())
        results = execute(study, plan_runs(study))
        assert all(store.add(sid, r) for r in results)
        assert not store.add(sid, results[0])
        back = store.results(sid)
        assert [r.history_hash for r in back] == [r.history_hash for r in results]
        assert back[0].control == results[0].control
        store.engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_designs_and_event_logs_are_stored_and_read_back(tmp_path, make_study):
    """The schema keeps each study's designs and each run's control-plane event log."""
    study = make_study()
    store = ResultsStore(f"sqlite:///{tmp_path / 'r.db'}")
    study_id = store.study_id(study.name, study.seed, study.model_dump_json())
    result = run_once(study, "maz", "crash", 0)
    assert any(e[1] == "promotion_completed" for e in result.control)
    store.add(study_id, result)
    (back,) = store.results(study_id)
    assert back.control == result.control
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, kind FROM designs")).all()
    assert [tuple(r) for r in rows] == [("maz", "rds_multi_az_instance")]
