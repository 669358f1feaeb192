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
from hadrsim.simulator.vocabulary import Metric


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
        rto = m[Metric.RTO_WRITE_S]
        table.add_row(
            name, _mean_ci(rto), f"{percentile(rto, 'p50')} / {percentile(rto, 'p95')}",
            _mean_ci(m[Metric.RTO_READ_S]), _mean_ci(m[Metric.RPO_S], 2),
            _mean_ci(m[Metric.LOST_WRITES]),
            f"{_fmt(m['recovered_ratio']['mean'] * 100, 0)}%"
            if m["recovered_ratio"]["n"] else "-",
            _nines(m[Metric.AVAILABILITY_WRITE]), _fmt(m["commit_latency_p99_ms"]["mean"], 2),
            _percent(m[Metric.STALE_READ_RATIO]), _fmt(m["lost_updates"]["mean"]),
            _fmt(m[Metric.SPLIT_BRAIN_S]["mean"]),
        )
    return table


def _percent(summary: dict[str, Any]) -> str:
    if summary["n"] == 0 or math.isnan(summary["mean"]):
        return "-"
    return f"{summary['mean'] * 100:.2f}%"


def duration(seconds: float) -> str:
    """A target as people write it: 0, 45 s, 2 min, 3 h."""
    if seconds == 0:
        return "0"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0 and seconds >= 120:
        return f"{seconds / 60:g} min"
    return f"{seconds:,.0f} s"


def policy_cell(verdict: dict[str, Any]) -> str:
    """P(met) with the one-sided bound that decided it: ``100% >=95``, ``0% <=4``,
    ``97% 91-99`` while open, ``no episode`` when the class was not exercised."""
    status = verdict["status"]
    if status == "not exercised":
        return "no episode"
    share = f"{verdict['p_met'] * 100:.0f}%"
    lo, hi = verdict["lower"] * 100, verdict["upper"] * 100
    if status == "meets":
        return f"{share} >={lo:.0f}"
    if status == "fails":
        return f"{share} <={hi:.0f}"
    return f"{share} {lo:.0f}-{hi:.0f}"


def design_verdict(entry: dict[str, Any], recommended: str | None = None,
                   needed: bool = True) -> str:
    """The verdict column: meets / fails: CLASS / open / undecided / not a candidate."""
    decision = entry["decision"]
    if not decision["candidate"]:
        return "not a candidate: " + decision["not_candidate"].split(" ")[0]
    status = decision["status"]
    if status == "meets":
        return "meets, chosen" if entry["name"] == recommended else "meets"
    if status == "fails":
        return "fails: " + ", ".join(c for c, v in decision["classes"].items()
                                     if v["status"] == "fails")
    if status == "open":
        return "open (not needed)" if not needed else "undecided"
    return status


def compare_table(document: dict[str, Any], policy: dict[str, Any]) -> Table:
    """The verdict: one row per design, P(met) per class with its bound, cost, verdict.

    Fits 120 columns: the targets are in the title, design names never wrap.
    """
    rule = document.get("decision_rule") or {}
    confidence = rule.get("confidence", 0.975)
    targets = "; ".join(f"{cls} RTO {duration(t.rto_s)} RPO {duration(t.rpo_s)}"
                        for cls, t in policy.items())
    table = Table(title=f"{document['scenario']}: P(policy met) per class, with its one-sided "
                        f"{confidence:.1%} bound (>= proves meets, <= proves fails, "
                        f"a range is still open). Targets: {targets}",
                  title_justify="left", show_edge=False, pad_edge=False)
    width = max((len(e["name"]) for e in document["designs"]), default=6)
    table.add_column("design", no_wrap=True, min_width=width)
    classes = list(policy)
    for cls in classes:
        table.add_column(cls, justify="right", no_wrap=True)
    table.add_column("runs", justify="right")
    table.add_column("$/month", justify="right")
    table.add_column("verdict")
    advice = document.get("recommendation") or {}
    chosen = advice.get("design")
    chosen_cost = advice.get("cost_month_usd")
    for entry in document["designs"]:
        cells = [policy_cell(entry["decision"]["classes"][cls]) for cls in classes]
        name = entry["name"]
        if entry.get("ha_architecture"):
            name += f"\n({entry['ha_architecture']})"
        cost = entry["cost_month_usd"]["total"]
        needed = chosen_cost is None or cost < chosen_cost
        table.add_row(name, *cells, str(entry["decision"]["runs"]), _fmt(cost, 0),
                      design_verdict(entry, chosen, needed))
    return table


def scenario_figures_table(document: dict[str, Any]) -> Table:
    """Below the verdict: one row per design x scenario, RTO (Kaplan-Meier), RPO, losses."""
    table = Table(title="per scenario (RTO percentiles Kaplan-Meier; '> t': beyond the "
                        "longest time observed; n/a: the design declines the fault)",
                  title_justify="left")
    width = max((len(e["name"]) for e in document["designs"]), default=6)
    table.add_column("design", no_wrap=True, min_width=width)
    table.add_column("scenario")
    for column in ("runs", "RTO p50 s", "RTO p95 s", "censored", "RPO max s", "lost writes"):
        table.add_column(column, justify="right")
    notes = []
    for entry in document["designs"]:
        for name, scenario in entry["scenarios"].items():
            if not_applicable(scenario):
                table.add_row(entry["name"], name, str(scenario["runs"]), "n/a",
                              "", "", "", "")
                notes.append(f"{entry['name']} / {name}: {scenario['not_applicable']}")
                continue
            m = scenario["metrics"]
            rto, rpo, lost = m[Metric.RTO_WRITE_S], m[Metric.RPO_S], m[Metric.LOST_WRITES]
            table.add_row(entry["name"], name, str(scenario["runs"]), percentile(rto, "p50"),
                          percentile(rto, "p95"),
                          f"{rto.get('n_censored', 0)}/{rto['n']}" if rto["n"] else "-",
                          _with_unknown(_fmt(rpo["max"], 2), rpo),
                          _with_unknown(_fmt(lost["mean"], 1), lost))
    if notes:  # below the table, so a long reason does not widen a column
        table.caption = "n/a — " + "; ".join(notes)
        table.caption_justify = "left"
    return table


def _with_unknown(text: str, summary: dict[str, Any]) -> str:
    return f"{text} ({summary['n_unknown']} unknown)" if summary.get("n_unknown") else text


def sweep_table(frame, params: list[str]) -> Table:
    """Means per (parameters, design, scenario) over runs: scenarios are never pooled.

    Unknown (NaN) values are left out of a mean; a mean of censored RTOs is a
    lower bound (the per-run rows say which were censored).
    """
    table = Table(title="sweep: means over runs, per scenario", title_justify="left")
    metrics = [Metric.RTO_WRITE_S, Metric.RPO_S, Metric.LOST_WRITES, Metric.AVAILABILITY_WRITE,
               "commit_latency_p99_ms"]
    keys_of = [*params, "design", *(["scenario"] if "scenario" in frame else [])]
    for column in [*keys_of, "runs", *metrics]:
        table.add_column(column, justify="left" if column in keys_of else "right")
    ok = frame[frame["ok"]]
    for keys, group in ok.groupby(keys_of, sort=False, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        cells = [_fmt(group[m].mean(), 4 if m == Metric.AVAILABILITY_WRITE else 1)
                 if m in group else "-" for m in metrics]
        table.add_row(*[str(k) for k in keys], str(len(group)), *cells)
    return table
