"""Sequential stopping: run batches of seeds until the estimates are precise enough.

Instead of a fixed number of runs, keep adding batches (run indices ``n`` to
``n + batch``) until, for every (design, scenario), each reported metric's 95%
interval half-width is at most ``precision`` x |mean| (relative; a metric whose
mean is 0 needs a half-width of 0), and every policy class's P(met) interval
half-width is at most ``precision`` (absolute, it is a probability) — or the run
cap is reached. Batches are whole run indices, so every design keeps its common
random numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from hadrsim.experiments.montecarlo import RunTask, execute
from hadrsim.experiments.policy import PolicyTarget, policy_verdict
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import NONNEGATIVE, half_width, summarize
from hadrsim.spec.study import Study

PRECISION_METRICS = ("rto_write_s", "rpo_s")


def imprecise(study: Study, results: list[RunResult], precision: float,
              metrics: tuple[str, ...] = PRECISION_METRICS) -> list[str]:
    """What is not yet precise enough, one line each (empty: done)."""
    problems = []
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for r in results:
        if r.ok:
            groups.setdefault((r.design, r.scenario), []).append(r)
    for (design, scenario), runs in groups.items():
        rows = [row for r in runs for row in r.episodes]
        for metric in metrics:
            summary = summarize([float(row[metric]) for row in rows], NONNEGATIVE)
            if summary["n"] < 2:
                problems.append(f"{design}/{scenario}/{metric}: fewer than 2 values")
                continue
            width = half_width(summary)
            if not width <= precision * abs(summary["mean"]):
                problems.append(f"{design}/{scenario}/{metric}: +-{width:.3g} "
                                f"around {summary['mean']:.3g}")
    policy = {c: PolicyTarget(t.rto_s, t.rpo_s) for c, t in study.policy.items()}
    by_design: dict[str, list[dict]] = {}
    for r in results:
        if r.ok:
            by_design.setdefault(r.design, []).extend(
                {**row, "_run": (r.scenario, r.run_index)} for row in r.episodes)
    for design, rows in by_design.items():
        for cls, verdict in policy_verdict(rows, policy, cluster_key="_run").items():
            if verdict["episodes"]:
                lo, hi = verdict["ci95"]
                if (hi - lo) / 2 > precision:
                    problems.append(f"{design}/{cls}: P(met) +-{(hi - lo) / 2:.3f}")
    return problems


def run_until_precise(
    study: Study,
    precision: float,
    *,
    designs: list[str] | None = None,
    batch: int = 10,
    max_runs: int = 1000,
    workers: int = 1,
    on_result: Callable[[RunResult], None] | None = None,
) -> tuple[list[RunResult], list[str]]:
    """Results, and what is still imprecise when the cap stopped it (empty if precise)."""
    names = designs or [d.name for d in study.designs]
    results: list[RunResult] = []
    done = 0
    remaining = ["nothing run yet"]
    while done < max_runs and remaining:
        size = min(batch, max_runs - done)
        tasks = [RunTask(design, scenario.name, i)
                 for i in range(done, done + size)
                 for design in names for scenario in study.scenarios]
        results += execute(study, tasks, workers=workers, on_result=on_result)
        done += size
        remaining = imprecise(study, results, precision)
    return results, remaining
