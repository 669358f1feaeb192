"""From many runs to the answer: per-design statistics and policy verdicts.

Episode metrics (RTO, RPO, lost writes) are summarised per fault scenario only:
a mean across an instance crash, a Region outage and a corruption would answer
no question anyone asks. A censored RTO (clients had not recovered by the end
of the window) makes the mean a lower bound and the percentiles Kaplan-Meier
estimates (:func:`~hadrsim.experiments.statistics.summarize_censored`); an
unknown RPO or lost-write count (NaN) is counted in ``n_unknown``, never read as
0. A scenario whose runs had no episode because the design declined every fault
is marked ``not_applicable`` with the reason. Run metrics (availability,
latency...) are summarised per scenario and, for the figures, over all runs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from hadrsim.experiments.advice import recommendation
from hadrsim.experiments.decision import Decision, judge, policy_targets
from hadrsim.experiments.paired import paired_differences
from hadrsim.experiments.policy import policy_verdict
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import NONNEGATIVE, UNIT, summarize, summarize_censored
from hadrsim.models.pricing import DEFAULT_PRICES, monthly_cost
from hadrsim.simulator.vocabulary import Metric
from hadrsim.spec.kinds import dr_tier_of as ha_architecture_of
from hadrsim.spec.study import Study

NOT_APPLICABLE_EVENT = "fault_not_applicable"
_FRACTIONS = ("availability_", "_ratio", "tvis_p_")
EPISODE_METRICS = (Metric.RTO_WRITE_S, Metric.RTO_READ_S, Metric.RPO_S, Metric.LOST_WRITES)
RUN_METRICS = (
    "lost_writes_total",
    Metric.AVAILABILITY_WRITE,
    Metric.AVAILABILITY_READ,
    "write_success_ratio",
    "read_success_ratio",
    "commit_latency_p50_ms",
    "commit_latency_p99_ms",
    "commit_latency_p999_ms",
    "read_latency_p50_ms",
    "read_latency_p99_ms",
    "stale_reads",
    Metric.STALE_READ_RATIO,
    "ryw_violations",
    "monotonic_read_violations",
    "conflicts",
    "corrupt_reads",
    "lost_updates",
    Metric.SPLIT_BRAIN_S,
    "divergent_keys",
    "tvis_p_0s",
    "tvis_p_0_1s",
    "tvis_p_1s",
    "tvis_p_5s",
)


def domain_of(metric: str) -> tuple[float, float]:
    """The metric's domain: [0, 1] for ratios and availabilities, else [0, inf)."""
    return UNIT if any(part in metric for part in _FRACTIONS) else NONNEGATIVE


def _episode_metrics(episodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, flag in ((Metric.RTO_WRITE_S, Metric.RECOVERED_WRITE),
                       (Metric.RTO_READ_S, Metric.RECOVERED_READ)):
        out[name] = summarize_censored([float(row[name]) for row in episodes],
                                       [row.get(flag) is not True for row in episodes])
    for name in (Metric.RPO_S, Metric.LOST_WRITES):
        out[name] = summarize([float(row[name]) for row in episodes], NONNEGATIVE)
    out["recovered_ratio"] = summarize(
        [1.0 if row[Metric.RECOVERED_WRITE] is True else 0.0 for row in episodes], UNIT)
    return out


def _run_metrics(results: list[RunResult]) -> dict[str, dict[str, Any]]:
    return {name: summarize([r.metrics.get(name, math.nan) for r in results], domain_of(name))
            for name in RUN_METRICS}


def not_applicable(results: list[RunResult]) -> list[str]:
    """The distinct "<fault kind>: <reason>" of faults these runs' design declined."""
    return list(dict.fromkeys(detail for r in results for _, event, _, detail in r.control
                              if event == NOT_APPLICABLE_EVENT))


def summarize_scenario(rs: list[RunResult]) -> dict[str, Any]:
    """One scenario's runs of one design: episode metrics (censoring kept) and run metrics."""
    ok = [r for r in rs if r.ok]
    episodes = [row for r in ok for row in r.episodes]
    declined = not_applicable(ok)
    return {
        "runs": len(rs),
        "failed_runs": len(rs) - len(ok),
        "episodes": len(episodes),
        "not_applicable": "; ".join(declined) if declined and not episodes else None,
        "declined_faults": declined,
        "metrics": {**_episode_metrics(episodes), **_run_metrics(ok)},
    }


def summarize_design(study: Study, design: str, results: list[RunResult],
                     prices: dict[str, float] | None = None) -> dict[str, Any]:
    """The JSON-ready entry of one design: each scenario alone, the verdict per class.

    ``metrics`` holds only run metrics over all its runs (for the availability and
    t-visibility figures) and the share of episodes recovered; RTO, RPO and lost
    writes are under ``scenarios`` alone.
    """
    mine = [r for r in results if r.design == design]
    ok = [r for r in mine if r.ok]
    by_scenario: dict[str, list[RunResult]] = defaultdict(list)
    for r in mine:
        by_scenario[r.scenario].append(r)
    # a seed's scenarios share random streams (common random numbers): one cluster
    rows = [{**row, "_run": r.run_index} for r in ok for row in r.episodes]
    verdict = policy_verdict(rows, policy_targets(study), cluster_key="_run")
    tier, tier_source = ha_architecture_of(study.design(design))
    return {
        "name": design,
        "kind": study.design(design).kind,
        "ha_architecture": tier,
        "ha_architecture_source": tier_source,
        "runs": len(mine),
        "failed_runs": len(mine) - len(ok),
        "errors": [r.error.splitlines()[0] for r in mine if not r.ok][:5],
        "metrics": _run_metrics(ok),  # per-run figures; episode figures are per scenario
        "policy": verdict,
        "not_exercised": [cls for cls, v in verdict.items() if not v["episodes"]],
        "cost_month_usd": monthly_cost(study.design(design), study.workload,
                                       prices or DEFAULT_PRICES),
        "scenarios": {name: summarize_scenario(rs) for name, rs in by_scenario.items()},
    }


def summarize_study(study: Study, results: list[RunResult],
                    prices: dict[str, float] | None = None,
                    decision: Decision | None = None) -> dict[str, Any]:
    """The document ``hadrsim run --json`` and ``compare --json`` write.

    With a policy, each design carries its ``decision`` (per-class status and
    always-valid bounds, :mod:`hadrsim.experiments.decision`) and the document the
    ``recommendation`` (:mod:`hadrsim.experiments.advice`). Without a ``decision``
    (a fixed number of runs) the same rule is read once on ``results``.
    """
    designs = list(dict.fromkeys(r.design for r in results))
    entries = [summarize_design(study, name, results, prices) for name in designs]
    advice = None
    if study.policy:
        if decision is None:
            rule = study.decision
            decision = Decision(results, judge(study, results, prices, designs), False,
                                rule.p_target, rule.confidence, rule.max_runs)
        for entry in entries:
            entry["decision"] = decision.designs[entry["name"]].as_dict()
        advice = recommendation(study, decision)
    rule = study.decision
    return {
        "scenario": study.name,
        "seed": study.seed,
        "runs_per_scenario": max((r.run_index for r in results), default=-1) + 1,
        "scenarios": [s.name for s in study.scenarios],
        "decision_rule": {"p_target": rule.p_target, "confidence": rule.confidence,
                          "max_runs": rule.max_runs, "batch": rule.batch,
                          "sequential": bool(decision is not None and decision.sequential),
                          "method": "one-sided beta-binomial mixture confidence sequence"},
        "designs": entries,
        "recommendation": advice,
        "paired": paired_differences(results),
    }
