"""The main job as one call: decide which design to choose, storing runs as they finish.

``hadrsim compare`` is this plus printing. Both functions are kept for callers of
the first API; :class:`hadrsim.experiments.experiment.Experiment` is the one
place the logic lives (``Experiment(study, store).decide()``), and its Results
also give the runs as tables and each run's stored records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hadrsim.experiments.decision import Decision
from hadrsim.experiments.experiment import Experiment
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.store import ResultsStore
from hadrsim.spec.study import Study

__all__ = ["compare_designs", "decide_study"]


def decide_study(
    study: Study,
    *,
    designs: list[str] | None = None,
    runs: int | None = None,
    workers: int = 1,
    prices: dict[str, float] | None = None,
    store: ResultsStore | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> Decision:
    """Run the sequential decision (or ``runs`` fixed run indices); every run and verdict.

    With ``store`` every run (and its records) is committed as it finishes; with
    ``resume`` the runs already stored for this exact study are reused, and the
    decision replays the same batches, so the answer is the one an uninterrupted
    run gives.
    """
    experiment = Experiment(study, store, prices=prices, scheduler=scheduler,
                            keep_records=store is not None)
    result = experiment.decide(designs=designs, runs=runs, workers=workers, resume=resume,
                               on_result=on_result)
    assert result.decision is not None
    return result.decision


def compare_designs(study: Study, *, prices: dict[str, float] | None = None,
                    **options: Any) -> dict[str, Any]:
    """:func:`decide_study` summarised: the document ``compare --json`` writes, with the
    decision per design and the ``recommendation``. ``options`` are decide_study's."""
    store = options.pop("store", None)
    scheduler = options.pop("scheduler", None)
    experiment = Experiment(study, store, prices=prices, scheduler=scheduler,
                            keep_records=store is not None)
    return experiment.decide(**options).document
