"""Everything ``hadrsim run`` and ``hadrsim compare`` do, one call away in Python.

::

    study = hadrsim.load_study("experiments/securecart.yaml")
    exp = Experiment(study, store="sqlite:///results.db")   # store optional
    res = exp.run(runs=20, workers=2, resume=True)          # or exp.decide(): sequential
    res.summary()                                           # the --json document
    res.records("multi-az-dr", "region-outage", 0)          # stored records, no re-run

The CLI is formatting over these calls: the same options (store, resume,
scheduler, the decision's precision) give the same runs and the same document,
byte for byte. With a store every run (records included) is committed the
moment it finishes, so an interrupted experiment loses no finished run and
``resume=True`` continues it; resuming a store of an older schema migrates it in
place, keeping a backup copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hadrsim.experiments.decision import decide
from hadrsim.experiments.montecarlo import RunExecutor, RunTask, plan_runs
from hadrsim.experiments.results import Results
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.store import ResultsStore, store_url
from hadrsim.spec.study import Study

__all__ = ["Experiment"]

OnResult = Callable[[RunResult], None]


class Experiment:
    """A study to run, optionally into a results store.

    ``store``: None (results kept in memory), a SQLAlchemy URL, an SQLite file
    path, or an open :class:`ResultsStore`. ``seed`` replaces the study's root
    seed; ``max_runs``, ``confidence`` and ``p_target`` the decision rule's
    precision (as ``compare --max-runs``); ``prices`` the price table; ``scheduler``
    sends runs to Dask (``"local"`` or ``"tcp://HOST:PORT"``). ``keep_records``
    keeps every run's records (in the store, else in memory) for
    :meth:`Results.records`.
    """

    def __init__(self, study: Study, store: str | Path | ResultsStore | None = None, *,
                 seed: int | None = None, max_runs: int | None = None,
                 confidence: float | None = None, p_target: float | None = None,
                 prices: dict[str, float] | None = None, scheduler: str | None = None,
                 keep_records: bool = True):
        if seed is not None:
            study = study.model_copy(update={"seed": seed})
        precision = {k: v for k, v in (("max_runs", max_runs), ("confidence", confidence),
                                       ("p_target", p_target)) if v is not None}
        if precision:
            rule = type(study.decision).model_validate({**study.decision.model_dump(),
                                                        **precision})
            study = study.model_copy(update={"decision": rule})
        self.study = study
        self.prices = prices
        self.scheduler = scheduler
        self.keep_records = keep_records
        self._store_arg = store
        self._store: ResultsStore | None = store if isinstance(store, ResultsStore) else None

    def __repr__(self) -> str:
        return (f"Experiment(study={self.study.name!r}, store={self.store_url!r}, "
                f"seed={self.study.seed}, scheduler={self.scheduler!r}, "
                f"keep_records={self.keep_records})")

    @property
    def store_url(self) -> str | None:
        """The store's URL (None without a store)."""
        if self._store is not None:
            return self._store.url
        if self._store_arg is None or isinstance(self._store_arg, ResultsStore):
            return None
        return store_url(self._store_arg)

    def open_store(self, *, migrate: bool = False) -> ResultsStore | None:
        """The results store, created if new; an older schema is migrated in place when
        ``migrate`` (``resume`` does it), else refused with the command that migrates it."""
        url = self.store_url
        if self._store is None and url is not None:
            self._store = ResultsStore(url, migrate=migrate)
        return self._store

    def check_designs(self, designs: Sequence[str] | None) -> list[str] | None:
        """``designs`` as a list, every name checked against the study (ValueError)."""
        known = [d.name for d in self.study.designs]
        for name in designs or []:
            if name not in known:
                raise ValueError(f"{name!r}: no such design; designs: {known}")
        return list(designs) if designs else None

    def _begin(self, resume: bool) -> tuple[ResultsStore | None, int]:
        """The store (None without one) and this exact study's id in it."""
        store = self.open_store(migrate=resume)
        if resume and store is None:
            raise ValueError("resume needs a store")
        if store is None:
            return None, -1
        study = self.study
        return store, store.study_id(study.name, study.seed, study.model_dump_json())

    def _finished(self, store: ResultsStore | None, study_id: int,
                  on_result: OnResult | None) -> OnResult:
        def finished(result: RunResult) -> None:
            if store is not None:
                store.add(study_id, result)  # committed as soon as it finishes
                result.records = None  # the store has them: not held in memory too
            if on_result is not None:
                on_result(result)
        return finished

    def _executor(self, workers: int) -> RunExecutor:
        return RunExecutor(self.study, workers=workers, scheduler=self.scheduler,
                           keep_records=self.keep_records)

    def tasks(self, runs: int | None = None, designs: Sequence[str] | None = None,
              resume: bool = False) -> list[RunTask]:
        """The runs :meth:`run` will simulate (with ``resume``: those not stored yet)."""
        tasks = plan_runs(self.study, self.check_designs(designs), runs)
        store, study_id = self._begin(resume)
        if resume and store is not None:
            done = store.finished(study_id)
            tasks = [t for t in tasks if (t.design, t.scenario, t.run_index) not in done]
        return tasks

    def run(self, runs: int | None = None, workers: int = 1, resume: bool = False,
            designs: Sequence[str] | None = None, on_result: OnResult | None = None
            ) -> Results:
        """Every design (or ``designs``) under every scenario, ``runs`` run indices each
        (default: the study's): ``hadrsim run``. ``workers=0``: one process per CPU.
        ``on_result`` sees each run as it finishes; with ``resume`` stored runs are
        skipped and come back from the store."""
        names = self.check_designs(designs)
        store, study_id = self._begin(resume)
        tasks = self.tasks(runs, names, resume)
        with self._executor(workers) as executor:
            results = executor.run(tasks, on_result=self._finished(store, study_id, on_result))
        if store is not None and resume:
            wanted = {(t.design, t.scenario, t.run_index)
                      for t in plan_runs(self.study, names, runs)}
            results = [r for r in store.results(study_id)
                       if (r.design, r.scenario, r.run_index) in wanted]
        return Results(self.study, results, "run", None, self.prices, store,
                       study_id if store is not None else None)

    def decide(self, designs: Sequence[str] | None = None, runs: int | None = None,
               workers: int = 1, resume: bool = False, on_result: OnResult | None = None
               ) -> Results:
        """The sequential decision (or ``runs`` fixed run indices): ``hadrsim compare``.

        Runs seeds in batches until each verdict that matters is proven; with
        ``resume`` the runs already stored for this exact study are reused and the
        same batches replayed, so the answer is the uninterrupted one.
        """
        names = self.check_designs(designs)
        store, study_id = self._begin(resume)
        stored = store.results(study_id) if store is not None and resume else []
        finished = self._finished(store, study_id, on_result)
        with self._executor(workers) as executor:
            decision = decide(self.study, lambda tasks: executor.run(tasks, finished),
                              designs=names, runs=runs, prices=self.prices, stored=stored)
        return Results(self.study, decision.results, "decide", decision, self.prices, store,
                       study_id if store is not None else None)

    def close(self) -> None:
        """Release the store's connections (a store passed in open is left open)."""
        if self._store is not None and not isinstance(self._store_arg, ResultsStore):
            self._store.close()
            self._store = None

    def __enter__(self) -> Experiment:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
