"""Sweeps: run a study over a grid of values set by dotted paths into the spec.

A path addresses the study file as written: ``workload.write_rate_per_s``,
``designs.0.replicas.0.region``; a list item may also be named by its ``name``
(``designs.multi-az.promotion_s``). Every grid point is validated like a study
file, so a bad value is reported with its path before anything runs. The result
is tidy: one row per (parameters, design, scenario, run index), ready for pandas.

:func:`decide_sweep` makes ``compare``'s sequential decision at every grid point
instead (one row per parameters and design), which shows where the choice flips.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import yaml

from hadrsim.experiments.advice import recommendation
from hadrsim.experiments.decision import decide
from hadrsim.experiments.montecarlo import RunExecutor, RunTask, plan_runs
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.store import ResultsStore
from hadrsim.spec.loader import SpecError, parse_study
from hadrsim.spec.study import Study


class SweepError(ValueError):
    """A ``--set`` that cannot be applied: the message names the path and why."""


def parse_assignment(text: str) -> tuple[str, list[Any]]:
    """``"PATH=V1,V2"`` -> ``(PATH, [V1, V2])``; values are YAML scalars (5, true, a name)."""
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise SweepError(f"--set {text!r}: expected PATH=VALUE[,VALUE...]")
    return path.strip(), [yaml.safe_load(v.strip()) for v in values.split(",")]


def set_path(data: dict, path: str, value: Any) -> dict:
    """A copy of ``data`` (a study as a dict) with ``value`` at dotted ``path``."""
    data = _copy(data)
    parts = path.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            index = _index(node, part, where)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node or node[part] is None:
                    node[part] = {}
                node = node[part]
        else:
            raise SweepError(f"--set {where}: cannot go into a {type(node).__name__} value")
    return data


def _index(items: list, part: str, where: str) -> int:
    if part.lstrip("-").isdigit():
        index = int(part)
        if not 0 <= index < len(items):
            raise SweepError(f"--set {where}: no item {index} (the list has {len(items)})")
        return index
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return index
    names = [item.get("name") for item in items if isinstance(item, dict)]
    raise SweepError(f"--set {where}: no item named {part!r}; names: {names}")


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def grid(assignments: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """Every combination of the assigned values (the cartesian product).

    A path given twice is an error: the grid point's parameters are keyed by path,
    so the second --set would silently replace the first.
    """
    paths = [path for path, _ in assignments]
    for i, path in enumerate(paths):
        if path in paths[:i]:
            raise SweepError(f"--set {path}: given twice; give all its values in one "
                             f"--set {path}=V1,V2,...")
    return [dict(zip(paths, combo, strict=True))
            for combo in itertools.product(*(values for _, values in assignments))]


def sweep_studies(study: Study, assignments: Sequence[tuple[str, list[Any]]]
                  ) -> list[tuple[dict[str, Any], Study]]:
    """The validated study of every grid point; the first bad point raises SweepError."""
    base = study.model_dump(mode="json", by_alias=True, exclude_none=True)
    points = []
    for params in grid(assignments):
        data = base
        for path, value in params.items():
            data = set_path(data, path, value)
        try:
            points.append((params, parse_study(data, "sweep")))
        except SpecError as exc:
            shown = ", ".join(f"{p}={v!r}" for p, v in params.items())
            raise SweepError(f"--set {shown}: " + "; ".join(exc.problems)) from None
    return points


@dataclass
class SweepPoint:
    """One grid point: its parameters, its validated study and the runs still to do."""

    params: dict[str, Any]
    study: Study
    tasks: list[RunTask]
    wanted: set[tuple[str, str, int]]


def plan_sweep(study: Study, assignments: Sequence[tuple[str, list[Any]]],
               runs: int | None = None, store: ResultsStore | None = None,
               resume: bool = False) -> list[SweepPoint]:
    """Every grid point with its runs; with ``resume``, runs the store has are left out."""
    study_id = _study_id(store, study)
    points = []
    for params, point in sweep_studies(study, assignments):
        tasks = plan_runs(point, runs=runs)
        wanted = {(t.design, t.scenario, t.run_index) for t in tasks}
        if resume and store is not None:
            done = store.finished(study_id, params)
            tasks = [t for t in tasks if (t.design, t.scenario, t.run_index) not in done]
        points.append(SweepPoint(params, point, tasks, wanted))
    return points


def run_sweep(
    study: Study,
    assignments: Sequence[tuple[str, list[Any]]],
    runs: int | None = None,
    workers: int = 1,
    on_result: Callable[[RunResult], None] | None = None,
    store: ResultsStore | None = None,
    resume: bool = False,
    plan: list[SweepPoint] | None = None,
) -> pd.DataFrame:
    """Run every grid point; one tidy row per (parameters, design, scenario, run index).

    With a ``store`` each run is committed as it finishes under the base study and its
    grid point's parameters (its records too), so ``resume`` after a kill runs only
    what is missing and the rows come back from the store.
    """
    plan = plan if plan is not None else plan_sweep(study, assignments, runs, store, resume)
    study_id = _study_id(store, study)
    rows = []
    # one pool for every grid point; records are kept only where they are stored
    with RunExecutor(study, workers=workers, keep_records=store is not None) as executor:
        for point in plan:
            def finished(result: RunResult, params=point.params) -> None:
                if store is not None:
                    store.add(study_id, result, params)
                    result.records = None  # stored: not held in memory too
                if on_result is not None:
                    on_result(result)

            results = executor.run(point.tasks, finished, study=point.study)
            if resume and store is not None:
                results = [r for r in store.results(study_id, point.params)
                           if (r.design, r.scenario, r.run_index) in point.wanted]
            rows += [_row(point.params, result) for result in results]
    return pd.DataFrame(rows)


def decide_sweep(
    study: Study,
    assignments: Sequence[tuple[str, list[Any]]],
    *,
    designs: Sequence[str] | None = None,
    workers: int = 1,
    prices: dict[str, float] | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> pd.DataFrame:
    """The sequential decision of ``compare`` at every grid point: where the choice flips.

    Each grid point is decided as ``Experiment(point).decide(designs)`` would decide it
    (same runs, same verdicts), on one pool of workers for the whole grid; nothing is
    stored. One row per (parameters, design): ``cost_month_usd``, ``candidate``,
    ``status`` (meets, fails, open, not exercised), ``runs`` (seeds it used),
    ``p_met_<Class>`` per policy class (NaN: no episode), ``chosen``, and the point's
    ``choice`` (the recommended design; missing, NaN, when no candidate is proven to
    meet) and ``decided`` (every verdict it rests on proven).
    """
    if not study.policy:
        raise SweepError("decide_sweep needs a policy: the study has none to decide on")
    known = [d.name for d in study.designs]
    for name in designs or []:
        if name not in known:
            raise SweepError(f"{name!r}: no such design; designs: {known}")
    names = list(designs) if designs else None
    rows = []
    with RunExecutor(study, workers=workers) as executor:
        for params, point in sweep_studies(study, assignments):
            def run_batch(tasks: list[RunTask], point: Study = point) -> list[RunResult]:
                return executor.run(tasks, on_result, study=point)

            decision = decide(point, run_batch, designs=names, prices=prices)
            advice = recommendation(point, decision)
            for name, verdict in decision.designs.items():
                rows.append({
                    **params, "design": name, "cost_month_usd": verdict.cost,
                    "candidate": verdict.not_candidate is None, "status": verdict.status,
                    "runs": verdict.runs, "chosen": name == advice["design"],
                    "choice": advice["design"], "decided": advice["decided"],
                    **{f"p_met_{cls}": v.p_met for cls, v in verdict.classes.items()},
                })
    return pd.DataFrame(rows)


def _study_id(store: ResultsStore | None, study: Study) -> int | None:
    if store is None:
        return None
    return store.study_id(study.name, study.seed, study.model_dump_json())


def _row(params: dict[str, Any], result: RunResult) -> dict[str, Any]:
    return {
        **params,
        "design": result.design, "kind": result.kind, "scenario": result.scenario,
        "run_index": result.run_index, "seed": result.seed, "ok": result.ok,
        "error": result.error.splitlines()[0] if result.error else None,
        "wall_s": result.wall_s, "events": result.events,
        **result.metrics,
    }
