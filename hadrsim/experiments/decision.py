"""The sequential decision: run seeds in batches until each verdict that matters is proven.

A verdict is per (design, disruption class), over the episodes of every scenario
of that class, one observation per seed (run index): the share of that seed's
episodes of the class, over all its scenarios, that met the policy. Seeds are
independent; the scenarios of one seed are not (they draw the same named random
streams — the same operator delay, say — as common random numbers), nor are the
episodes of one run, so each seed counts once.
After each batch the always-valid bounds of :mod:`hadrsim.experiments.confidence`
decide it: the lower bound >= ``p_target`` proves *meets*, the upper bound
< ``p_target`` proves *fails*, else it is *open*. A design *fails* as soon as one
class fails, *meets* when every exercised class meets.

Which runs come next (only where the answer can still change):

- the first batch runs every design under every scenario (figures for all);
- then only the cheapest candidate design whose verdict is open continues, and only
  while no cheaper candidate is proven to meet: a costlier design cannot become the
  recommendation, a cheaper one decides first (each bound is valid at any stopping
  time, so choosing what to run from the data costs no confidence);
- it runs only the scenarios that produced episodes of a class still open;
- up to ``max_runs`` run indices per design: an open verdict there is *undecided*.

Run ``i`` is the same seed for every design (common random numbers). With
``runs`` given the rule is not sequential: every design runs ``runs`` indices and
the same bounds are read once. Results already in a store are reused, and the
batches are a pure function of the results, so a resumed decision replays the
same batches and reaches the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hadrsim.experiments.confidence import confidence_bounds, log_evidence
from hadrsim.experiments.montecarlo import RunTask
from hadrsim.experiments.policy import PolicyTarget, episode_meets
from hadrsim.experiments.run import RunResult
from hadrsim.models.pricing import DEFAULT_PRICES, monthly_cost
from hadrsim.spec.kinds import engine_of
from hadrsim.spec.study import Study

__all__ = ["ClassVerdict", "Decision", "DesignVerdict", "decide", "judge"]

RunBatch = Callable[[list[RunTask]], list[RunResult]]


@dataclass(frozen=True)
class ClassVerdict:
    """One (design, class): runs observed, episodes met, always-valid bounds, status."""

    status: str  # "meets" | "fails" | "open" | "not exercised"
    runs: int  # seeds observed (one observation each)
    episodes: int
    met: int
    p_met: float
    lower: float
    upper: float
    score: float = 0.0  # sum over runs of the share of the run's episodes that met

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DesignVerdict:
    """A design's verdicts, cost, whether it is a candidate, how many run indices it used."""

    name: str
    cost: float
    runs: int
    classes: dict[str, ClassVerdict]
    not_candidate: str | None = None

    @property
    def status(self) -> str:
        seen = [v.status for v in self.classes.values() if v.status != "not exercised"]
        if not seen:
            return "not exercised"
        if "fails" in seen:
            return "fails"
        return "meets" if all(s == "meets" for s in seen) else "open"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "runs": self.runs,
                "candidate": self.not_candidate is None, "not_candidate": self.not_candidate,
                "classes": {c: v.as_dict() for c, v in self.classes.items()}}


@dataclass
class Decision:
    """What :func:`decide` returns: every run, and the verdicts they support."""

    results: list[RunResult]
    designs: dict[str, DesignVerdict]
    sequential: bool
    p_target: float
    confidence: float
    max_runs: int


def policy_targets(study: Study) -> dict[str, PolicyTarget]:
    """The study's policy as :class:`PolicyTarget` per disruption class."""
    return {cls: PolicyTarget(t.rto_s, t.rpo_s) for cls, t in study.policy.items()}


def class_verdicts(study: Study, results: Iterable[RunResult]) -> dict[str, ClassVerdict]:
    """Per policy class: one observation per seed (its share of the class's episodes met)."""
    rule, policy = study.decision, policy_targets(study)
    per_run: dict[str, dict[int, list[int]]] = {c: {} for c in policy}
    for r in results:
        if not r.ok:
            continue
        for row in r.episodes:
            cls = row["disruption"]
            if cls in per_run:
                count = per_run[cls].setdefault(r.run_index, [0, 0])
                count[0] += 1
                count[1] += episode_meets(row, policy[cls])
    out = {}
    for cls, runs in per_run.items():
        episodes = sum(n for n, _ in runs.values())
        met = sum(m for _, m in runs.values())
        if not runs:
            out[cls] = ClassVerdict("not exercised", 0, 0, 0, math.nan, math.nan, math.nan)
            continue
        shares = [m / n for n, m in runs.values()]
        bounds = confidence_bounds(shares, rule.p_target, rule.confidence)
        status = ("meets" if bounds.lower >= rule.p_target
                  else "fails" if bounds.upper < rule.p_target else "open")
        out[cls] = ClassVerdict(status, len(runs), episodes, met, met / episodes,
                                bounds.lower, bounds.upper, float(sum(shares)))
    return out


def not_candidate(study: Study, design: str, cost: float) -> str | None:
    """Why a design breaks the study's constraints ("engine dynamodb, ..."), or None."""
    rules = study.constraints
    engines = rules.engines()
    engine = engine_of(study.design(design))
    if engines is not None and engine not in engines:
        return f"engine {engine}; the study allows {', '.join(engines)}"
    if rules.max_cost_month_usd is not None and cost > rules.max_cost_month_usd:
        return f"cost ${cost:,.0f}/month over the ${rules.max_cost_month_usd:,.0f} budget"
    return None


def judge(study: Study, results: list[RunResult], prices: dict[str, float] | None = None,
          designs: list[str] | None = None) -> dict[str, DesignVerdict]:
    """The verdicts these results support, per design (in study order)."""
    names = designs or list(dict.fromkeys(r.design for r in results))
    by_design: dict[str, list[RunResult]] = {name: [] for name in names}
    for r in results:
        if r.design in by_design:
            by_design[r.design].append(r)
    out = {}
    for name in names:
        cost = monthly_cost(study.design(name), study.workload,
                            prices or DEFAULT_PRICES)["total"]
        mine = by_design[name]
        out[name] = DesignVerdict(
            name, cost, runs=max((r.run_index for r in mine), default=-1) + 1,
            classes=class_verdicts(study, mine), not_candidate=not_candidate(study, name, cost))
    return out


def _next_design(verdicts: dict[str, DesignVerdict], capped: set[str]) -> str | None:
    """The cheapest open candidate, if no cheaper candidate is proven to meet."""
    candidates = sorted((v for v in verdicts.values() if v.not_candidate is None),
                        key=lambda v: v.cost)
    for v in candidates:
        if v.status == "meets":
            return None
        if v.status == "open" and v.name not in capped:
            return v.name
    return None


def runs_to_prove(verdict: ClassVerdict, p_target: float, confidence: float,
                  cap: int = 100_000) -> int:
    """How many more observations, all meeting, would prove "meets" (0 if proven).

    The next batch is at least this long: fewer could not decide, and the bounds stay
    valid whatever the batch sizes (they are chosen from the data seen so far).
    """
    met = verdict.score
    level = math.log(1.0 / (1.0 - confidence))

    def proven(extra: int) -> bool:
        total = verdict.runs + extra
        return total > 0 and log_evidence(met + extra, total, p_target, p_target,
                                          True) >= level

    if proven(0):
        return 0
    low, high = 0, 1
    while high < cap and not proven(high):
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if proven(mid) else (mid, high)
    return high


def _next_tasks(study: Study, verdict: DesignVerdict, results: list[RunResult]) -> list[RunTask]:
    """The next batch of a design: per scenario that touched an open class, at least
    ``batch`` more seeds, or as many as an open class needs to be proven."""
    rule = study.decision
    open_classes = {c: v for c, v in verdict.classes.items() if v.status == "open"}
    seen: dict[str, set[str]] = {}
    done: dict[str, int] = {}
    for r in results:
        if r.design == verdict.name:
            seen.setdefault(r.scenario, set()).update(row["disruption"] for row in r.episodes)
            done[r.scenario] = max(done.get(r.scenario, 0), r.run_index + 1)
    tasks = []
    for scenario in (s.name for s in study.scenarios):
        touched = seen.get(scenario, set()) & set(open_classes)
        if not touched:
            continue
        need = max(runs_to_prove(open_classes[c], rule.p_target, rule.confidence)
                   for c in touched)
        start = done.get(scenario, 0)
        stop = min(start + max(rule.batch, need), rule.max_runs)
        tasks += [RunTask(verdict.name, scenario, i) for i in range(start, stop)]
    return tasks


def decide(study: Study, run_batch: RunBatch, *, designs: list[str] | None = None,
           runs: int | None = None, prices: dict[str, float] | None = None,
           stored: Iterable[RunResult] = ()) -> Decision:
    """Run batches through ``run_batch`` until every verdict that matters is decided.

    ``run_batch(tasks)`` returns the runs of ``tasks`` (an executor's ``run``);
    ``stored`` are results already computed (a store being resumed): a task found
    there is not run again. ``runs`` fixes the number of run indices instead.
    """
    rule = study.decision
    names = designs or [d.name for d in study.designs]
    have = {(r.design, r.scenario, r.run_index): r for r in stored}
    used: dict[tuple[str, str, int], RunResult] = {}

    def run(tasks: list[RunTask]) -> None:
        missing = [t for t in tasks if (t.design, t.scenario, t.run_index) not in have]
        for result in run_batch(missing) if missing else []:
            have[(result.design, result.scenario, result.run_index)] = result
        for t in tasks:
            used[(t.design, t.scenario, t.run_index)] = have[(t.design, t.scenario, t.run_index)]

    scenarios = [s.name for s in study.scenarios]
    first = runs if runs is not None else min(rule.batch, rule.max_runs)
    run([RunTask(d, s, i) for i in range(first) for d in names for s in scenarios])
    capped: set[str] = set()
    while runs is None:
        results = list(used.values())
        verdicts = judge(study, results, prices, names)
        name = _next_design(verdicts, capped)
        if name is None:
            break
        tasks = _next_tasks(study, verdicts[name], results)
        if not tasks:
            capped.add(name)
            continue
        run(tasks)
    results = sorted(used.values(), key=lambda r: (r.run_index, names.index(r.design),
                                                   scenarios.index(r.scenario)))
    verdicts = judge(study, results, prices, names)
    return Decision(results, verdicts, runs is None, rule.p_target, rule.confidence,
                    rule.max_runs)
