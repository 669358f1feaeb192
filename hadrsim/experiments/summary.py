"""From many runs to the answer: per-design statistics and policy verdicts.

Episode metrics (RTO, RPO, lost writes) are summarised per fault episode, run
metrics (availability, latency) per run. A censored RTO (clients had not
recovered by the end of the horizon) enters at its censored value, a lower
bound, and ``recovered_ratio`` says how often that happened.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from hadrsim.experiments.paired import paired_differences
from hadrsim.experiments.policy import PolicyTarget, meets_with_confidence, policy_verdict
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import summarize
from hadrsim.models.designs import ha_architecture_of
from hadrsim.models.pricing import DEFAULT_PRICES, monthly_cost
from hadrsim.spec.study import Study

EPISODE_METRICS = ("rto_write_s", "rto_read_s", "rpo_s", "lost_writes")
RUN_METRICS = (
    "lost_writes_total",
    "availability_write",
    "availability_read",
    "write_success_ratio",
    "read_success_ratio",
    "commit_latency_p50_ms",
    "commit_latency_p99_ms",
    "commit_latency_p999_ms",
    "read_latency_p50_ms",
    "read_latency_p99_ms",
    "stale_reads",
    "stale_read_ratio",
    "ryw_violations",
    "monotonic_read_violations",
    "conflicts",
    "corrupt_reads",
    "lost_updates",
    "split_brain_s",
    "divergent_keys",
    "tvis_p_0s",
    "tvis_p_0_1s",
    "tvis_p_1s",
    "tvis_p_5s",
)


def _metrics(results: list[RunResult]) -> dict[str, dict[str, Any]]:
    episodes = [row for r in results for row in r.episodes]
    out: dict[str, dict[str, Any]] = {}
    for name in EPISODE_METRICS:
        out[name] = summarize([float(row[name]) for row in episodes])
    for name in RUN_METRICS:
        out[name] = summarize([r.metrics.get(name, math.nan) for r in results])
    recovered = [1.0 if row["recovered_write"] else 0.0 for row in episodes]
    out["recovered_ratio"] = summarize(recovered)
    return out


def _policy(study: Study) -> dict[str, PolicyTarget]:
    return {cls: PolicyTarget(t.rto_s, t.rpo_s) for cls, t in study.policy.items()}


def summarize_design(study: Study, design: str, results: list[RunResult],
                     prices: dict[str, float] | None = None) -> dict[str, Any]:
    """The JSON-ready entry of one design (all its scenarios pooled, and each alone)."""
    mine = [r for r in results if r.design == design]
    ok = [r for r in mine if r.ok]
    by_scenario: dict[str, list[RunResult]] = defaultdict(list)
    for r in mine:
        by_scenario[r.scenario].append(r)
    scenarios = {
        name: {
            "runs": len(rs),
            "failed_runs": sum(1 for r in rs if not r.ok),
            "metrics": _metrics([r for r in rs if r.ok]),
        }
        for name, rs in by_scenario.items()
    }
    tier, tier_source = ha_architecture_of(study.design(design))
    return {
        "name": design,
        "kind": study.design(design).kind,
        "ha_architecture": tier,
        "ha_architecture_source": tier_source,
        "runs": len(mine),
        "failed_runs": len(mine) - len(ok),
        "errors": [r.error.splitlines()[0] for r in mine if not r.ok][:5],
        "metrics": _metrics(ok),
        "policy": policy_verdict([row for r in ok for row in r.episodes], _policy(study)),
        "cost_month_usd": monthly_cost(study.design(design), study.workload,
                                       prices or DEFAULT_PRICES),
        "scenarios": scenarios,
    }


def summarize_study(study: Study, results: list[RunResult],
                    prices: dict[str, float] | None = None) -> dict[str, Any]:
    """The document ``hadrsim run --json`` writes."""
    designs = list(dict.fromkeys(r.design for r in results))
    entries = [summarize_design(study, name, results, prices) for name in designs]
    return {
        "scenario": study.name,
        "seed": study.seed,
        "runs_per_scenario": max((r.run_index for r in results), default=-1) + 1,
        "scenarios": [s.name for s in study.scenarios],
        "designs": entries,
        "recommendation": recommend(entries) if study.policy else None,
        "paired": paired_differences(results),
    }


def recommend(entries: list[dict[str, Any]], threshold: float = 0.95) -> dict[str, Any]:
    """The cheapest design whose every policy class is met with >= 95% confidence
    (the Wilson interval's lower bound), or why none is."""
    def confident(entry: dict[str, Any]) -> bool:
        seen = [v for v in entry["policy"].values() if v["episodes"]]
        return bool(seen) and all(meets_with_confidence(v, threshold) for v in seen)

    good = [e for e in entries if confident(e)]
    if good:
        best = min(good, key=lambda e: e["cost_month_usd"]["total"])
        return {"design": best["name"], "cost_month_usd": best["cost_month_usd"]["total"],
                "reason": f"cheapest design meeting every policy class with >= "
                          f"{threshold:.0%} confidence"}
    closest = max(entries, key=lambda e: min(
        (v["ci95"][0] for v in e["policy"].values() if v["episodes"]), default=0.0))
    weak = {cls: round(v["ci95"][0], 3) for cls, v in closest["policy"].items()
            if v["episodes"] and not meets_with_confidence(v, threshold)}
    return {"design": None, "cost_month_usd": None,
            "reason": f"no design meets every class with >= {threshold:.0%} confidence; "
                      f"closest is {closest['name']} (lower bounds below target: {weak}); "
                      "more runs narrow the intervals"}
