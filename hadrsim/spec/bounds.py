"""What a study will cost before it runs: events, CPU time and memory per run.

A study file can ask for far more than a machine has (``horizon_s: 1e9``,
``observed_clients: 1000`` for a year, a million runs); the simulation would then
run for days or exhaust memory with no word of warning. The estimate is a simple
model fitted on this code (``run_once`` under tracemalloc, one core of the reference
machine, the tiny
CLI study, 300-3,000 s, 4-40 clients, 100-100,000 keys): about 3.5 simulator
events per observed operation at about 35 µs and 150 bytes each (the history is
kept for the checkers), and about 20 µs and 500 bytes per observed key (every
node keeps a state per key). It is meant to be right within a factor of a few,
which is enough to stop a mistake by orders of magnitude.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hadrsim.spec.faults import FaultScenario
from hadrsim.spec.study import Study

EVENTS_PER_OP = 3.5  # measured: 8,508 events for 4 clients x 300 s at 0.5 s think time
SECONDS_PER_EVENT = 35e-6  # measured: 30-33 µs per event (run_once, one core)
BYTES_PER_EVENT = 300.0  # measured 125-145 B traced; x2 for the process's own overhead
SECONDS_PER_KEY = 20e-6  # measured: +1.7 s for 100,000 keys (Multi-AZ instance)
BYTES_PER_KEY = 500.0  # measured: +27 MB traced for 100,000 keys; rounded up

# Refuse without --yes above these: one run larger than a laptop's memory, or a
# command that keeps the machine busy for more than two hours.
MAX_RUN_BYTES = 4e9
MAX_WALL_S = 2 * 3600.0


@dataclass(frozen=True)
class Cost:
    """Estimated cost of a command: total runs, CPU seconds, and the largest run."""

    runs: int
    cpu_s: float
    run_s: float  # the longest single run (a run cannot be split across processes)
    run_bytes: float  # the largest single run's memory
    key_bytes: float  # of which per-key state


def _ops_per_client(study: Study, scenario: FaultScenario) -> float:
    """Observed operations per client: dense around faults, sparse in between."""
    workload = study.workload
    horizon = study.horizon_for(scenario)
    dense_ops = horizon / workload.probe_interval_s
    if workload.idle_interval_s is None:
        return dense_ops
    window = workload.observe_before_s + workload.observe_after_s
    dense_s = sum(window + (f.mean_duration_s or 0.0) for f in scenario.scheduled)
    for fault in scenario.stochastic:
        repair = fault.mttr_h.mean * 3600.0
        dense_s += horizon / (fault.mean_mttf_h * 3600.0) * (window + repair)
    dense_s = min(dense_s, horizon)
    return dense_s / workload.probe_interval_s + (horizon - dense_s) / workload.idle_interval_s


def estimate(study: Study, runs: int | None = None,
             designs: Sequence[str] | None = None) -> Cost:
    """The cost of ``runs`` runs (default: the study's) of every design x scenario."""
    runs = runs or study.runs
    n_designs = len(designs) if designs else len(study.designs)
    keys = study.workload.observed_keys
    total = 0.0
    run_s = run_bytes = 0.0
    for scenario in study.scenarios:
        events = EVENTS_PER_OP * study.workload.observed_clients * _ops_per_client(
            study, scenario)
        seconds = events * SECONDS_PER_EVENT + keys * SECONDS_PER_KEY
        run_s = max(run_s, seconds)
        run_bytes = max(run_bytes, events * BYTES_PER_EVENT + keys * BYTES_PER_KEY)
        total += seconds * runs * n_designs
    count = runs * n_designs * len(study.scenarios)
    return Cost(count, total, run_s, run_bytes, keys * BYTES_PER_KEY)


def estimate_decision(study: Study, designs: Sequence[str] | None = None) -> Cost:
    """The worst case of the sequential decision: every design for one batch, and
    then one design up to ``decision.max_runs`` (only one continues at a time)."""
    rule = study.decision
    first = estimate(study, rule.batch, designs)
    rest = max(0, rule.max_runs - rule.batch)
    if not rest:
        return first
    names = list(designs) if designs else [d.name for d in study.designs]
    return combine([first, estimate(study, rest, names[:1])])


def combine(costs: Iterable[Cost]) -> Cost:
    """One cost for several studies run by one command (a sweep's grid points)."""
    costs = list(costs)
    return Cost(sum(c.runs for c in costs), sum(c.cpu_s for c in costs),
                max((c.run_s for c in costs), default=0.0),
                max((c.run_bytes for c in costs), default=0.0),
                max((c.key_bytes for c in costs), default=0.0))


def too_costly(cost: Cost, workers: int = 0) -> str | None:
    """A one-line refusal naming what to lower, or None when the cost is sane."""
    processes = max(1, min(workers or os.cpu_count() or 1, cost.runs))
    wall = max(cost.cpu_s / processes, cost.run_s)
    if cost.run_bytes > MAX_RUN_BYTES:
        lower = ("workload.observed_keys" if cost.key_bytes > cost.run_bytes / 2
                 else "horizon_s or workload.observed_clients (or set workload.idle_interval_s)")
        return (f"one run would need about {cost.run_bytes / 1e9:,.1f} GB of memory "
                f"(limit {MAX_RUN_BYTES / 1e9:.0f} GB); lower {lower}, or pass --yes")
    if wall > MAX_WALL_S:
        lower = ("runs (or --runs)" if cost.run_s * 100 < wall
                 else "horizon_s or workload.observed_clients (or set workload.idle_interval_s)")
        return (f"this would take about {_duration(wall)} ({cost.runs:,} runs on {processes} "
                f"process{'es' if processes > 1 else ''}, {cost.cpu_s / 3600:,.1f} CPU-hours); "
                f"lower {lower}, or pass --yes")
    return None


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:,.0f} days"
    return f"{seconds / 3600:,.1f} hours"
