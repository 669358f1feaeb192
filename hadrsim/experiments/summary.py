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

from hadrsim.experiments.paired import paired_differences
from hadrsim.experiments.policy import PolicyTarget, meets_with_confidence, policy_verdict
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import NONNEGATIVE, UNIT, summarize, summarize_censored
from hadrsim.models.designs import ha_architecture_of
from hadrsim.models.pricing import DEFAULT_PRICES, monthly_cost
from hadrsim.spec.study import Study

NOT_APPLICABLE_EVENT = "fault_not_applicable"
_FRACTIONS = ("availability_", "_ratio", "tvis_p_")
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


def domain_of(metric: str) -> tuple[float, float]:
    """The metric's domain: [0, 1] for ratios and availabilities, else [0, inf)."""
    return UNIT if any(part in metric for part in _FRACTIONS) else NONNEGATIVE


def _episode_metrics(episodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, flag in (("rto_write_s", "recovered_write"), ("rto_read_s", "recovered_read")):
        out[name] = summarize_censored([float(row[name]) for row in episodes],
                                       [row.get(flag) is not True for row in episodes])
    for name in ("rpo_s", "lost_writes"):
        out[name] = summarize([float(row[name]) for row in episodes], NONNEGATIVE)
    out["recovered_ratio"] = summarize(
        [1.0 if row["recovered_write"] is True else 0.0 for row in episodes], UNIT)
    return out


def _run_metrics(results: list[RunResult]) -> dict[str, dict[str, Any]]:
    return {name: summarize([r.metrics.get(name, math.nan) for r in results], domain_of(name))
            for name in RUN_METRICS}


def not_applicable(results: list[RunResult]) -> list[str]:
    """The distinct "<fault kind>: <reason>" of faults these runs' design declined."""
    return list(dict.fromkeys(detail for r in results for _, event, _, detail in r.control
                              if event == NOT_APPLICABLE_EVENT))


def _scenario_entry(rs: list[RunResult]) -> dict[str, Any]:
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


def _policy(study: Study) -> dict[str, PolicyTarget]:
    return {cls: PolicyTarget(t.rto_s, t.rpo_s) for cls, t in study.policy.items()}


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
    rows = [{**row, "_run": (r.scenario, r.run_index)} for r in ok for row in r.episodes]
    verdict = policy_verdict(rows, _policy(study), cluster_key="_run")
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
        "scenarios": {name: _scenario_entry(rs) for name, rs in by_scenario.items()},
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
    """The cheapest design whose every exercised policy class is met with >= 95%
    confidence (the interval's lower bound), or why none is.

    A class with no episode for a design (no fault of that class applied to it)
    is *not exercised*: it neither passes nor fails, and the answer names it
    (``not_exercised`` and the reason), so that nobody reads it as passed.
    """
    def unexercised(entry: dict[str, Any]) -> list[str]:
        return [cls for cls, v in entry["policy"].items() if not v["episodes"]]

    def confident(entry: dict[str, Any]) -> bool:
        seen = [v for v in entry["policy"].values() if v["episodes"]]
        return bool(seen) and all(meets_with_confidence(v, threshold) for v in seen)

    good = [e for e in entries if confident(e)]
    if good:
        best = min(good, key=lambda e: e["cost_month_usd"]["total"])
        skipped = unexercised(best)
        reason = (f"cheapest design meeting every exercised policy class with >= "
                  f"{threshold:.0%} confidence")
        if skipped:
            reason += (f"; not exercised for {best['name']} (no episode, neither passed nor "
                       f"failed): {', '.join(skipped)}")
        return {"design": best["name"], "cost_month_usd": best["cost_month_usd"]["total"],
                "not_exercised": skipped, "reason": reason}
    def nearness(entry: dict[str, Any]) -> tuple[int, float]:
        seen = [v for v in entry["policy"].values() if v["episodes"]]
        return (sum(meets_with_confidence(v, threshold) for v in seen),
                sum(float(v["ci95"][0]) for v in seen))

    closest = max(entries, key=nearness)  # most classes met, then the highest lower bounds
    weak = {cls: round(v["ci95"][0], 3) for cls, v in closest["policy"].items()
            if v["episodes"] and not meets_with_confidence(v, threshold)}
    skipped = unexercised(closest)
    reason = (f"no design meets every class with >= {threshold:.0%} confidence; "
              f"closest is {closest['name']} (lower bounds below target: {weak}")
    if skipped:
        reason += f"; not exercised: {', '.join(skipped)}"
    return {"design": None, "cost_month_usd": None, "not_exercised": skipped,
            "reason": reason + "); more runs narrow the intervals"}
