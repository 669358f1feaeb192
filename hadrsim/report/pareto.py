"""Cost against recovery: which designs are worth their price (the Pareto front).

A design is *dominated* when another costs no more and recovers no worse
(mean RTO or RPO), and is strictly better in one of the two. The rest form
the Pareto front: each is the cheapest way to reach its recovery figure, and
moving along the front trades money for seconds. A dominated design is never
the right choice on these two figures alone (the policy verdict, latency and
consistency may still argue for it).

The front is drawn per fault scenario, one panel each: a mean over an
instance crash and a Region outage pooled would rank designs on a figure that
describes neither. A mean over censored RTOs is a lower bound (label "(>=)").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.axes import Axes

from hadrsim.report.canvas import (
    DesignStyles,
    empty_message,
    finite,
    new_figure,
    place_labels,
    plain,
    to_png,
)
from hadrsim.simulator.vocabulary import Metric

__all__ = ["PARETO_METRICS", "cost_pareto_png", "pareto_front"]

PARETO_METRICS = {Metric.RTO_WRITE_S: "mean write RTO", Metric.RPO_S: "mean RPO"}


def pareto_front(points: Mapping[str, tuple[float, float]]) -> list[str]:
    """Names of the non-dominated points (both coordinates minimised), by ascending x.

    Equal points do not dominate each other, so both stay on the front.
    Points with a NaN or infinite coordinate are left out.
    """
    usable = {name: xy for name, xy in points.items() if finite(xy[0]) and finite(xy[1])}

    def dominated(a: tuple[float, float]) -> bool:
        return any(b[0] <= a[0] and b[1] <= a[1] and b != a for b in usable.values())

    front = [name for name, xy in usable.items() if not dominated(xy)]
    return sorted(front, key=lambda name: (usable[name][0], usable[name][1], name))


def cost_points(document: Mapping[str, Any], metric: str,
                scenario: str) -> dict[str, tuple[float, float]]:
    """``design -> (mean metric in scenario, USD/month)`` (NaN when unmeasured or n/a)."""
    points = {}
    for entry in document["designs"]:
        found = entry["scenarios"].get(scenario)
        mean = (float("nan") if not found or found.get("not_applicable")
                else float(found["metrics"][metric]["mean"]))
        points[entry["name"]] = (mean, float(entry["cost_month_usd"]["total"]))
    return points


def _labels(points: Mapping[str, tuple[float, float]]) -> dict[tuple[float, float], list[str]]:
    """Designs at the same point share one label instead of printing on top of each other."""
    groups: dict[tuple[float, float], list[str]] = {}
    for name, (x, y) in points.items():
        groups.setdefault((round(x, 6), round(y, 2)), []).append(name)
    return groups


def cost_pareto_png(document: Mapping[str, Any], metric: str = Metric.RTO_WRITE_S, *,
                    width_in: float = 11.0) -> bytes:
    """Monthly cost against mean ``metric`` (``rto_write_s`` or ``rpo_s``), a panel per
    scenario.

    Points on the Pareto front are filled and joined by a step line (everything
    above and right of it is dominated); dominated designs are hollow.
    Horizontal whiskers are the metric's 95% CI (bootstrap, inside the domain).
    """
    if metric not in PARETO_METRICS:
        raise ValueError(f"metric {metric!r}: one of {sorted(PARETO_METRICS)}")
    scenarios = list(document.get("scenarios") or dict.fromkeys(
        name for e in document["designs"] for name in e["scenarios"]))
    drawn = [name for name in scenarios
             if any(finite(x) for x, _ in cost_points(document, metric, name).values())]
    columns = min(3, max(len(drawn), 1))
    rows = -(-len(drawn) // columns) if drawn else 1
    figure = new_figure(width_in, 0.8 + 3.6 * rows)
    if not drawn:
        empty_message(figure, f"no design has a measured {PARETO_METRICS[metric]}")
        return to_png(figure)
    styles = DesignStyles(entry["name"] for entry in document["designs"])
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, scenario in zip(axes, drawn, strict=False):
        _panel(ax, document, metric, scenario, styles)
    for ax in axes[len(drawn):]:
        ax.set_axis_off()
    figure.suptitle(f"cost vs {PARETO_METRICS[metric]} per scenario: filled = Pareto front, "
                    "hollow = dominated", fontsize=10)
    return to_png(figure)


def _panel(ax: Axes, document: Mapping[str, Any], metric: str, scenario: str,
           styles: DesignStyles) -> None:
    """One scenario's cost/recovery scatter with its front."""
    points = cost_points(document, metric, scenario)
    usable = {k: v for k, v in points.items() if finite(v[0]) and finite(v[1])}
    front = pareto_front(usable)
    ax.step([usable[n][0] for n in front], [usable[n][1] for n in front], where="post",
            color="#333333", linewidth=1.2, zorder=1)
    bounds = {}
    highs = []
    for entry in document["designs"]:
        name = entry["name"]
        if name not in usable:
            continue
        x, y = usable[name]
        summary = entry["scenarios"][scenario]["metrics"][metric]
        bounds[name] = bool(summary.get("mean_is_lower_bound"))
        low, high = summary["ci95"]
        if finite(low) and finite(high) and high > low and not bounds[name]:
            ax.errorbar(x, y, xerr=[[x - low], [high - x]], color=styles.colour(name),
                        linewidth=1, capsize=2, zorder=2)
            highs.append(high)
        ax.plot([x], [y], marker=styles.marker(name), markersize=7, linestyle="none",
                color=styles.colour(name), markerfacecolor=styles.colour(name)
                if name in front else "white", markeredgewidth=1.5, zorder=3)
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)
    right = max([v[0] for v in usable.values()] + highs)
    ax.set_xlim(left=-0.2, right=right * 2 + 2)  # below 0: markers at 0 stay whole
    ax.set_xlabel(f"{PARETO_METRICS[metric]}, s", fontsize=8)
    ax.set_ylabel("USD / month", fontsize=8)
    ax.set_ylim(bottom=0, top=max(v[1] for v in usable.values()) * 1.12 + 1)
    ax.grid(True, alpha=0.3)
    skipped = sorted(set(points) - set(usable))
    title = plain(scenario) + (f"\nnot measured / n/a: {plain(', '.join(skipped))}"
                               if skipped else "")
    ax.set_title(title, fontsize=9)
    place_labels(ax, [(x, y, plain(", ".join(f"{n} (>=)" if bounds.get(n) else n
                                             for n in names)),
                       {"fontsize": 7, "fontweight": "bold" if set(names) & set(front)
                        else "normal"})
                      for (x, y), names in _labels(usable).items()])
