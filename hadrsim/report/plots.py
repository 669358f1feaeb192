"""Figures over many runs: RTO/RPO distributions, availability in nines, t-visibility.

Each function takes what the experiments layer already computed (the
``RunResult`` list of :meth:`hadrsim.Experiment.run`, or the summary document of
:meth:`hadrsim.Results.summary`) and returns PNG bytes. Nothing is
recomputed here: the distributions are the checkers' per-episode rows, the
bars and error bars the summary's means and 95% intervals (bootstrap intervals
inside the metric's domain, so nothing is clipped here). RTO and RPO are drawn
per scenario; availability and t-visibility are per-run figures over all runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from scipy import stats

from hadrsim.experiments.run import RunResult
from hadrsim.report.canvas import (
    DesignStyles,
    empty_message,
    finite,
    new_figure,
    plain,
    seconds,
    to_png,
)
from hadrsim.simulator.checkers import nines
from hadrsim.simulator.checkers.run_metrics import TVIS_POINTS
from hadrsim.simulator.checkers.visibility import DEFAULT_TS
from hadrsim.simulator.vocabulary import Metric

__all__ = ["availability_nines_png", "rto_rpo_cdf_png", "t_visibility_png"]

_SYMLOG = {"linthresh": 1.0, "linscale": 0.5}


def _episode_values(results: Sequence[RunResult], design: str, scenario: str, metric: str
                    ) -> tuple[np.ndarray, np.ndarray, int]:
    """``(values, censored flags, unknown count)`` of one episode metric of a design in
    one scenario (NaN values are unknown: counted, never drawn as 0)."""
    values, censored, unknown = [], [], 0
    for result in results:
        if result.design != design or result.scenario != scenario or not result.ok:
            continue
        for row in result.episodes:
            value = float(row[metric])
            if not math.isfinite(value):
                unknown += 1
                continue
            values.append(value)
            # Only a write RTO is censored (clients had not written again by the window's end).
            censored.append(metric == Metric.RTO_WRITE_S
                            and row[Metric.RECOVERED_WRITE] is not True)
    order = np.argsort(values, kind="stable")
    return np.asarray(values)[order], np.asarray(censored, dtype=bool)[order], unknown


def _cdf_steps(values: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan-Meier CDF (the plain ECDF when nothing is censored) as step points,
    drawn up to the largest observed time: beyond it the estimate says nothing."""
    if not censored.any():
        return values, np.arange(1, len(values) + 1) / len(values)
    km = stats.ecdf(stats.CensoredData(uncensored=values[~censored],
                                       right=values[censored])).cdf
    return np.r_[km.quantiles, values[-1]], np.r_[km.probabilities, km.probabilities[-1]]


def _ecdf(ax: Axes, values: np.ndarray, censored: np.ndarray, label: str,
          styles: DesignStyles, design: str) -> None:
    """A step CDF from 0; censored values marked with a right-pointing triangle."""
    xs, ys = _cdf_steps(values, censored)
    colour = styles.colour(design)
    ax.step(np.r_[xs[0], xs], np.r_[0.0, ys], where="post", color=colour,
            linestyle=styles.linestyle(design), linewidth=1.6, label=label)
    if censored.any():
        at = np.searchsorted(xs, values[censored], side="right") - 1
        ax.plot(values[censored], ys[np.clip(at, 0, len(ys) - 1)], marker=">",
                linestyle="none", color=colour, markersize=6, markeredgecolor="black",
                markeredgewidth=0.5)


def _targets(ax: Axes, policy: Mapping[str, Any], field: str) -> None:
    """The policy's targets for this metric as labelled dotted lines (one per value)."""
    by_value: dict[float, list[str]] = {}
    for cls, target in policy.items():
        value = float(target[field] if isinstance(target, Mapping) else getattr(target, field))
        by_value.setdefault(value, []).append(cls)
    for value, classes in sorted(by_value.items()):
        if value > ax.get_xlim()[1]:
            ax.set_xlim(right=value * 1.5)
        ax.axvline(value, color="#555555", linestyle=":", linewidth=1)
        ax.annotate(f"{'/'.join(classes)} target {seconds(value)}", (value, 0.02),
                    xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                    color="#555555", ha="right", va="bottom")


def rto_rpo_cdf_png(results: Sequence[RunResult], policy: Mapping[str, Any] | None = None,
                    *, width_in: float = 11.0) -> bytes:
    """CDFs of write RTO and RPO per design, one row of panels per fault scenario.

    Scenarios are never pooled. The RTO curve is the Kaplan-Meier estimate when
    some episodes are censored (clients had not written again when the window
    closed: the true RTO is longer, marked ``>``); it stops at the longest time
    observed. Unknown values (NaN) are left out and counted in the panel's
    legend. ``policy`` (class -> targets) adds the targets as dotted lines.
    """
    designs = list(dict.fromkeys(r.design for r in results))
    scenarios = list(dict.fromkeys(r.scenario for r in results if r.ok and r.episodes))
    styles = DesignStyles(designs)
    figure = new_figure(width_in, 1.2 + 3.0 * max(len(scenarios), 1))
    if not scenarios:
        empty_message(figure, "no fault episode in these results: nothing to distribute")
        return to_png(figure)
    axes = figure.subplots(len(scenarios), 2, sharey=True, squeeze=False)
    for row, scenario in enumerate(scenarios):
        for ax, metric, title in ((axes[row][0], Metric.RTO_WRITE_S, "write RTO"),
                                  (axes[row][1], Metric.RPO_S, "RPO")):
            _cdf_panel(ax, results, designs, scenario, metric, styles)
            ax.set_title(f"{plain(scenario)}: {title} per episode", fontsize=10)
            if policy:
                _targets(ax, policy, "rto_s" if metric == Metric.RTO_WRITE_S else "rpo_s")
        axes[row][0].set_ylabel("fraction of episodes <= x")
    axes[-1][0].set_xlabel("write RTO, seconds (linear below 1 s, log above)")
    axes[-1][1].set_xlabel("RPO, seconds (linear below 1 s, log above)")
    axes[0][0].set_ylim(0, 1.02)
    handles = [axes[0][0].plot([], [], color=styles.colour(d), linestyle=styles.linestyle(d))[0]
               for d in designs]
    labels = [plain(d) for d in designs]
    handles.append(axes[0][0].plot([], [], marker=">", linestyle="none", color="#777777",
                                   markeredgecolor="black", markeredgewidth=0.5)[0])
    labels.append("censored: true RTO >= marker")
    figure.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8,
                  frameon=False)
    return to_png(figure)


def _cdf_panel(ax: Axes, results: Sequence[RunResult], designs: Sequence[str], scenario: str,
               metric: str, styles: DesignStyles) -> None:
    """One panel: each design's curve in one scenario, counts in a small legend."""
    for design in designs:
        values, censored, unknown = _episode_values(results, design, scenario, metric)
        if not len(values):
            continue
        label = f"{plain(design)} ({len(values)} ep."
        if censored.any():
            label += f", {int(censored.sum())} censored"
        if unknown:
            label += f", {unknown} unknown"
        _ecdf(ax, values, censored, label + ")", styles, design)
    ax.set_xscale("symlog", **_SYMLOG)
    ax.set_xlim(left=0, right=max(ax.get_xlim()[1], 2.0))
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6, loc="lower right", frameon=False)


def _nines_bounds(summary: Mapping[str, Any], cap: float) -> tuple[float, float, float]:
    """``(nines of the mean, of the CI's low end, of its high end)``, capped for drawing."""
    def capped(a: float) -> float:
        value = nines(min(max(a, 0.0), 1.0))
        return cap if math.isinf(value) else max(0.0, value)

    low, high = summary["ci95"]
    return capped(summary["mean"]), capped(low), capped(high)


def availability_nines_png(document: Mapping[str, Any], *, width_in: float = 11.0) -> bytes:
    """Write and read availability per design as nines, -log10(1 - A), with 95% CIs.

    Bars are the summary's mean over runs; whiskers its bootstrap interval
    (inside [0, 1]) mapped through the same transform. A design with no downtime in any run
    has infinite nines: its bar stops at the top of the axis, hatched.
    """
    entries = [e for e in document["designs"]
               if finite(e["metrics"][Metric.AVAILABILITY_WRITE]["mean"])]
    figure = new_figure(width_in, 4.2)
    if not entries:
        empty_message(figure, "no availability measured (no successful run)")
        return to_png(figure)
    finite_nines = [nines(e["metrics"][m]["mean"]) for e in entries
                    for m in (Metric.AVAILABILITY_WRITE, Metric.AVAILABILITY_READ)]
    top = max([n for n in finite_nines if finite(n)] + [1.0])
    cap = math.ceil(top) + 1.0
    ax = figure.subplots()
    styles = DesignStyles(e["name"] for e in document["designs"])
    width = 0.38
    for i, entry in enumerate(entries):
        bars = ((-width / 2, Metric.AVAILABILITY_WRITE, "", 1.0),
                (width / 2, Metric.AVAILABILITY_READ, "..", 0.55))
        for offset, metric, hatch_base, alpha in bars:
            summary = entry["metrics"][metric]
            if not summary["n"] or not finite(summary["mean"]):
                continue
            mean, low, high = _nines_bounds(summary, cap)
            perfect = summary["mean"] >= 1.0
            ax.bar(i + offset, mean, width, color=styles.colour(entry["name"]), alpha=alpha,
                   hatch="//" if perfect else hatch_base, edgecolor="black", linewidth=0.5)
            ax.errorbar(i + offset, mean, yerr=[[mean - low], [high - mean]], color="black",
                        capsize=3, linewidth=1)
            text = "inf" if perfect else f"{mean:.1f}"
            ax.annotate(text, (i + offset, max(mean, high)), xytext=(0, 2),
                        textcoords="offset points",
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(entries)), [plain(e["name"]) for e in entries], rotation=20, ha="right",
                  fontsize=8)
    ax.set_ylim(0, cap + 0.4)
    ax.set_ylabel("nines: -log10(1 - availability)")
    ax.set_title("availability over the simulated horizons (solid: writes, dotted: reads; "
                 "hatched: no downtime seen)\nwhiskers: 95% CI; one reaching the top: the "
                 "interval includes 100%", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    return to_png(figure)


def _tvis_labels() -> list[str]:
    """Each t-visibility metric's bin, ``[t, next t)``, from the checker's bin starts."""
    labels = []
    for t in TVIS_POINTS.values():
        following = [b for b in DEFAULT_TS if b > t]
        end = f"{following[0]:g}" if following else "inf"
        labels.append(f"[{t:g}, {end}) s")
    return labels


def t_visibility_png(document: Mapping[str, Any], *, width_in: float = 9.0) -> bytes:
    """P(a read started t seconds after a write's acknowledgement sees it), per design.

    One point per ``tvis_p_*`` metric: the mean over runs of the fraction of
    (write, later read) pairs in that bin of t that were visible, with its 95%
    CI. A design with no pair in a bin (no read that soon) has no point there.
    """
    names = list(TVIS_POINTS)
    figure = new_figure(width_in, 4.2)
    styles = DesignStyles(e["name"] for e in document["designs"])
    ax = figure.subplots()
    shown = [e for e in document["designs"]
             if any(e["metrics"].get(n, {}).get("n") for n in names)]
    if not shown:
        figure.clear()
        empty_message(figure, "no read followed an acknowledged write: no t-visibility data")
        return to_png(figure)
    for k, entry in enumerate(shown):
        dodge = (k - (len(shown) - 1) / 2) * 0.04
        xs, ys, lows, highs = [], [], [], []
        for i, name in enumerate(names):
            summary = entry["metrics"].get(name, {})
            if summary.get("n") and finite(summary["mean"]):
                low, high = summary["ci95"]
                xs.append(i + dodge)
                ys.append(summary["mean"])
                lows.append(summary["mean"] - max(0.0, low))
                highs.append(min(1.0, high) - summary["mean"])
        design = entry["name"]
        ax.errorbar(xs, ys, yerr=[lows, highs], color=styles.colour(design),
                    linestyle=styles.linestyle(design), marker=styles.marker(design),
                    markersize=5, capsize=3, linewidth=1.4, label=plain(design))
    missing = [e["name"] for e in document["designs"] if e not in shown]
    ax.set_xticks(range(len(names)), _tvis_labels())
    ax.set_xlabel("time from a write's acknowledgement to a read's start")
    ax.set_ylabel("P(read sees the write)")
    ax.set_ylim(-0.02, 1.05)
    ax.grid(True, alpha=0.3)
    title = "t-visibility (PBS): mean over runs, 95% CI"
    if missing:
        title += f"\nno data: {plain(', '.join(missing))}"
    ax.set_title(title, fontsize=10)
    figure.legend(loc="outside right upper", fontsize=8, frameon=False)
    return to_png(figure)
