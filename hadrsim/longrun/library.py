"""The episode library: what one fault of each class does, measured by the full model.

For every design and every stochastic fault class of the chosen scenario, the
library simulates *episodes conditional on the fault occurring*: the study's
own workload and design, one fault of that class injected at ``warm-up`` with a
repair time from the class's ``mttr_h`` law, every client operation
recorded and measured by the ordinary checkers. Repair times are stratified over
the law (:func:`episode_duration`), impacts are measured. Its rows are the impacts the
renewal Monte Carlo resamples: the fault's duration, the client-observed write
outage (the RTO that availability is made of), lost acknowledged writes (every
workload write, from the commit records) and the loss window.

Episodes run in rounds until the 95% interval of a class's mean outage is
tight (:class:`~hadrsim.spec.longrun.LibrarySpec`), so a class whose impact
barely varies costs a few episodes and a heavy-tailed one gets more. The
library study is an ordinary study (one scenario per class), so episodes go
through the usual executor and results store, and a second call with the same
store simulates nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hadrsim.experiments.montecarlo import RunTask
from hadrsim.simulator.vocabulary import Ev, Metric
from hadrsim.spec.longrun import LibrarySpec
from hadrsim.spec.study import Study

if TYPE_CHECKING:
    from hadrsim.experiments.montecarlo import RunExecutor
    from hadrsim.experiments.run import RunResult
    from hadrsim.experiments.store import ResultsStore
    from hadrsim.spec.faults import FaultScenario, StochasticFault

HOUR_S = 3600.0
TAIL_S = 7200.0
"""Observation after the repair: recovery that outlasts the fault (a restore, a
catch-up, a failback) is measured, not cut off; a client still failing then is censored."""
IDLE_S = 600.0
"""Quiet-time probe interval of library episodes when the study sets none: clients
still probe densely around the fault and every state change (``observe_*``)."""
MIN_DURATION_S = 1e-3
DURATION_QUANTILE = 0.999
"""The per-class scenario of the library study (its store key, never run itself) lasts
to this quantile of the repair law plus the tail; each episode lasts its own."""


@dataclass(frozen=True)
class FaultClass:
    """One stochastic fault class of the study: its law and its library scenario."""

    index: int
    fault: StochasticFault

    @property
    def label(self) -> str:
        where = self.fault.target if self.fault.between is None else "-".join(self.fault.between)
        return f"{self.fault.kind}@{where}"

    @property
    def scenario(self) -> str:
        return f"class-{self.index}"


def fault_classes(study: Study, scenario: str | None = None
                  ) -> tuple[FaultScenario, list[FaultClass]]:
    """The scenario whose stochastic faults are the classes, and its classes.

    ``scenario`` (or ``longrun.scenario``) names it; by default the only scenario
    with stochastic faults. ValueError says which to choose.
    """
    name = scenario or study.longrun.scenario
    candidates = [s for s in study.scenarios if s.stochastic]
    if name is not None:
        chosen = [s for s in study.scenarios if s.name == name]
        if not chosen:
            raise ValueError(f"scenario {name!r}: no such scenario; scenarios: "
                             f"{[s.name for s in study.scenarios]}")
        if not chosen[0].stochastic:
            raise ValueError(f"scenario {name!r} has no stochastic faults: the long-run "
                             "view needs fault classes with mttf_h and mttr_h")
        picked = chosen[0]
    elif len(candidates) == 1:
        picked = candidates[0]
    elif not candidates:
        raise ValueError("no scenario has stochastic faults: the long-run view needs "
                         "fault classes with mttf_h and mttr_h")
    else:
        raise ValueError("several scenarios have stochastic faults: choose one with "
                         f"--scenario or longrun.scenario: {[s.name for s in candidates]}")
    return picked, [FaultClass(i, f) for i, f in enumerate(picked.stochastic)]


def warmup_s(study: Study) -> float:
    """When library faults strike: after the clients' dense observation has begun."""
    return float(study.workload.observe_before_s) + 30.0


def library_study(study: Study, classes: Sequence[FaultClass]) -> Study:
    """The study with one scenario per fault class: that fault at warm-up, repaired
    after a duration from its ``mttr_h`` law (in seconds).

    It names the library (its results-store key: every design is in it, whichever
    ones a call asks for); each episode runs in a copy whose scenario fixes that
    episode's duration (:func:`episode_study`).
    """
    data = json.loads(study.model_dump_json())
    if data["workload"].get("idle_interval_s") is None:
        data["workload"]["idle_interval_s"] = IDLE_S
    start = warmup_s(study)
    scenarios = []
    for fault_class in classes:
        fault = fault_class.fault
        duration = fault.mttr_h.scaled(HOUR_S)
        scheduled = json.loads(fault.model_dump_json(exclude={"mttf_h", "mttr_h"}))
        law = (json.loads(duration.model_dump_json(by_alias=True)) if duration.mean > 0
               else MIN_DURATION_S)  # an instant repair: the shortest fault there is
        scheduled.update(at_s=start, duration_s=law)
        horizon = start + float(duration.ppf(DURATION_QUANTILE)) + TAIL_S
        scenarios.append({"name": fault_class.scenario, "horizon_s": horizon,
                          "scheduled": [scheduled]})
    data.update(name=f"{study.name}-library", scenarios=scenarios, backup_plans=[])
    # what episodes do depends on the designs, workload and faults, not on how many years
    # are drawn, the SLA or the prices: the library study (the store's key) leaves them out
    data.pop("longrun", None)
    return Study.model_validate(data)


def van_der_corput(k: int) -> float:
    """The ``k``-th point of the base-2 van der Corput sequence (0, 1/2, 1/4, 3/4, ...):
    every prefix of it is spread evenly over [0, 1)."""
    point, denominator = 0.0, 1.0
    while k:
        denominator *= 2.0
        k, bit = divmod(k, 2)
        point += bit / denominator
    return point


def episode_duration(lib: Study, fault_class: FaultClass, k: int) -> float:
    """Repair time (s) of episode ``k`` of a class: stratified over its ``mttr_h`` law.

    Episode ``k`` takes the law's quantile at ``vdc(k) + shift`` (mod 1), with one
    uniform ``shift`` per class (a Cranley-Patterson rotation): each episode's
    duration still follows the law exactly, and any first ``n`` episodes cover it
    evenly, so the library's mean repair time is right to O(1/n) instead of the
    O(1/sqrt(n)) of independent draws. The law is known; only the impact is measured.
    """
    from hadrsim.simulator.random import Streams

    shift = float(Streams(lib.seed, 0).generator(
        f"longrun/library/{fault_class.scenario}").random())
    law = fault_class.fault.mttr_h.scaled(HOUR_S)
    level = (van_der_corput(k) + shift) % 1.0
    return max(MIN_DURATION_S, float(law.ppf(level)))


def episode_name(fault_class: FaultClass, k: int) -> str:
    return f"{fault_class.scenario}-ep-{k}"


def episode_study(lib: Study, episodes: Sequence[tuple[FaultClass, int]]) -> Study:
    """The library study with one scenario per episode: its class's fault lasting the
    episode's duration, observed until :data:`TAIL_S` after the repair."""
    data = json.loads(lib.model_dump_json())
    scenarios = []
    for fault_class, k in episodes:
        base = next(s for s in data["scenarios"] if s["name"] == fault_class.scenario)
        duration = episode_duration(lib, fault_class, k)
        fault = {**base["scheduled"][0], "duration_s": duration}
        scenarios.append({"name": episode_name(fault_class, k), "scheduled": [fault],
                          "horizon_s": fault["at_s"] + duration + TAIL_S})
    data.update(scenarios=scenarios)
    return Study.model_validate(data)


@dataclass
class Impacts:
    """Measured impacts of one (design, fault class): one row per episode."""

    duration_s: np.ndarray
    downtime_s: np.ndarray
    censored: np.ndarray
    lost_writes: np.ndarray
    loss_window_s: np.ndarray
    runs: int = 0
    not_applicable: str | None = None
    breakdown: dict[str, float] = field(default_factory=dict)

    @property
    def episodes(self) -> int:
        return len(self.downtime_s)

    @property
    def unknown(self) -> int:
        """Episodes no surviving client observed: their outage is unknown (NaN)."""
        return int(np.isnan(self.downtime_s).sum())

    def precise(self, rel: float, abs_s: float) -> bool:
        """Is the 95% interval of the mean outage within ``rel`` of it (or ``abs_s``)?"""
        n = self.episodes
        if n < 2 or self.unknown:
            return n >= 2  # more episodes cannot make an unobserved outage known
        half = 1.96 * float(np.std(self.downtime_s, ddof=1)) / math.sqrt(n)
        return half <= max(rel * float(np.mean(self.downtime_s)), abs_s)

    def to_dict(self) -> dict[str, Any]:
        known = self.downtime_s[~np.isnan(self.downtime_s)]
        return {
            "episodes": self.episodes, "runs": self.runs,
            "not_applicable": self.not_applicable,
            "mean_downtime_s": float(known.mean()) if known.size else None,
            "p95_downtime_s": float(np.quantile(known, 0.95)) if known.size else None,
            "censored": int(self.censored.sum()), "unknown": self.unknown,
            "mean_lost_writes": float(self.lost_writes.mean()) if self.episodes else None,
            "mean_loss_window_s": float(self.loss_window_s.mean())  # None: some unknown
            if self.episodes and not np.isnan(self.loss_window_s).any() else None,
            "mean_duration_s": float(self.duration_s.mean()) if self.episodes else None,
            **self.breakdown,
        }


def impacts(results: Sequence[RunResult]) -> Impacts:
    """The library rows of one (design, class) from its runs (one fault each)."""
    rows = []
    reason = None
    for result in results:
        if not result.ok:
            raise RuntimeError(f"library episode {result.design}/{result.scenario} run "
                               f"{result.run_index} failed: {result.error}")
        if not result.episodes:
            reason = reason or _declined(result)
            continue
        episode = result.episodes[0]
        end = episode.get("end_s")
        rows.append((
            (end if end is not None else math.inf) - episode["start_s"],
            _nan(episode[Metric.RTO_WRITE_S]),
            not episode[Metric.RECOVERED_WRITE],
            _nan(result.metrics.get("lost_writes_total")),
            _nan(episode[Metric.RPO_S]),
            [_nan(episode.get(k)) for k in _STEPS],
        ))
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    steps = np.array(columns[5], dtype=float).reshape(len(rows), len(_STEPS))
    breakdown = {f"mean_{k}": float(np.nanmean(steps[:, i]))
                 for i, k in enumerate(_STEPS) if rows and not np.isnan(steps[:, i]).all()}
    return Impacts(*(np.array(c, dtype=float if i != 2 else bool)
                     for i, c in enumerate(columns[:5])),
                   runs=len(results), not_applicable=None if rows else reason,
                   breakdown=breakdown)


_STEPS = ("detection_s", "promotion_s", "dns_s")


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def _declined(result: RunResult) -> str:
    for _t, event, _node, detail in result.control:
        if event == Ev.FAULT_NOT_APPLICABLE:
            return detail
    return "the fault created no episode"


Library = dict[tuple[str, int], Impacts]
"""Impacts keyed by (design name, fault class index)."""


def build_library(lib: Study, classes: Sequence[FaultClass], executor: RunExecutor,
                  store: ResultsStore | None = None,
                  progress: Callable[[str], None] | None = None, *,
                  rules: LibrarySpec | None = None,
                  designs: Sequence[str] | None = None) -> Library:
    """Simulate episodes round by round until every (design, class) is precise.

    ``rules``: the study's ``longrun.library``; ``designs``: only these. Stored
    episodes (same library study in ``store``) are reused, not re-run, and the
    rounds are replayed on them: a (design, class) uses its first ``n`` episodes
    for the ``n`` the rule reaches, so the answer never depends on what the store
    happened to hold.
    """
    spec = rules or LibrarySpec()
    names = list(designs) if designs is not None else [d.name for d in lib.designs]
    study_id = store.study_id(lib.name, lib.seed, lib.model_dump_json()) if store else -1
    by_name = {episode_name(c, k): c.index for c in classes for k in range(spec.max_episodes)}
    index = {c.index: c for c in classes}
    have: dict[tuple[str, int], dict[int, RunResult]] = {
        (name, c.index): {} for name in names for c in classes}
    if store is not None:
        for result in store.results(study_id):
            key = (result.design, by_name.get(result.scenario, -1))
            if key in have:
                have[key][result.run_index] = result
    on_result = None if store is None else (lambda r: store.add(study_id, r))
    size = dict.fromkeys(have, spec.min_episodes)
    while True:
        library, wanted = _replay(have, size, spec)
        if not wanted:
            return library
        if progress is not None:
            progress(f"episode library: {len(wanted)} episodes "
                     f"({sum(len(h) for h in have.values())} done)")
        episodes = sorted({(i, k) for _d, i, k in wanted})
        study = episode_study(lib, [(index[i], k) for i, k in episodes])
        tasks = [RunTask(d, episode_name(index[i], k), k) for d, i, k in wanted]
        for result in executor.run(tasks, on_result, study=study):
            have[(result.design, by_name[result.scenario])][result.run_index] = result


def _replay(have: dict[tuple[str, int], dict[int, RunResult]],
            size: dict[tuple[str, int], int], spec: LibrarySpec
            ) -> tuple[Library, list[tuple[str, int, int]]]:
    """Advance each (design, class) through its rounds (``min_episodes``, then doubling,
    at most ``max_episodes``) as far as its episodes allow: the library so far, and the
    ``(design, class, episode)`` still to run."""
    library: Library = {}
    wanted: list[tuple[str, int, int]] = []
    for key, results in have.items():
        while True:
            missing = [k for k in range(size[key]) if k not in results]
            if missing:
                wanted += [(key[0], key[1], k) for k in missing]
                break
            rows = impacts([results[k] for k in range(size[key])])
            library[key] = rows
            if size[key] >= spec.max_episodes or rows.not_applicable is not None or \
                    rows.precise(spec.rel_precision, spec.abs_precision_s):
                break
            size[key] = min(spec.max_episodes, size[key] * 2)
    return library, wanted
