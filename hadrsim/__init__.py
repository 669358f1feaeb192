"""hadrsim: simulate and compare database HA/DR designs before paying for them.

The public API, in the order a notebook uses it::

    import hadrsim
    study = hadrsim.load_study("experiments/securecart.yaml")
    exp = hadrsim.Experiment(study, store="results.db")    # store optional
    res = exp.run(runs=20, workers=2, resume=True)          # or exp.decide(): as compare
    res.runs, res.episodes, res.metrics                     # tidy DataFrames
    doc = res.summary()                                     # the --json document
    frames = res.records("multi-az", "instance-crash", 0)   # stored records, no re-run
    old = hadrsim.open_results("results.db")                # read-only
    world = hadrsim.simulate(study, "multi-az", "instance-crash", run_index=0)
    metrics, episodes = hadrsim.run_metrics(world.rec)      # the checkers, on records
    log = hadrsim.event_log(world.rec, "multi-az")          # RDS-style event log
    html = hadrsim.render_report(res)                       # self-contained HTML report
    view = hadrsim.long_run(study_with_faults, years=10)    # availability per year, SLA

Lower-level pieces (executors, single runs, summary builders) are in
:mod:`hadrsim.experimental`; design kinds are registered in :mod:`hadrsim.spec.kinds`.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hadrsim.experiments.event_log import event_log
    from hadrsim.experiments.experiment import Experiment
    from hadrsim.experiments.results import Results, open_results
    from hadrsim.experiments.run import simulate
    from hadrsim.experiments.store import StoreError
    from hadrsim.longrun import LongRun, long_run
    from hadrsim.report import render_report
    from hadrsim.simulator.checkers import run_metrics
    from hadrsim.spec.loader import SpecError, load_study, parse_study
    from hadrsim.spec.study import Study

__version__ = "0.1.0"

# name -> (where it lives now, what to use instead); kept for one release (issue 13)
_DEPRECATED = {
    "RunResult": ("hadrsim.experimental", "hadrsim.experimental.RunResult"),
    "RunTask": ("hadrsim.experimental", "hadrsim.experimental.RunTask"),
    "execute": ("hadrsim.experimental", "hadrsim.experimental.execute"),
    "plan_runs": ("hadrsim.experimental", "hadrsim.experimental.plan_runs"),
    "run_once": ("hadrsim.experimental", "hadrsim.experimental.run_once"),
    "run_study": ("hadrsim.experimental", "hadrsim.Experiment(study).run(...)"),
    "summarize_study": ("hadrsim.experimental", "hadrsim.Experiment(study).run(...).summary()"),
    "compare_designs": ("hadrsim.experimental",
                        "hadrsim.Experiment(study).decide(...).summary()"),
}


# public name -> the module it lives in; imported on first use, so `import hadrsim` (and
# `hadrsim --help`) costs milliseconds, not the ~1.5 s of scipy, pandas, sqlalchemy and
# matplotlib that only some commands need (issue 14)
_LAZY = {
    "Experiment": "hadrsim.experiments.experiment",
    "LongRun": "hadrsim.longrun",
    "Results": "hadrsim.experiments.results",
    "SpecError": "hadrsim.spec.loader",
    "StoreError": "hadrsim.experiments.store",
    "Study": "hadrsim.spec.study",
    "event_log": "hadrsim.experiments.event_log",
    "load_study": "hadrsim.spec.loader",
    "long_run": "hadrsim.longrun",
    "open_results": "hadrsim.experiments.results",
    "parse_study": "hadrsim.spec.loader",
    "render_report": "hadrsim.report",
    "run_metrics": "hadrsim.simulator.checkers",
    "simulate": "hadrsim.experiments.run",
}


def __getattr__(name: str) -> Any:
    """Public names are imported on first use (and then cached in the module); names
    that left the top level still work, with a DeprecationWarning naming the
    replacement."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _DEPRECATED:
        module, instead = _DEPRECATED[name]
        warnings.warn(f"hadrsim.{name} is deprecated and leaves the top level in the next "
                      f"release; use {instead}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'hadrsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Experiment",
    "LongRun",
    "Results",
    "SpecError",
    "StoreError",
    "Study",
    "event_log",
    "load_study",
    "long_run",
    "open_results",
    "parse_study",
    "render_report",
    "run_metrics",
    "simulate",
]
