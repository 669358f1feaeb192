"""The main job as one call: decide which design to choose, storing runs as they finish.

``hadrsim compare`` is this function plus printing; a notebook gets the same
document (:func:`hadrsim.experiments.summary.summarize_study`, with the decision
and the recommendation) without the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hadrsim.experiments.decision import Decision, decide
from hadrsim.experiments.montecarlo import RunExecutor, RunTask
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.store import ResultsStore
from hadrsim.experiments.summary import summarize_study
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

    With ``store`` every run is committed as it finishes; with ``resume`` the runs
    already stored for this exact study are reused, and the decision replays the
    same batches, so the answer is the one an uninterrupted run gives.
    """
    study_id = None
    stored: list[RunResult] = []
    if store is not None:
        study_id = store.study_id(study.name, study.seed, study.model_dump_json())
        if resume:
            stored = store.results(study_id)

    def finished(result: RunResult) -> None:
        if store is not None:
            store.add(study_id, result)
        if on_result is not None:
            on_result(result)

    with RunExecutor(study, workers=workers, scheduler=scheduler) as executor:
        def run_batch(tasks: list[RunTask]) -> list[RunResult]:
            return executor.run(tasks, on_result=finished)

        return decide(study, run_batch, designs=designs, runs=runs, prices=prices,
                      stored=stored)


def compare_designs(study: Study, *, prices: dict[str, float] | None = None,
                    **options: Any) -> dict[str, Any]:
    """:func:`decide_study` summarised: the document ``compare --json`` writes, with the
    decision per design and the ``recommendation``. ``options`` are decide_study's."""
    decision = decide_study(study, prices=prices, **options)
    return summarize_study(study, decision.results, prices, decision)
