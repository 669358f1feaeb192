"""Rich tables for the terminal: a table per design, and designs side by side."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from hadrsim.simulator.checkers import nines


def _fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _mean_ci(summary: dict[str, Any], digits: int = 1) -> str:
    lo, hi = summary["ci95"]
    if summary["n"] == 0:
        return "-"
    return f"{_fmt(summary['mean'], digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def _nines(summary: dict[str, Any]) -> str:
    mean = summary["mean"]
    if summary["n"] == 0 or math.isnan(mean):
        return "-"
    n = nines(mean)
    return f"{mean * 100:.4f}% ({'inf' if math.isinf(n) else f'{n:.1f}'} nines)"


def design_table(entry: dict[str, Any]) -> Table:
    """One design: a row per fault scenario, means with 95% CIs."""
    label = f", {entry['ha_architecture']}" if entry.get("ha_architecture") else ""
    title = f"{entry['name']} ({entry['kind']}{label}): {entry['runs']} runs"
    if entry["failed_runs"]:
        title += f", {entry['failed_runs']} FAILED"
    table = Table(title=title, title_justify="left")
    for column in ("scenario", "RTO write s", "RTO read s", "RPO s", "lost writes",
                   "recovered", "write availability", "commit p99 ms", "stale reads",
                   "lost updates", "split brain s"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for name, scenario in entry["scenarios"].items():
        m = scenario["metrics"]
        table.add_row(
            name, _mean_ci(m["rto_write_s"]), _mean_ci(m["rto_read_s"]),
            _mean_ci(m["rpo_s"], 2), _mean_ci(m["lost_writes"]),
            f"{_fmt(m['recovered_ratio']['mean'] * 100, 0)}%"
            if m["recovered_ratio"]["n"] else "-",
            _nines(m["availability_write"]), _fmt(m["commit_latency_p99_ms"]["mean"], 2),
            _percent(m["stale_read_ratio"]), _fmt(m["lost_updates"]["mean"]),
            _fmt(m["split_brain_s"]["mean"]),
        )
    return table


def _percent(summary: dict[str, Any]) -> str:
    if summary["n"] == 0 or math.isnan(summary["mean"]):
        return "-"
    return f"{summary['mean'] * 100:.2f}%"


def policy_cell(verdict: dict[str, Any]) -> str:
    if verdict["episodes"] == 0:
        return "no episode"
    lo, hi = verdict["ci95"]
    return f"{verdict['p_met'] * 100:.0f}% [{lo * 100:.0f}, {hi * 100:.0f}]"


def compare_table(document: dict[str, Any], policy: dict[str, Any]) -> Table:
    """Designs side by side: P(policy met) per disruption class, with the verdict."""
    table = Table(title=f"{document['scenario']}: P(policy met) [95% CI]", title_justify="left")
    table.add_column("design")
    classes = list(policy)
    for cls in classes:
        target = policy[cls]
        table.add_column(f"{cls}\nRTO<={target.rto_s:g}s RPO<={target.rpo_s:g}s",
                         justify="right")
    table.add_column("RTO write s (mean)", justify="right")
    table.add_column("lost writes (mean)", justify="right")
    table.add_column("stale reads", justify="right")
    table.add_column("lost updates (mean)", justify="right")
    table.add_column("USD / month", justify="right")
    table.add_column("verdict")
    for entry in document["designs"]:
        cells = [policy_cell(entry["policy"][cls]) for cls in classes]
        verdict = design_verdict(entry)
        metrics = entry["metrics"]
        name = entry["name"]
        if entry.get("ha_architecture"):
            name += f"\n({entry['ha_architecture']})"
        table.add_row(name, *cells, _fmt(metrics["rto_write_s"]["mean"]),
                      _fmt(metrics["lost_writes"]["mean"], 2),
                      _percent(metrics["stale_read_ratio"]),
                      _fmt(metrics["lost_updates"]["mean"], 1),
                      _fmt(entry["cost_month_usd"]["total"], 0), verdict)
    return table


def design_verdict(entry: dict[str, Any], threshold: float = 0.95) -> str:
    """"meets" when every class was met in every episode seen, with the CI as a caveat."""
    verdicts = [v for v in entry["policy"].values() if v["episodes"]]
    if not verdicts:
        return "no policy"
    if all(v["ci95"][0] >= threshold for v in verdicts):
        return f"meets (>= {threshold:.0%}, 95% conf.)"
    if all(v["p_met"] == 1.0 for v in verdicts):
        return "met in every run"
    worst = min(entry["policy"].items(), key=lambda kv: kv[1]["p_met"] if kv[1]["episodes"] else 2)
    return f"fails ({worst[0]}: {worst[1]['p_met'] * 100:.0f}%)"


def sweep_table(frame, params: list[str]) -> Table:
    """Means per (parameters, design) over scenarios and runs."""
    table = Table(title="sweep: means over scenarios and runs", title_justify="left")
    metrics = ["rto_write_s", "rpo_s", "lost_writes", "availability_write",
               "commit_latency_p99_ms"]
    for column in [*params, "design", "runs", *metrics]:
        table.add_column(column, justify="left" if column in (*params, "design") else "right")
    ok = frame[frame["ok"]]
    for keys, group in ok.groupby([*params, "design"], sort=False, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        cells = [_fmt(group[m].mean(), 4 if m == "availability_write" else 1)
                 if m in group else "-" for m in metrics]
        table.add_row(*[str(k) for k in keys], str(len(group)), *cells)
    return table
