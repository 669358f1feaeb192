"""The library-first API: Experiment runs and decides, Results answers, open_results reads."""

from __future__ import annotations

import math

import pytest

from hadrsim.experiments.experiment import Experiment
from hadrsim.experiments.record_store import decode_records
from hadrsim.experiments.results import open_results
from hadrsim.experiments.run import run_once
from hadrsim.experiments.store import StoreError
from hadrsim.simulator.checkers import run_metrics

TINY = {  # tests/cli/conftest.py's tiny study, with its always-met policy
    "name": "tiny", "seed": 11, "runs": 2, "horizon_s": 300.0,
    "designs": [{"name": "maz", "kind": "rds_multi_az_instance"}],
    "scenarios": [{"name": "crash", "scheduled": [
        {"kind": "instance_crash", "target": "primary", "at_s": 60.0}]}],
    "policy": {"Hardware": {"rto_s": 200, "rpo_s": 0}},
}


@pytest.fixture
def tiny(make_study):
    return make_study(**TINY)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_a_recorded_run_is_the_run_once_run(tiny):
    """Keeping the records changes nothing a run measures."""
    plain = run_once(tiny, "maz", "crash", 1)
    recorded = run_once(tiny, "maz", "crash", 1, keep_records=True)
    assert plain.records is None
    assert recorded.history_hash == plain.history_hash
    assert recorded.control == plain.control and recorded.episodes == plain.episodes
    assert all(_same(recorded.metrics[k], v) for k, v in plain.metrics.items())
    assert decode_records(recorded.records).history_hash() == plain.history_hash


def test_stored_records_recompute_the_stored_metrics(tiny, tmp_path):
    """Records read back from the store give the stored metrics and history hash."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    Experiment(tiny, url).run(workers=1)
    stored = open_results(url)
    for r in stored.results:
        recorder = stored.recorder(r.design, r.scenario, r.run_index)
        metrics, episodes = run_metrics(recorder)
        assert recorder.history_hash() == r.history_hash
        assert all(_same(metrics[k], r.metrics[k]) for k in metrics)
        assert [e["rto_write_s"] for e in episodes] == [e["rto_write_s"] for e in r.episodes]
    stored.close()


def test_results_are_tidy_tables(tiny):
    """runs: one row per run; episodes: one per episode; metrics: one per (run, metric)."""
    res = Experiment(tiny).run(workers=1)
    assert list(res.runs["run_index"]) == [0, 1] and res.runs["ok"].all()
    assert len(res.episodes) == 2 and {"design", "run_index", "rto_write_s"} <= set(
        res.episodes.columns)
    wide = res.metrics.pivot_table(index="run_index", columns="metric", values="value")
    assert list(wide.index) == [0, 1] and "availability_write" in wide.columns
    frames = res.records("maz", "crash", 0)  # kept in memory: no store
    assert {"ops", "commits", "faults", "control", "replicas", "final"} <= set(frames)
    assert len(frames["ops"]) > 0 and len(frames["final"]) == 1


def test_records_are_read_back_not_simulated(tiny, tmp_path, monkeypatch):
    """With a store, records() reads the store: the simulator is never called."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    res = Experiment(tiny, url).run(workers=1)

    def forbidden(*args, **kwargs):
        raise AssertionError("simulated again")

    monkeypatch.setattr("hadrsim.experiments.run.simulate", forbidden)
    assert len(res.records("maz", "crash", 1)["ops"]) > 0
    with pytest.raises(KeyError, match="no such run"):
        res.records("maz", "crash", 7)


def test_resume_reuses_stored_runs_and_decide_replays_from_a_store(tiny, tmp_path):
    """A resumed decision simulates nothing stored; open_results replays it exactly."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    first = Experiment(tiny, url, max_runs=12).decide(workers=1)
    seen = []
    again = Experiment(tiny, url, max_runs=12).decide(workers=1, resume=True,
                                                      on_result=seen.append)
    assert seen == [] and again.to_json() == first.to_json()
    replay = open_results(url).decide()
    assert replay.to_json() == first.to_json()
    replay.close()


def test_open_results_never_creates_a_store(tmp_path):
    """A missing SQLite file is a clear error, and no file is left behind."""
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no such results store"):
        open_results(f"sqlite:///{path}")
    assert not path.exists()


def test_bad_arguments_are_value_errors(tiny):
    with pytest.raises(ValueError, match="resume needs a store"):
        Experiment(tiny).run(resume=True)
    with pytest.raises(ValueError, match="no such design"):
        Experiment(tiny).run(designs=["nope"])
    assert "tiny" in repr(Experiment(tiny, seed=4)) and Experiment(tiny, seed=4).study.seed == 4
