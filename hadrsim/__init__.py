"""hadrsim: simulate and compare database HA/DR designs before paying for them.

The public API, in the order a notebook uses it::

    import hadrsim
    study = hadrsim.load_study("experiments/securecart.yaml")
    results = hadrsim.run_study(study, runs=20, workers=2)
    doc = hadrsim.summarize_study(study, results)       # the --json document
    answer = hadrsim.compare_designs(study, workers=2)  # the main job: decided, as compare
    print(answer["recommendation"]["sentence"])
    world = hadrsim.simulate(study, "multi-az", "instance-crash", run_index=0)
    frames = world.rec.frames()                         # tidy records as DataFrames
    log = hadrsim.event_log(world.rec, "multi-az")      # RDS-style event log
    html = hadrsim.render_report(study, results)        # self-contained HTML report
"""

from __future__ import annotations

from hadrsim.experiments.comparison import compare_designs
from hadrsim.experiments.event_log import event_log
from hadrsim.experiments.montecarlo import RunTask, execute, plan_runs
from hadrsim.experiments.run import RunResult, run_once, simulate
from hadrsim.experiments.summary import summarize_study
from hadrsim.simulator.checkers import run_metrics
from hadrsim.spec.loader import SpecError, load_study, parse_study
from hadrsim.spec.study import Study

__version__ = "0.1.0"


def run_study(
    study: Study,
    designs: list[str] | None = None,
    runs: int | None = None,
    workers: int = 1,
) -> list[RunResult]:
    """Every (design, scenario, run index) of a study; failed runs carry their error."""
    return execute(study, plan_runs(study, designs, runs), workers=workers)


def __getattr__(name: str):
    """``render_report`` is imported on first use: matplotlib costs 0.3 s at start-up."""
    if name == "render_report":
        from hadrsim.report import render_report

        return render_report
    raise AttributeError(f"module 'hadrsim' has no attribute {name!r}")


__all__ = [
    "RunResult",
    "RunTask",
    "SpecError",
    "Study",
    "compare_designs",
    "event_log",
    "execute",
    "load_study",
    "parse_study",
    "plan_runs",
    "render_report",
    "run_metrics",
    "run_once",
    "run_study",
    "simulate",
    "summarize_study",
]
