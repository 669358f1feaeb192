"""RunExecutor hands each run on as it finishes and keeps one pool for many batches."""

from __future__ import annotations

import os
import time

import pytest

import hadrsim.experiments.montecarlo as mc
from hadrsim.experiments.montecarlo import RunExecutor, RunTask, execute, plan_runs
from hadrsim.experiments.run import RunResult

SLOW_S = 1.5  # the one slow run; every other run takes FAST_S
FAST_S = 0.02


def _fake_run(study, design, scenario, run_index, keep_records=False) -> RunResult:
    """Stands in for run_once in forked workers: run 0 is slow, the others quick."""
    time.sleep(SLOW_S if run_index == 0 else FAST_S)
    return RunResult(design, "fake", scenario, run_index, 0, 0.0,
                     metrics={"pid": float(os.getpid()), "finished_at": time.time()})


@pytest.fixture
def fake_runs(monkeypatch):
    monkeypatch.setattr(mc, "run_once", _fake_run)  # workers fork after this


def _tasks(count: int) -> list[RunTask]:
    return [RunTask("maz", "crash", i) for i in range(count)]


def test_results_reach_on_result_as_each_run_finishes(make_study, fake_runs):
    """A slow first run does not hold back the runs finished after it (was: map blocks)."""
    seen: list[tuple[int, float]] = []
    started = time.time()
    results = execute(make_study(), _tasks(40), workers=2,
                      on_result=lambda r: seen.append((r.run_index, time.time())))
    assert [r.run_index for r in results] == list(range(40))  # task order kept
    assert seen[0][0] != 0  # completion order: a quick run is handed on first
    early = [at - started for index, at in seen if index != 0][:10]
    assert max(early) < SLOW_S  # ... long before the slow one finishes
    lags = [at - r.metrics["finished_at"] for r, (_, at) in
            zip(sorted(results, key=lambda r: r.metrics["finished_at"]), sorted(
                seen, key=lambda s: s[1]), strict=True)]
    assert max(lags) < 0.5, lags  # every run reaches the caller within a moment


def test_one_pool_serves_every_batch(make_study, fake_runs):
    """Batch after batch on one RunExecutor: the same worker processes, no restart."""
    with RunExecutor(make_study(), workers=2) as executor:
        first = executor.run(_tasks(6)[1:])
        second = executor.run([RunTask("maz", "crash", i) for i in range(6, 12)])
    pids = {r.metrics["pid"] for r in first}
    assert {r.metrics["pid"] for r in second} <= pids
    assert float(os.getpid()) not in pids
    assert [r.run_index for r in second] == list(range(6, 12))


def test_reused_executor_is_bit_identical_to_in_process(make_study):
    """Two batches on one pool, one on another study (a sweep point): same hashes."""
    study = make_study(runs=2, horizon_s=400.0)
    other = make_study(runs=2, horizon_s=400.0, workload={"observed_clients": 3})
    tasks = plan_runs(study)
    with RunExecutor(study, workers=2) as executor:
        pooled = executor.run(tasks[:1]) + executor.run(tasks[1:])
        pooled_other = executor.run(tasks, study=other)
    serial = execute(study, tasks, workers=1)
    serial_other = execute(other, tasks, workers=1)
    assert [r.history_hash for r in pooled] == [r.history_hash for r in serial]
    assert [r.history_hash for r in pooled_other] == [r.history_hash for r in serial_other]
    assert [r.history_hash for r in serial] != [r.history_hash for r in serial_other]
    assert [repr(r.metrics) for r in pooled] == [repr(r.metrics) for r in serial]
