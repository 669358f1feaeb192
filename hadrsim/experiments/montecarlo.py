"""Monte Carlo over seeds: every (design, scenario, run index), in or out of process.

Run ``i`` of every design uses the same named random streams (root seed, run
index, stream name), so designs meet the same fault arrivals and workload draws:
common random numbers. A run is a pure function of its arguments, which is why
the in-process, process-pool and Dask executors give bit-identical results.

:class:`RunExecutor` keeps one pool for many batches (the sequential decision
calls it batch after batch) and hands each result on as its run finishes, one
run per unit of work, so a store commits it within a moment and a killed study
loses no finished run. Interrupted (Ctrl-C, SIGTERM turned into
KeyboardInterrupt, any exception), it cancels the queued runs and terminates
the running ones instead of finishing work only to throw it away; its workers
die with their parent (:mod:`hadrsim.experiments.workers`).

With ``keep_records`` each run also returns its records, encoded in the worker
(:mod:`hadrsim.experiments.record_store`: ~0.1-0.5 MB a SecureCart run), for the
results store and for :class:`~hadrsim.experiments.results.Results`.
"""

from __future__ import annotations

import gc
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from typing import Any

from hadrsim.experiments.run import RunResult, run_once
from hadrsim.experiments.workers import die_with_parent, init_worker_process
from hadrsim.spec.study import Study

STOP_WAIT_S = 1.0  # after terminate(): how long a worker gets before SIGKILL


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


def _runner(keep_records: bool) -> Callable[[Study, str, str, int], RunResult]:
    return partial(run_once, keep_records=keep_records)


# --- in the worker process -------------------------------------------------------------

_WORKER_STUDY: Study | None = None
_STUDY_CACHE: OrderedDict[str, Study] = OrderedDict()  # other studies (sweep points), by JSON
_STUDY_CACHE_SIZE = 4


def _init_worker(study_json: str, parent_pid: int | None = None) -> None:
    """Pool initializer. What the worker holds by now (all it inherited at the fork, its
    imports, the study) lives as long as it does, so it is frozen: the collector never
    walks it again. Each full collection between runs walked all of it (about 3% of a
    crash run's instructions, issue 14) and, after a fork, touched every inherited page.
    """
    global _WORKER_STUDY
    if parent_pid is not None:
        init_worker_process(parent_pid)
    _WORKER_STUDY = Study.model_validate_json(study_json)
    gc.freeze()  # O(1): the collector's lists are spliced, no object is visited


def _study_from_json(study_json: str) -> Study:
    """Parse once per worker: a sweep sends each grid point's study with its runs."""
    study = _STUDY_CACHE.get(study_json)
    if study is None:
        study = _STUDY_CACHE[study_json] = Study.model_validate_json(study_json)
        while len(_STUDY_CACHE) > _STUDY_CACHE_SIZE:
            _STUDY_CACHE.popitem(last=False)
    return study


def _run_in_worker(task: RunTask, study_json: str | None = None,
                   keep_records: bool = False) -> RunResult:
    study = _WORKER_STUDY if study_json is None else _study_from_json(study_json)
    assert study is not None
    return _runner(keep_records)(study, task.design, task.scenario, task.run_index)


def _run_task(study_json: str, task: RunTask, keep_records: bool = False) -> RunResult:
    """Dask's unit of work: the study is scattered once, parsed once per worker."""
    return _runner(keep_records)(_study_from_json(study_json), task.design, task.scenario,
                                 task.run_index)


def _guard_dask_worker(parent_pid: int) -> None:
    """A LocalCluster worker we started dies with us (its parent is this process).

    It also keeps quiet about the tasks cancelled on Ctrl-C (a warning per task).
    """
    if os.getppid() == parent_pid:
        die_with_parent(parent_pid)
        logging.getLogger("distributed.worker").setLevel(logging.ERROR)


# --- in the calling process ------------------------------------------------------------

class RunExecutor:
    """Runs batches of tasks on one executor kept for the whole study.

    ``workers <= 1`` runs in this process; more starts a process pool on first
    use (``workers=0``: one per CPU). ``scheduler`` sends runs to Dask instead:
    ``"local"`` starts a LocalCluster of ``workers`` processes (closed with the
    executor), ``"tcp://HOST:PORT"`` uses a running cluster, whose workers are
    never touched: only the submitted tasks are cancelled. ``keep_records``: each
    result carries its encoded records (``RunResult.records``).
    """

    def __init__(self, study: Study, workers: int = 1, scheduler: str | None = None,
                 *, keep_records: bool = False):
        self.study = study
        self.workers = (os.cpu_count() or 1) if workers == 0 else workers
        self.scheduler = scheduler
        self.keep_records = keep_records
        self._json = study.model_dump_json()
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._cluster: Any = None
        self._scattered: dict[str, Any] = {}
        self._pending: list[Any] = []  # Dask futures of the batch being run

    def __enter__(self) -> RunExecutor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop(abort=exc_type is not None)

    def close(self) -> None:
        """Release the pool or cluster; queued work is cancelled."""
        self._stop(abort=False)

    def run(self, tasks: list[RunTask], on_result: Callable[[RunResult], None] | None = None,
            *, study: Study | None = None) -> list[RunResult]:
        """Results in task order; ``on_result`` called as EACH run finishes (completion order).

        ``study`` runs these tasks on another study (a sweep's grid point) with the
        same workers. On any exception, KeyboardInterrupt included, queued runs are
        cancelled and running ones terminated before it propagates.
        """
        if not tasks:
            return []
        study = study if study is not None else self.study
        if self.scheduler is not None:
            source = self._dask_results(tasks, study)
        elif self.workers <= 1 or (len(tasks) <= 1 and self._pool is None):
            runner = _runner(self.keep_records)
            source = ((i, runner(study, t.design, t.scenario, t.run_index))
                      for i, t in enumerate(tasks))
        else:
            source = self._pool_results(tasks, study)
        results: list[RunResult | None] = [None] * len(tasks)
        try:
            for index, result in source:
                results[index] = result
                if on_result is not None:
                    on_result(result)
        except BaseException:
            self._stop(abort=True)
            raise
        return results  # type: ignore[return-value]  # every slot is filled

    def _pool_results(self, tasks: list[RunTask], study: Study
                      ) -> Iterator[tuple[int, RunResult]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, initializer=_init_worker,
                initargs=(self._json, os.getpid()))
        other = study.model_dump_json()
        spec = None if other == self._json else other
        # one run per future: each result comes back the moment its run ends
        futures = {self._pool.submit(_run_in_worker, task, spec, self.keep_records): index
                   for index, task in enumerate(tasks)}
        for future in as_completed(futures):
            yield futures[future], future.result()

    def _dask_results(self, tasks: list[RunTask], study: Study
                      ) -> Iterator[tuple[int, RunResult]]:
        from dask.distributed import as_completed as dask_completed  # optional dependency

        client = self._dask_client()
        spec_json = study.model_dump_json()
        if spec_json not in self._scattered:
            self._scattered[spec_json] = client.scatter(spec_json, broadcast=True)
        spec = self._scattered[spec_json]
        futures = client.map(_run_task, [spec] * len(tasks), tasks,
                             [self.keep_records] * len(tasks), pure=False)
        self._pending = futures
        index = {future.key: i for i, future in enumerate(futures)}
        for future in dask_completed(futures):
            yield index[future.key], future.result()
        self._pending = []

    def _dask_client(self) -> Any:
        if self._client is None:
            from dask.distributed import Client, LocalCluster  # optional dependency

            if self.scheduler == "local":
                self._cluster = LocalCluster(n_workers=max(1, self.workers),
                                             threads_per_worker=1, processes=True,
                                             dashboard_address=None)
                self._client = Client(self._cluster)
                self._client.run(_guard_dask_worker, os.getpid())
            else:
                self._client = Client(self.scheduler)
        return self._client

    def _stop(self, abort: bool) -> None:
        """Shut the executor down; ``abort`` terminates running work instead of waiting."""
        pool, self._pool = self._pool, None
        if pool is not None:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            manager = getattr(pool, "_executor_manager_thread", None)
            results = getattr(pool, "_result_queue", None)
            pool.shutdown(wait=not abort, cancel_futures=True)
            if abort:
                _terminate(processes)
                _unblock_reader(results)
                if manager is not None:  # done before exit: Python 3.11's atexit hook
                    manager.join(STOP_WAIT_S)  # races a closing one (OSError: bad fd)
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        self._scattered = {}
        if client is not None:
            pending, self._pending = self._pending, []
            if pending:
                client.cancel(pending)  # a remote cluster's workers are its own
            client.close()
        if cluster is not None:
            cluster.close()


def _terminate(processes: list[Any]) -> None:
    """SIGTERM the workers, then SIGKILL any still alive after ``STOP_WAIT_S``."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(STOP_WAIT_S)
        if process.is_alive():
            process.kill()
            process.join(STOP_WAIT_S)


def _unblock_reader(results: Any) -> None:
    """Close this process's end for writing results, once every worker is dead.

    A worker killed while sending a result (a run's records are often larger than
    a pipe's buffer) leaves the pool's manager thread waiting for the rest of the
    message. The parent's own copy of the writing end keeps that wait from ever
    seeing end-of-file, and the interpreter joins the thread at exit: the command
    printed its last line but never ended. With no writer left the read fails,
    the thread marks the pool broken and ends.
    """
    writer = getattr(results, "_writer", None)
    if writer is not None:
        writer.close()


def execute(
    study: Study,
    tasks: list[RunTask],
    workers: int = 1,
    on_result: Callable[[RunResult], None] | None = None,
    scheduler: str | None = None,
    *,
    keep_records: bool = False,
) -> list[RunResult]:
    """Run ``tasks`` once on a fresh :class:`RunExecutor`; results in task order.

    ``on_result`` sees each run as it finishes. ``workers=0`` means one per CPU;
    ``scheduler`` is ``"local"`` or ``"tcp://HOST:PORT"`` for Dask.
    """
    with RunExecutor(study, workers=workers, scheduler=scheduler,
                     keep_records=keep_records) as executor:
        return executor.run(tasks, on_result)
