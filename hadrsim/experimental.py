"""Lower-level and less stable pieces of the API, for people who drive runs themselves.

Signatures here may change between releases without a deprecation period (the Mesa
convention); the stable entry points are in :mod:`hadrsim` (``hadrsim.__all__``).
Executor plumbing (tasks, executors), single runs and the summary builders live here;
:class:`hadrsim.Experiment` uses them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hadrsim.experiments.montecarlo import RunTask, execute, plan_runs
from hadrsim.experiments.run import RunResult, run_once

if TYPE_CHECKING:
    from hadrsim.experiments.comparison import compare_designs
    from hadrsim.experiments.summary import summarize_study
    from hadrsim.spec.study import Study

# the summary builders need scipy and the results store (about a second to import); single
# runs and executors do not, so they are imported eagerly and these on first use
_LAZY = {
    "compare_designs": "hadrsim.experiments.comparison",
    "summarize_study": "hadrsim.experiments.summary",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hadrsim.experimental' has no attribute {name!r}")

__all__ = [
    "RunResult",
    "RunTask",
    "compare_designs",
    "execute",
    "plan_runs",
    "run_once",
    "run_study",
    "summarize_study",
]


def run_study(
    study: Study,
    designs: list[str] | None = None,
    runs: int | None = None,
    workers: int = 1,
) -> list[RunResult]:
    """Every (design, scenario, run index) of a study; failed runs carry their error."""
    return execute(study, plan_runs(study, designs, runs), workers=workers)
