"""What an experiment produced, as tidy tables, the ``--json`` document and stored records.

A :class:`Results` comes from :meth:`hadrsim.experiments.experiment.Experiment.run`
or ``.decide()``, or from a results store read by :func:`open_results`. The same
object answers the same questions whichever way it was made::

    res.runs, res.episodes, res.metrics   # tidy pandas DataFrames
    res.summary()                         # the --json document of run / compare
    res.records("multi-az", "az-outage", 0)  # the run's records, never re-simulated

:func:`open_results` only reads: it never creates a store, alters one or migrates
it (an older store is read as it is), and it picks the stored study the way the
CLI's ``--study``/``--seed`` options do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import ValidationError

from hadrsim.experiments.decision import Decision, decide
from hadrsim.experiments.jsonout import strict_json, to_json
from hadrsim.experiments.montecarlo import RunTask
from hadrsim.experiments.record_store import decode_records, record_frames
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.store import ResultsStore, StoreError
from hadrsim.experiments.summary import summarize_study
from hadrsim.simulator.recorder import Recorder
from hadrsim.spec.study import Study

__all__ = ["Results", "StoreError", "open_results", "strict_json", "to_json"]

RunKey = tuple[str, str, int]


@dataclass
class Results:
    """The runs of one study (in memory or in a store) and what they add up to.

    ``kind`` says which command's document :meth:`summary` is: ``"run"``
    (``hadrsim run --json``), ``"decide"`` (``hadrsim compare --json``) or
    ``"stored"`` (a store's runs summarised as ``results show`` and ``report`` do).
    """

    study: Study
    results: list[RunResult]
    kind: str = "run"
    decision: Decision | None = None
    prices: dict[str, float] | None = None
    store: ResultsStore | None = None
    study_id: int | None = None
    versions: int = 1  # stored versions of this study (open_results reads the latest)
    _blobs: dict[RunKey, bytes] = field(default_factory=dict, repr=False)
    _document: dict[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for r in self.results:  # records kept in memory (no store to read them from)
            blob = getattr(r, "records", None)
            if blob is not None and self.store is None:
                self._blobs[(r.design, r.scenario, r.run_index)] = blob

    # --- tidy tables ----------------------------------------------------------------
    @property
    def runs(self) -> pd.DataFrame:
        """One row per run: design, kind, scenario, run index, seed, ok, error, timing."""
        columns = ["design", "kind", "scenario", "run_index", "seed", "horizon_s", "ok",
                   "error", "wall_s", "events", "history_hash"]
        return pd.DataFrame([[getattr(r, c) for c in columns] for r in self.results],
                            columns=columns)

    @property
    def episodes(self) -> pd.DataFrame:
        """One row per fault episode of every successful run, with its run's key."""
        rows = [{"design": r.design, "scenario": r.scenario, "run_index": r.run_index,
                 "episode": number, **row}
                for r in self.results if r.ok for number, row in enumerate(r.episodes)]
        return pd.DataFrame(rows, columns=None if rows else
                            ["design", "scenario", "run_index", "episode"])

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per (run, metric): design, scenario, run_index, metric, value."""
        rows = [(r.design, r.scenario, r.run_index, name, value)
                for r in self.results for name, value in r.metrics.items()]
        return pd.DataFrame(rows, columns=["design", "scenario", "run_index", "metric",
                                           "value"])

    # --- the document ---------------------------------------------------------------
    @property
    def document(self) -> dict[str, Any]:
        """The summary as computed (NaN kept: the CLI's tables read it)."""
        if self._document is None:
            if self.kind == "decide":
                assert self.decision is not None
                self._document = summarize_study(self.study, self.decision.results,
                                                 self.prices, self.decision)
            else:  # a fixed number of runs, or a store's runs: the rule read once
                self._document = summarize_study(self.study, self.results, self.prices)
        return self._document

    def summary(self) -> dict[str, Any]:
        """The ``--json`` document of the matching command, strict JSON (NaN as null)."""
        return strict_json(self.document)

    def to_json(self) -> str:
        """:meth:`summary` as the exact text ``--json`` writes."""
        return to_json(self.summary())

    # --- records --------------------------------------------------------------------
    def recorder(self, design: str, scenario: str, run_index: int) -> Recorder:
        """The stored records of one run as a Recorder (for checkers and timelines)."""
        key = (design, scenario, run_index)
        blob = self._blobs.get(key)
        if blob is None and self.store is not None and self.study_id is not None:
            blob = self.store.records(self.study_id, design, scenario, run_index)
        if blob is None:
            known = {(r.design, r.scenario, r.run_index) for r in self.results}
            why = ("it was run without keeping records" if key in known
                   else "no such run in these results")
            raise KeyError(f"no records for {design} / {scenario} / run {run_index}: {why}")
        return decode_records(blob)

    def records(self, design: str, scenario: str, run_index: int) -> dict[str, pd.DataFrame]:
        """The stored records of one run as DataFrames (ops, commits, applies, faults,
        roles, control, replicas, final); read back, never simulated again."""
        return record_frames(self.recorder(design, scenario, run_index))

    def has_records(self, design: str, scenario: str, run_index: int) -> bool:
        """Whether :meth:`records` can answer for this run."""
        try:
            self.recorder(design, scenario, run_index)
        except (KeyError, StoreError):
            return False
        return True

    def decide(self, designs: Sequence[str] | None = None, runs: int | None = None
               ) -> Results:
        """The sequential decision replayed on these runs only (never simulates).

        Gives ``compare``'s answer and document when every run it needs is here
        (a store written by ``compare``); else raises StoreError naming the run.
        """
        def missing(tasks: list[RunTask]) -> list[RunResult]:
            t = tasks[0]
            raise StoreError(f"the decision needs run {t.design} / {t.scenario} / "
                             f"{t.run_index}, which is not stored; continue it with "
                             "Experiment(study, store=URL).decide(resume=True)")

        decision = decide(self.study, missing, designs=list(designs) if designs else None,
                          runs=runs, prices=self.prices, stored=self.results)
        return Results(self.study, decision.results, "decide", decision, self.prices,
                       self.store, self.study_id, self.versions, dict(self._blobs))

    def close(self) -> None:
        """Release the store's connections."""
        if self.store is not None:
            self.store.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def choose_study(store: ResultsStore, name: str | None = None, seed: int | None = None
                 ) -> tuple[Any, int]:
    """The stored study row named ``name`` with ``seed`` (either may be None) and how many
    stored versions it has; several matching studies, or none, is a StoreError."""
    rows = store.studies()
    url = store.url
    matching = [r for r in rows if (name is None or r.name == name)
                and (seed is None or r.seed == seed)]
    stored = sorted({f"{r.name} (seed {r.seed})" for r in rows})
    if not rows:
        raise StoreError(f"{url}: the store holds no study yet")
    if not matching:
        wanted = " ".join(([f"named {name!r}"] if name else [])
                          + ([f"with seed {seed}"] if seed is not None else []))
        raise StoreError(f"{url}: no stored study {wanted}; stored: {stored}")
    if len({(r.name, r.seed) for r in matching}) > 1:
        raise StoreError(f"{url}: the store holds several studies: {stored}; pick one "
                         "with --study NAME (and --seed S)")
    return matching[-1], len(matching)  # a study file edited and run again: its latest


def open_results(url: str, *, study: str | None = None, seed: int | None = None,
                 runs: int | None = None, prices: dict[str, float] | None = None
                 ) -> Results:
    """A stored study's runs, read-only: never creates, alters or migrates a store.

    ``study``/``seed`` pick the study of a store holding several (its latest stored
    version); ``runs`` keeps run indices below it. Sweep runs are not included.
    Raises StoreError (a ValueError) with a message for any store it cannot read.
    """
    store = ResultsStore(url, readonly=True)
    try:
        row, versions = choose_study(store, study, seed)
        try:
            spec = Study.model_validate_json(row.spec)
        except ValidationError as exc:
            raise StoreError(f"{url}: stored study {row.name!r} is not valid for this "
                             f"hadrsim ({_first_line(exc)})") from None
        results = store.results(row.id)
        if runs is not None:
            results = [r for r in results if r.run_index < runs]
        if not results:
            raise StoreError(f"{url}: study {row.name!r} has no stored run"
                             + (f" with index < {runs}" if runs is not None else "")
                             + " (sweep runs are not reported)")
    except BaseException:
        store.close()
        raise
    return Results(spec, results, "stored", None, prices, store, row.id, versions)
