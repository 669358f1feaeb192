"""Cost against recovery: which designs are worth their price (the Pareto front).

A design is *dominated* when another costs no more and recovers no worse
(mean RTO or RPO), and is strictly better in one of the two. The rest form
the Pareto front: each is the cheapest way to reach its recovery figure, and
moving along the front trades money for seconds. A dominated design is never
the right choice on these two figures alone (the policy verdict, latency and
consistency may still argue for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hadrsim.report.canvas import (
    DesignStyles,
    empty_message,
    finite,
    new_figure,
    place_labels,
    plain,
    to_png,
)

__all__ = ["PARETO_METRICS", "cost_pareto_png", "pareto_front"]

PARETO_METRICS = {"rto_write_s": "mean write RTO", "rpo_s": "mean RPO"}


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


def cost_points(document: Mapping[str, Any], metric: str) -> dict[str, tuple[float, float]]:
    """``design -> (mean metric, USD/month)`` from a summary document (NaN when unmeasured)."""
    return {
        entry["name"]: (float(entry["metrics"][metric]["mean"]),
                        float(entry["cost_month_usd"]["total"]))
        for entry in document["designs"]
    }


def _labels(points: Mapping[str, tuple[float, float]]) -> dict[tuple[float, float], list[str]]:
    """Designs at the same point share one label instead of printing on top of each other."""
    groups: dict[tuple[float, float], list[str]] = {}
    for name, (x, y) in points.items():
        groups.setdefault((round(x, 6), round(y, 2)), []).append(name)
    return groups


def cost_pareto_png(document: Mapping[str, Any], metric: str = "rto_write_s", *,
                    width_in: float = 8.0) -> bytes:
    """Monthly cost against mean ``metric`` (``rto_write_s`` or ``rpo_s``) per design.

    Points on the Pareto front are filled and joined by a step line (everything
    above and right of it is dominated); dominated designs are hollow.
    Horizontal whiskers are the metric's 95% CI.
    """
    if metric not in PARETO_METRICS:
        raise ValueError(f"metric {metric!r}: one of {sorted(PARETO_METRICS)}")
    points = cost_points(document, metric)
    usable = {k: v for k, v in points.items() if finite(v[0]) and finite(v[1])}
    figure = new_figure(width_in, 5.0)
    if not usable:
        empty_message(figure, f"no design has a measured {PARETO_METRICS[metric]}")
        return to_png(figure)
    front = pareto_front(usable)
    styles = DesignStyles(entry["name"] for entry in document["designs"])
    ax = figure.subplots()
    xs = [usable[name][0] for name in front]
    ys = [usable[name][1] for name in front]
    ax.step(xs, ys, where="post", color="#333333", linewidth=1.2, zorder=1,
            label="Pareto front")
    for entry in document["designs"]:
        name = entry["name"]
        if name not in usable:
            continue
        x, y = usable[name]
        low, high = entry["metrics"][metric]["ci95"]
        if finite(low) and finite(high) and high > low:
            ax.errorbar(x, y, xerr=[[x - max(low, 0.0)], [high - x]], color=styles.colour(name),
                        linewidth=1, capsize=2, zorder=2)
        on_front = name in front
        ax.plot([x], [y], marker=styles.marker(name), markersize=8, linestyle="none",
                color=styles.colour(name), markerfacecolor=styles.colour(name) if on_front
                else "white", markeredgewidth=1.5, zorder=3)
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)
    highs = [float(e["metrics"][metric]["ci95"][1]) for e in document["designs"]
             if e["name"] in usable]
    right = max([v[0] for v in usable.values()] + [h for h in highs if finite(h)])
    ax.set_xlim(left=-0.2, right=right * 2 + 2)  # below 0: markers at 0 stay whole
    ax.set_xlabel(f"{PARETO_METRICS[metric]}, seconds (linear below 1 s, log above)")
    ax.set_ylabel("estimated cost, USD / month")
    ax.set_ylim(bottom=0, top=max(v[1] for v in usable.values()) * 1.12 + 1)
    ax.grid(True, alpha=0.3)
    skipped = sorted(set(points) - set(usable))
    title = f"cost vs {PARETO_METRICS[metric]}: filled = Pareto front, hollow = dominated"
    if skipped:
        title += f"\nnot measured: {plain(', '.join(skipped))}"
    ax.set_title(title, fontsize=10)
    place_labels(ax, [(x, y, plain(", ".join(names)),
                       {"fontsize": 8, "fontweight": "bold" if set(names) & set(front)
                        else "normal"})
                      for (x, y), names in _labels(usable).items()])
    return to_png(figure)
