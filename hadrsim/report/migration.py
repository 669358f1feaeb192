"""Figures of simulated DMS migrations (:mod:`hadrsim.dms.simulate`): one run's CDC lag
over time, and a metric's distribution over many runs.

The report layer does not import the DMS package (they are sibling layers), so a run is
taken as what it is: a ``DmsRun`` (``applied`` records, ``full_load_s``, ``stop_writes_s``,
``drained_s``, ``total_migration_s``, ``lag_at``), and a task spec as a ``DmsTaskSpec``
(``faults``, ``cutover_max_lag_s``). Every number drawn is read from the run's records
through those same methods, so the picture cannot disagree with the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hadrsim.report.canvas import (
    FAULT_COLOUR,
    LOSS_COLOUR,
    PALETTE,
    empty_message,
    new_figure,
    plain,
    seconds,
    to_png,
)

__all__ = ["migration_cdf_png", "migration_lag_png"]

_POINTS = 1500  # lag samples over the run: finer than a pixel at the default width
_FAULT_NAMES = {"source_outage": "source outage", "task_failure": "task failure (down)"}
_SWITCH_COLOUR = "#56B4E9"
_FULL_LOAD_COLOUR = "#999999"


def _fault_span(fault: Any) -> tuple[float, float]:
    length = getattr(fault, "duration_s", None)
    if length is None:
        length = getattr(fault, "restart_s", 0.0)
    return float(fault.at_s), float(fault.at_s) + float(length)


def migration_lag_png(run: Any, spec: Any = None, *, title: str = "",
                      width_in: float = 10.0) -> bytes:
    """The CDC lag of one simulated migration from the task's start to the switch.

    The line is the lag a ``CDCLatencyTarget`` graph shows: at each moment, the age of the
    oldest change committed on the source and not yet on the target (``run.lag_at``).
    Bands mark full load, the spec's faults, and the cutover window: the drain (writes
    stopped, backlog applied) then the switch (the application moved to the target).
    With ``spec``, a dashed line marks the lag below which writes are stopped.
    """
    figure = new_figure(width_in, 3.8)
    if not run.applied:
        empty_message(figure, f"{plain(title)}\nno change was applied in this run: "
                              "no lag to draw")
        return to_png(figure)
    ax = figure.subplots()
    end = float(run.total_migration_s)
    times = np.linspace(0.0, end, _POINTS)
    lags = np.array([run.lag_at(float(t)) for t in times])
    ax.plot(times, lags, color=PALETTE[0], linewidth=1.3,
            label="CDC lag: oldest change not yet on the target")
    ax.axvspan(0.0, max(run.full_load_s, end / 400), color=_FULL_LOAD_COLOUR, alpha=0.35,
               linewidth=0, label=f"full load ({seconds(run.full_load_s)})")
    named: set[str] = set()
    for fault in getattr(spec, "faults", ()) or ():
        lo, hi = _fault_span(fault)
        if lo >= end:
            continue
        name = _FAULT_NAMES.get(getattr(fault, "kind", ""), str(getattr(fault, "kind", "fault")))
        ax.axvspan(lo, min(hi, end), color=FAULT_COLOUR, alpha=0.15, linewidth=0,
                   label=None if name in named else f"{name} ({seconds(hi - lo)})")
        named.add(name)
    stop, drained = float(run.stop_writes_s), float(run.drained_s)
    ax.axvline(stop, color="black", linewidth=1.0, linestyle="-")
    ax.axvspan(stop, max(drained, stop + end / 400), color=LOSS_COLOUR, alpha=0.45,
               linewidth=0, label=f"drain ({seconds(drained - stop)}): writes stopped")
    ax.axvspan(drained, end, color=_SWITCH_COLOUR, alpha=0.25, linewidth=0,
               label=f"switch to the target ({seconds(end - drained)})")
    max_lag = getattr(spec, "cutover_max_lag_s", None)
    if max_lag is not None:
        ax.axhline(max_lag, color="#555555", linewidth=0.8, linestyle="--",
                   label=f"writes stop once the lag is under {seconds(max_lag)}")
    ax.set_xlim(0.0, end * 1.01)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("seconds since the task started")
    ax.set_ylabel("lag, seconds")
    ax.grid(True, alpha=0.3)
    ax.set_title(plain(title) or f"simulated DMS migration, seed {run.seed} run "
                 f"{run.run_index}: cutover window {seconds(run.cutover_downtime_s)}",
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return to_png(figure)


_METRIC_LABELS = {
    "cutover_downtime_s": "cutover window: writes stopped until the target takes them, s",
    "total_migration_s": "whole migration: task start until the target takes writes, s",
    "cdc_lag_p99_s": "CDC lag p99 of the run, s",
    "cdc_lag_p50_s": "CDC lag p50 of the run, s",
    "backlog_at_cutover": "changes not yet on the target when writes stopped",
}


def migration_cdf_png(runs: Mapping[str, Sequence[Any]],
                      metrics: Sequence[str] = ("cutover_downtime_s",), *,
                      width_in: float | None = None) -> bytes:
    """Empirical CDFs over each named group of runs (``{"no fault": plan.runs, ...}``), one
    panel per metric (a ``DmsRun`` attribute), each group's p95 marked by a dotted line."""
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    figure = new_figure(width_in or 4.6 * max(len(metrics), 1) + 0.6, 3.6)
    groups = {name: group for name, group in runs.items() if len(group)}
    if not groups or not metrics:
        empty_message(figure, "no runs: nothing to distribute")
        return to_png(figure)
    axes = figure.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        for i, (name, group) in enumerate(groups.items()):
            values = np.sort([float(getattr(r, metric)) for r in group])
            colour = PALETTE[i % len(PALETTE)]
            ys = np.arange(1, len(values) + 1) / len(values)
            p95 = float(np.percentile(values, 95))
            unit = f"{p95:,.0f}" + (" s" if metric.endswith("_s") else "")
            ax.step(np.r_[values[0], values], np.r_[0.0, ys], where="post", color=colour,
                    linewidth=1.6, linestyle=("-", "--")[i % 2],
                    label=f"{plain(name)} ({len(values)} runs, p95 {unit})")
            ax.axvline(p95, color=colour, linewidth=0.8, linestyle=":")
        ax.set_xlabel(_METRIC_LABELS.get(metric, plain(metric.replace("_", " "))), fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right", frameon=False)
    axes[0].set_ylim(0, 1.02)
    axes[0].set_ylabel("fraction of runs <= x")
    return to_png(figure)
