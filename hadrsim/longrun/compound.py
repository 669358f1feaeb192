"""Compound faults: overlapping occurrences simulated in full, never composed.

When the Monte Carlo draws a second fault inside an earlier one's impact window
(the standby dies while the old primary is still being repaired), the two
impacts are not independent and adding them would be wrong in either
direction. Each such group is a scenario of its own: the same faults at the
same offsets with the same repair times, on the same design, measured by the
ordinary checkers. When there are more groups than ``library.max_compound``, a
uniformly random sample of them is simulated (at least one of every
combination of classes) and the others resample the simulated groups of their
combination — a two-phase sample of the same conditional distribution.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hadrsim.longrun.library import MIN_DURATION_S, TAIL_S, FaultClass, warmup_s
from hadrsim.simulator.vocabulary import Metric
from hadrsim.spec.study import Study

if TYPE_CHECKING:
    from hadrsim.experiments.montecarlo import RunExecutor
    from hadrsim.experiments.run import RunResult
    from hadrsim.experiments.store import ResultsStore


@dataclass(frozen=True)
class Group:
    """One compound group: its faults as (class, offset from the first, duration)."""

    design: str
    faults: tuple[tuple[int, float, float], ...]

    @property
    def signature(self) -> tuple[int, ...]:
        return tuple(sorted(c for c, _o, _d in self.faults))


@dataclass(frozen=True)
class GroupImpact:
    """What a simulated group did: the union of its write outages, its losses."""

    downtime_s: float
    censored: bool
    lost_writes: float
    loss_window_s: float


def compound_study(lib: Study, classes: Sequence[FaultClass], groups: Sequence[Group]
                   ) -> Study:
    """The library study with one scenario per group (its faults at their offsets)."""
    data = json.loads(lib.model_dump_json())
    start = warmup_s(lib)
    by_index = {c.index: c for c in classes}
    scenarios = []
    for k, group in enumerate(groups):
        scheduled = []
        for cls, offset, duration in group.faults:
            fault = json.loads(by_index[cls].fault.model_dump_json(
                exclude={"mttf_h", "mttr_h"}))
            fault.update(at_s=start + offset, duration_s=max(duration, MIN_DURATION_S))
            scheduled.append(fault)
        horizon = start + max(o + d for _c, o, d in group.faults) + TAIL_S
        scenarios.append({"name": f"compound-{k}", "horizon_s": horizon,
                          "scheduled": scheduled})
    data.update(name=f"{lib.name}-compound", scenarios=scenarios)
    return Study.model_validate(data)


def measure(result: RunResult, horizon_s: float) -> GroupImpact:
    """The group's outage: the union of its episodes' write outages (as availability).

    ``horizon_s`` is the scenario's (a result read back from a store does not carry it).
    """
    if not result.ok:
        raise RuntimeError(f"compound episode {result.design}/{result.scenario} failed: "
                           f"{result.error}")
    availability = result.metrics.get(Metric.AVAILABILITY_WRITE, math.nan)
    down = (1.0 - availability) * horizon_s  # NaN (unobserved) stays NaN
    censored = any(not e[Metric.RECOVERED_WRITE] for e in result.episodes)
    windows = [e[Metric.RPO_S] for e in result.episodes]
    window = float(sum(math.nan if w is None else w for w in windows))
    lost = result.metrics.get("lost_writes_total", math.nan)
    return GroupImpact(down, censored, float(lost), window)


def sample(groups_by_signature: dict[tuple[int, ...], list[int]], cap: int,
           rng: np.random.Generator) -> list[int]:
    """Which groups to simulate: all if at most ``cap``, else a uniform sample of
    ``cap`` (at least one per signature, shares proportional to their counts)."""
    total = sum(len(g) for g in groups_by_signature.values())
    signatures = sorted(groups_by_signature)
    if total <= cap:
        return [k for s in signatures for k in groups_by_signature[s]]
    exact = [cap * len(groups_by_signature[s]) / total for s in signatures]
    quotas = [max(1, math.floor(x)) for x in exact]
    by_remainder = sorted(range(len(signatures)), key=lambda i: exact[i] - quotas[i],
                          reverse=True)
    for i in by_remainder[:max(0, cap - sum(quotas))]:
        quotas[i] += 1  # largest remainders first, so the quotas add up to the cap
    while sum(quotas) > cap and max(quotas) > 1:  # the "at least one" took too many
        quotas[quotas.index(max(quotas))] -= 1
    chosen: list[int] = []
    for signature, quota in zip(signatures, quotas, strict=True):
        members = groups_by_signature[signature]
        picks = rng.choice(len(members), size=min(quota, len(members)), replace=False)
        chosen += [members[i] for i in sorted(picks)]
    return chosen


def simulate_groups(lib: Study, classes: Sequence[FaultClass], groups: Sequence[Group],
                    executor: RunExecutor, store: ResultsStore | None = None
                    ) -> list[GroupImpact]:
    """Simulate each group once (run index = its number) and measure it.

    With ``store``, groups already simulated for this exact compound study (same
    library, seed and draws) are read back, the others stored as they finish.
    """
    from hadrsim.experiments.montecarlo import RunTask

    if not groups:
        return []
    study = compound_study(lib, classes, groups)
    tasks = [RunTask(g.design, f"compound-{k}", k) for k, g in enumerate(groups)]
    done: dict[str, RunResult] = {}
    on_result = None
    if store is not None:
        study_id = store.study_id(study.name, study.seed, study.model_dump_json())
        done = {r.scenario: r for r in store.results(study_id)}
        on_result = lambda result: store.add(study_id, result)  # noqa: E731
    missing = [t for t in tasks if t.scenario not in done]
    for result in executor.run(missing, on_result, study=study):
        done[result.scenario] = result
    horizons = {s.name: study.horizon_for(s) for s in study.scenarios}
    return [measure(done[t.scenario], horizons[t.scenario]) for t in tasks]
