"""Rich tables for the terminal: a table per design, and designs side by side.

Nothing here pools scenarios: RTO, RPO and lost writes are shown per scenario; a
censored mean reads ">= x (k censored)", a percentile beyond the longest time
observed "> t", unknown values are counted, and a scenario whose faults the
design declined reads "n/a: <reason>".
"""

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
    """``mean [low, high]``; a censored mean as ``>= mean (k censored)``; unknowns counted."""
    if summary["n"] == 0:
        return f"unknown ({summary['n_unknown']})" if summary.get("n_unknown") else "-"
    if summary.get("mean_is_lower_bound"):
        text = f">= {_fmt(summary['mean'], digits)} ({summary['n_censored']} censored)"
    else:
        lo, hi = summary["ci95"]
        text = f"{_fmt(summary['mean'], digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"
    if summary.get("n_unknown"):
        text += f" ({summary['n_unknown']} unknown)"
    return text


def percentile(summary: dict[str, Any], name: str, digits: int = 1) -> str:
    """A (Kaplan-Meier) percentile; ``> t`` when it lies beyond the last time observed."""
    if summary["n"] == 0:
        return "-"
    value = _fmt(summary[name], digits)
    return f"> {value}" if name in summary.get("above", ()) else value


def _nines(summary: dict[str, Any]) -> str:
    mean = summary["mean"]
    if summary["n"] == 0 or math.isnan(mean):
        return "-"
    n = nines(mean)
    return f"{mean * 100:.4f}% ({'inf' if math.isinf(n) else f'{n:.1f}'} nines)"


def not_applicable(scenario: dict[str, Any]) -> str | None:
    """``n/a: <reason>`` for a scenario whose faults the design declined, else None."""
    reason = scenario.get("not_applicable")
    return f"n/a: {reason}" if reason else None


_DESIGN_COLUMNS = ("scenario", "RTO write s", "RTO write p50 / p95", "RTO read s", "RPO s",
                   "lost writes", "recovered", "write availability", "commit p99 ms",
                   "stale reads", "lost updates", "split brain s")


def design_table(entry: dict[str, Any]) -> Table:
    """One design: a row per fault scenario, means with 95% CIs, nothing pooled."""
    label = f", {entry['ha_architecture']}" if entry.get("ha_architecture") else ""
    title = f"{entry['name']} ({entry['kind']}{label}): {entry['runs']} runs"
    if entry["failed_runs"]:
        title += f", {entry['failed_runs']} FAILED"
    table = Table(title=title, title_justify="left")
    for column in _DESIGN_COLUMNS:
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for name, scenario in entry["scenarios"].items():
        m = scenario["metrics"]
        skipped = not_applicable(scenario)
        if skipped:
            table.add_row(name, skipped, *["-"] * (len(_DESIGN_COLUMNS) - 2))
            continue
        rto = m["rto_write_s"]
        table.add_row(
            name, _mean_ci(rto), f"{percentile(rto, 'p50')} / {percentile(rto, 'p95')}",
            _mean_ci(m["rto_read_s"]), _mean_ci(m["rpo_s"], 2), _mean_ci(m["lost_writes"]),
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
    """``P(met) [low, high]`` in percent; a class without episodes is "not exercised"."""
    if verdict["episodes"] == 0:
        return "not exercised"
    lo, hi = verdict["ci95"]
    mark = "*" if verdict.get("ci_method") not in (None, "wilson") else ""
    return f"{verdict['p_met'] * 100:.0f}%{mark} [{lo * 100:.0f}, {hi * 100:.0f}]"


def interval_note(document: dict[str, Any]) -> str:
    """How the P(met) intervals were computed, for a caption."""
    methods = {v.get("ci_method") for e in document["designs"] for v in e["policy"].values()}
    if methods <= {None, "wilson"}:
        return "Wilson intervals; one episode per run of each class"
    return ("Wilson intervals; * = a run held several episodes of the class: run-level "
            "cluster bootstrap (or Wilson over runs when each run met all or none)")


def compare_table(document: dict[str, Any], policy: dict[str, Any]) -> Table:
    """The verdict: one row per design, P(policy met) per disruption class, cost, verdict."""
    table = Table(title=f"{document['scenario']}: P(policy met) [95% CI] "
                        f"({interval_note(document)})", title_justify="left")
    table.add_column("design")
    classes = list(policy)
    for cls in classes:
        target = policy[cls]
        table.add_column(f"{cls}\nRTO<={target.rto_s:g}s RPO<={target.rpo_s:g}s",
                         justify="right")
    table.add_column("USD / month", justify="right")
    table.add_column("verdict")
    for entry in document["designs"]:
        cells = [policy_cell(entry["policy"][cls]) for cls in classes]
        name = entry["name"]
        if entry.get("ha_architecture"):
            name += f"\n({entry['ha_architecture']})"
        table.add_row(name, *cells, _fmt(entry["cost_month_usd"]["total"], 0),
                      design_verdict(entry))
    return table


def scenario_figures_table(document: dict[str, Any]) -> Table:
    """Below the verdict: one row per design x scenario, RTO (Kaplan-Meier), RPO, losses."""
    table = Table(title="per scenario (RTO percentiles Kaplan-Meier; '> t': beyond the "
                        "longest time observed; n/a: the design declines the fault)",
                  title_justify="left")
    for column in ("design", "scenario", "RTO write p50 s", "RTO write p95 s", "censored",
                   "RPO max s", "lost writes (mean)"):
        table.add_column(column, justify="left" if column in ("design", "scenario")
                         else "right")
    for entry in document["designs"]:
        for name, scenario in entry["scenarios"].items():
            skipped = not_applicable(scenario)
            if skipped:
                table.add_row(entry["name"], name, skipped, "", "", "", "")
                continue
            m = scenario["metrics"]
            rto, rpo, lost = m["rto_write_s"], m["rpo_s"], m["lost_writes"]
            table.add_row(entry["name"], name, percentile(rto, "p50"), percentile(rto, "p95"),
                          f"{rto.get('n_censored', 0)}/{rto['n']}" if rto["n"] else "-",
                          _with_unknown(_fmt(rpo["max"], 2), rpo),
                          _with_unknown(_fmt(lost["mean"], 1), lost))
    return table


def _with_unknown(text: str, summary: dict[str, Any]) -> str:
    return f"{text} ({summary['n_unknown']} unknown)" if summary.get("n_unknown") else text


def design_verdict(entry: dict[str, Any], threshold: float = 0.95) -> str:
    """"meets" when every exercised class is met with confidence; names unexercised ones."""
    verdicts = [v for v in entry["policy"].values() if v["episodes"]]
    skipped = [cls for cls, v in entry["policy"].items() if not v["episodes"]]
    if not verdicts:
        return "not exercised" if skipped else "no policy"
    note = f"; not exercised: {', '.join(skipped)}" if skipped else ""
    if all(v["ci95"][0] >= threshold for v in verdicts):
        return f"meets (>= {threshold:.0%}, 95% conf.){note}"
    if all(v["p_met"] == 1.0 for v in verdicts):
        return f"met in every run{note}"
    worst = min(entry["policy"].items(), key=lambda kv: kv[1]["p_met"] if kv[1]["episodes"] else 2)
    return f"fails ({worst[0]}: {worst[1]['p_met'] * 100:.0f}%)"


def sweep_table(frame, params: list[str]) -> Table:
    """Means per (parameters, design, scenario) over runs: scenarios are never pooled.

    Unknown (NaN) values are left out of a mean; a mean of censored RTOs is a
    lower bound (the per-run rows say which were censored).
    """
    table = Table(title="sweep: means over runs, per scenario", title_justify="left")
    metrics = ["rto_write_s", "rpo_s", "lost_writes", "availability_write",
               "commit_latency_p99_ms"]
    keys_of = [*params, "design", *(["scenario"] if "scenario" in frame else [])]
    for column in [*keys_of, "runs", *metrics]:
        table.add_column(column, justify="left" if column in keys_of else "right")
    ok = frame[frame["ok"]]
    for keys, group in ok.groupby(keys_of, sort=False, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        cells = [_fmt(group[m].mean(), 4 if m == "availability_write" else 1)
                 if m in group else "-" for m in metrics]
        table.add_row(*[str(k) for k in keys], str(len(group)), *cells)
    return table
