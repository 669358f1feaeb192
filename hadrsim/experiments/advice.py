"""The recommendation and the paragraph a person reads first.

From a :class:`~hadrsim.experiments.decision.Decision`: the cheapest candidate
proven to meet every exercised class, *decided* when every verdict it rests on is
proven (it meets; each cheaper candidate fails). When no candidate meets, the
cheapest one that comes closest, and which target it misses by how much. The
paragraph also says what the confidence applies to and names the assumed figures
(calibration.md's ASM rows) the verdict depends on, so a user knows what to check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hadrsim.experiments.decision import ClassVerdict, Decision, DesignVerdict
from hadrsim.experiments.policy import PolicyTarget, episode_meets
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import summarize_censored
from hadrsim.simulator.vocabulary import Metric
from hadrsim.spec.distributions import Dist
from hadrsim.spec.faults import Faults
from hadrsim.spec.kinds import dr_tier_of as ha_architecture_of
from hadrsim.spec.kinds import kind_of
from hadrsim.spec.study import Study

__all__ = ["recommendation"]


@dataclass(frozen=True)
class Assumption:
    """An assumed figure (no published source) a verdict of ``classes`` depends on."""

    name: str
    classes: tuple[str, ...]
    source: str


def _median(dist: Dist) -> str:
    """A distribution's median (its value, or mean when it has no median field), worded."""
    value = getattr(dist, "median", None) or getattr(dist, "value", None)
    if value is None:
        value = getattr(dist, "mean_value", None) or getattr(dist, "mean", math.nan)
    return f"{value / 60:,.0f} min" if value >= 120 else f"{value:,.0f} s"


def assumptions(study: Study, design: str) -> list[str]:
    """The ASM figures behind this design's verdicts, worded with the study's values."""
    spec = study.design(design)
    scenario_classes = {s.name: {f.disruption_class for f in [*s.scheduled, *s.stochastic]}
                        for s in study.scenarios}
    classes = set().union(*scenario_classes.values()) & set(study.policy)
    out = []
    cross_region = ha_architecture_of(spec)[0] in ("PilotLight", "WarmStandby")
    if "Region" in classes and cross_region and study.failover.mode == "manual":
        out.append(f"operator delay before a cross-Region promotion, median "
                  f"{_median(study.failover.operator_delay_s)} (§4)")
    corruption = [f for s in study.scenarios for f in s.scheduled
                  if f.kind == Faults.LOGICAL_CORRUPTION]
    if "Software" in classes and corruption:
        f = corruption[0]
        out.append(f"a corruption noticed after a median {_median(f.detection_s)} and a "
                   f"restore decided after {_median(f.decision_s)}")
        out.append("a restore taking 15 min (10-40, §1)")
    traits = kind_of(spec).traits(spec)
    if "Hardware" in classes and traits.no_standby and not traits.no_hosts:  # host replaced
        out.append("a failed host replaced in 10 min (5-30, §1)")
    return out


def _classes_text(v: DesignVerdict, p_target: float) -> str:
    groups: dict[int, list[str]] = {}
    for cls, c in v.classes.items():
        if c.status == "meets":
            groups.setdefault(c.runs, []).append(cls)
    return "; ".join(f"{', '.join(names)} >= {p_target:.0%} after {n} runs"
                     for n, names in groups.items())


def miss(study: Study, results: list[RunResult], design: str, cls: str) -> str:
    """Which target a (design, class) misses, by how much, in which scenario."""
    target = study.policy[cls]
    rows = [(r.scenario, row) for r in results if r.design == design and r.ok
            for row in r.episodes if row["disruption"] == cls]
    if not rows:
        return "no episode"
    by_scenario: dict[str, list[dict[str, Any]]] = {}
    for scenario, row in rows:
        by_scenario.setdefault(scenario, []).append(row)
    worst = max(by_scenario.items(), key=lambda kv: _misses(kv[1], target))
    scenario, eps = worst
    unrecovered = sum(row[Metric.RECOVERED_WRITE] is not True for row in eps)
    rto = summarize_censored([float(r[Metric.RTO_WRITE_S]) for r in eps],
                             [r[Metric.RECOVERED_WRITE] is not True for r in eps])
    rto_over = sum(float(r[Metric.RTO_WRITE_S]) > target.rto_s
                   or r[Metric.RECOVERED_WRITE] is not True for r in eps)
    rpo = [float(r[Metric.RPO_S]) for r in eps]
    rpo_over = sum(not (v <= target.rpo_s) for v in rpo)
    if rto_over >= rpo_over:
        p95 = f"{'> ' if 'p95' in rto['above'] else ''}{rto['p95']:,.0f}"
        text = f"RTO p95 {p95} s vs {target.rto_s:,.0f} s target in {scenario}"
        if unrecovered:
            text += f" ({unrecovered} of {len(eps)} not recovered within the window)"
        return text
    known = [v for v in rpo if not math.isnan(v)]
    worst_rpo = f"{max(known):,.0f} s" if known else "unknown"
    unknown = len(rpo) - len(known)
    extra = f", {unknown} unknown" if unknown else ""
    return f"RPO max {worst_rpo} vs {target.rpo_s:,.0f} s target in {scenario}{extra}"


def _misses(rows: list[dict[str, Any]], target) -> float:
    """The share of these episodes that missed ``target`` (a policy entry)."""
    goal = PolicyTarget(target.rto_s, target.rpo_s)
    return sum(not episode_meets(r, goal) for r in rows) / len(rows)


def _failing(v: DesignVerdict) -> list[tuple[str, ClassVerdict]]:
    return [(c, cv) for c, cv in v.classes.items() if cv.status == "fails"]


def _label(study: Study, v: DesignVerdict) -> str:
    tier = ha_architecture_of(study.design(v.name))[0]
    return f"{v.name} ({tier + ', ' if tier else ''}${v.cost:,.0f}/month)"


def recommendation(study: Study, decision: Decision) -> dict[str, Any]:
    """``{design, decided, runs, sentence, ...}`` for the JSON document and the terminal."""
    verdicts = decision.designs
    candidates = sorted((v for v in verdicts.values() if v.not_candidate is None),
                        key=lambda v: v.cost)
    pick = next((v for v in candidates if v.status == "meets"), None)
    cheaper = [v for v in candidates if pick is None or v.cost < pick.cost]
    decided = all(v.status in ("fails", "not exercised") for v in cheaper)
    lines = []
    p = decision.p_target
    subset = len(verdicts) < len(study.designs)  # --design: only these were decided
    if pick is not None:
        skipped = [c for c, cv in pick.classes.items() if cv.status == "not exercised"]
        verb = (f"Of the designs decided here ({', '.join(verdicts)}), choose" if subset
                else "Choose")
        head = (f"{verb} {_label(study, pick)}: meets every class "
                f"({_classes_text(pick, p)})")
        if skipped:
            head += f"; not exercised (no episode, neither passed nor failed): {', '.join(skipped)}"
        lines.append(head + ".")
    else:
        lines.append(_none_sentence(study, decision, candidates))
    failed = [v for v in cheaper if v.status == "fails"]
    if failed:
        word = "Cheaper designs fail" if pick is not None else "Candidates that fail"
        lines.append(f"{word}: " + "; ".join(
            f"{v.name} — " + ", ".join(f"{c} {cv.p_met:.0%}" for c, cv in _failing(v))
            for v in failed) + ".")
    open_cheaper = [v for v in cheaper if v.status == "open"]
    if open_cheaper:
        more = (f"raise decision.max_runs ({decision.max_runs})" if decision.sequential
                else "run without --runs (the sequential rule runs until it decides)")
        lines.append("Undecided: " + "; ".join(
            f"{v.name} still open after {v.runs} runs ("
            + ", ".join(f"{c} {cv.p_met:.0%}, bounds {cv.lower * 100:.0f}-"
                        f"{cv.upper * 100:.0f}%"
                        for c, cv in v.classes.items() if cv.status == "open") + ")"
            for v in open_cheaper) + f"; {more}.")
    outside: dict[str, list[str]] = {}
    for v in verdicts.values():
        if v.not_candidate is not None:
            outside.setdefault(v.not_candidate, []).append(v.name)
    for why, names in outside.items():
        lines.append(f"Not candidates ({why}): {', '.join(names)}.")
    lines.append(f"Confidence: {decision.confidence:.1%} one-sided for each (design, class) "
                 f"verdict, valid at every look (a confidence sequence).")
    focus = pick or _closest(candidates)
    if focus is not None:
        assumed = assumptions(study, focus.name)
        if assumed:
            lines.append("Assumed figures it rests on (calibration.md ASM; check them for "
                         "your system): " + "; ".join(assumed) + ".")
    return {
        "design": pick.name if pick is not None else None,
        "decided": bool(decided and (pick is not None or all(
            v.status in ("fails", "not exercised") for v in candidates))),
        "cost_month_usd": pick.cost if pick is not None else None,
        "not_exercised": [c for c, cv in pick.classes.items()
                          if cv.status == "not exercised"] if pick is not None else [],
        "runs": {name: v.runs for name, v in verdicts.items()},
        "sentence": " ".join(lines),
        "reason": lines[0],
    }


def _closest(candidates: list[DesignVerdict]) -> DesignVerdict | None:
    """The cheapest candidate among those with the most classes met, then the best share."""
    if not candidates:
        return None
    def score(v: DesignVerdict) -> tuple[int, float, float]:
        seen = [cv for cv in v.classes.values() if cv.status != "not exercised"]
        return (sum(cv.status == "meets" for cv in seen),
                sum(cv.p_met for cv in seen), -v.cost)
    return max(candidates, key=score)


def _none_sentence(study: Study, decision: Decision,
                   candidates: list[DesignVerdict]) -> str:
    if not candidates:
        return "No design is a candidate under the study's constraints."
    best = _closest(candidates)
    assert best is not None
    gaps = [f"{c} met in {cv.p_met:.0%} of {cv.runs} runs, not proven yet" if cv.met == cv.episodes
            else f"{c} met in {cv.p_met:.0%} ({miss(study, decision.results, best.name, c)})"
            for c, cv in best.classes.items() if cv.status in ("fails", "open")]
    proven = all(v.status in ("fails", "not exercised") for v in candidates)
    head = ("No candidate meets the policy." if proven
            else "No candidate is proven to meet the policy yet.")
    return f"{head} Closest: {_label(study, best)}: " + "; ".join(gaps) + "."
