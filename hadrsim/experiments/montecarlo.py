"""Monte Carlo over seeds: every (design, scenario, run index), in or out of process.

Run ``i`` of every design uses the same named random streams (root seed, run
index, stream name), so designs meet the same fault arrivals and workload draws:
common random numbers. A run is a pure function of its arguments, which is why
the in-process and process-pool executors give bit-identical results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from hadrsim.experiments.run import RunResult, run_once
from hadrsim.spec.study import Study


@dataclass(frozen=True)
class RunTask:
    """One unit of work: which design, which scenario, which run index."""

    design: str
    scenario: str
    run_index: int


def plan_runs(
    study: Study, designs: Iterable[str] | None = None, runs: int | None = None
) -> list[RunTask]:
    """Every task of a study, run index outermost so partial results stay balanced."""
    names = list(designs) if designs is not None else [d.name for d in study.designs]
    count = runs if runs is not None else study.runs
    return [
        RunTask(design, scenario.name, i)
        for i in range(count)
        for design in names
        for scenario in study.scenarios
    ]


_WORKER_STUDY: Study | None = None


def _init_worker(study_json: str) -> None:
    global _WORKER_STUDY
    _WORKER_STUDY = Study.model_validate_json(study_json)


def _run_in_worker(task: RunTask) -> RunResult:
    assert _WORKER_STUDY is not None
    return run_once(_WORKER_STUDY, task.design, task.scenario, task.run_index)


def execute(
    study: Study,
    tasks: list[RunTask],
    workers: int = 1,
    on_result: Callable[[RunResult], None] | None = None,
    scheduler: str | None = None,
) -> list[RunResult]:
    """Run ``tasks``; results come back in task order whatever the executor.

    ``workers=1`` runs in this process; more uses a process pool (the study is
    sent once per worker as JSON). ``workers=0`` means one per CPU.
    ``scheduler`` sends them to Dask instead: ``"local"`` starts a LocalCluster
    of ``workers`` processes, ``"tcp://HOST:PORT"`` uses a running cluster.
    """
    if workers == 0:
        workers = os.cpu_count() or 1
    results: list[RunResult] = []
    source = (_iterate(study, tasks, workers) if scheduler is None
              else _iterate_dask(study, tasks, workers, scheduler))
    for result in source:
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _run_task(study_json: str, task: RunTask) -> RunResult:
    study = Study.model_validate_json(study_json)
    return run_once(study, task.design, task.scenario, task.run_index)


def _iterate_dask(study: Study, tasks: list[RunTask], workers: int,
                  scheduler: str) -> Iterator[RunResult]:
    """Dask distributed: tasks as futures, gathered in task order (bit-identical runs)."""
    from dask.distributed import Client, LocalCluster  # optional: only for clusters

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        spec = client.scatter(study.model_dump_json(), broadcast=True)
        futures = client.map(_run_task, [spec] * len(tasks), tasks, pure=False)
        for future in futures:
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _iterate(study: Study, tasks: list[RunTask], workers: int) -> Iterator[RunResult]:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_once(study, task.design, task.scenario, task.run_index)
        return
    chunk = max(1, len(tasks) // (workers * 8))
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(study.model_dump_json(),)
    ) as pool:
        yield from pool.map(_run_in_worker, tasks, chunksize=chunk)
