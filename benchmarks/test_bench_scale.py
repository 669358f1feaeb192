"""Speed targets of studies at scale (issue 6).

(f) 10,000 Region-outage episodes of one design (SecureCart's Multi-AZ + cross-Region
    replica, its region-outage scenario and workload) on 2 workers: target <= 120 s;
(g) process-pool speed-up on 2 cores (same 400 runs on 1 and 2 workers): target >= 1.8x;
(h) Dask LocalCluster overhead per run against the in-process executor.

(f) takes minutes: select it with ``-k ten_thousand`` or skip it with ``-k "not ten"``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hadrsim.experiments.montecarlo import RunTask, execute
from hadrsim.spec.loader import load_study

ROOT = Path(__file__).resolve().parents[1]
DESIGN, SCENARIO = "multi-az-dr", "region-outage"


def _tasks(n: int) -> list[RunTask]:
    return [RunTask(DESIGN, SCENARIO, i) for i in range(n)]


def _study():
    return load_study(ROOT / "experiments" / "securecart.yaml")


def test_f_ten_thousand_region_outage_episodes(benchmark):
    """(f) 10,000 episodes on 2 workers; reports runs/s and the figure against 120 s."""
    study, tasks = _study(), _tasks(10_000)
    results = benchmark.pedantic(lambda: execute(study, tasks, workers=2), rounds=1,
                                 iterations=1)
    assert len(results) == 10_000 and all(r.ok for r in results)
    wall = benchmark.stats.stats.mean
    benchmark.extra_info.update(runs_per_s=round(10_000 / wall, 1), target_s=120.0,
                                events_per_run=round(sum(r.events for r in results) / 1e4))


def test_g_process_pool_speed_up(benchmark):
    """(g) The same 400 runs on 1 and on 2 worker processes."""
    study, tasks = _study(), _tasks(400)
    started = time.perf_counter()
    one = execute(study, tasks, workers=1)
    serial = time.perf_counter() - started
    two = benchmark.pedantic(lambda: execute(study, tasks, workers=2), rounds=1, iterations=1)
    assert [r.history_hash for r in one] == [r.history_hash for r in two]
    speed_up = serial / benchmark.stats.stats.mean
    benchmark.extra_info.update(serial_s=round(serial, 2), speed_up=round(speed_up, 2),
                                target=1.8)


def test_h_dask_local_cluster_overhead_per_run(benchmark):
    """(h) 200 runs through a Dask LocalCluster (2 processes) vs in process, per run."""
    pytest.importorskip("dask.distributed")
    study, tasks = _study(), _tasks(200)
    started = time.perf_counter()
    local = execute(study, tasks, workers=2)
    pool_s = time.perf_counter() - started
    dask = benchmark.pedantic(lambda: execute(study, tasks, workers=2, scheduler="local"),
                              rounds=1, iterations=1)
    assert [r.history_hash for r in local] == [r.history_hash for r in dask]
    overhead = (benchmark.stats.stats.mean - pool_s) / len(tasks)
    benchmark.extra_info.update(pool_s=round(pool_s, 2),
                                overhead_ms_per_run=round(overhead * 1000, 2))
