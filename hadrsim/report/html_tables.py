"""The report's tables as HTML: the comparison, the policy, per-design metrics.

Every cell comes from the summary document (:meth:`hadrsim.Results.summary`),
formatted, and escaped: design, scenario and study names are user text and
must never become markup. RTO, RPO and lost writes appear per scenario only; a
censored mean reads "&ge; x (k censored)", a Kaplan-Meier percentile beyond the
longest time observed "&gt; t", and a scenario whose faults the design
declined "n/a: reason".
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hadrsim.experiments.summary import EPISODE_METRICS, RUN_METRICS
from hadrsim.experiments.tables import design_verdict, policy_cell
from hadrsim.report.canvas import finite
from hadrsim.simulator.checkers import nines
from hadrsim.simulator.vocabulary import Metric

__all__ = [
    "comparison_table",
    "cost_table",
    "design_metrics_table",
    "esc",
    "paired_table",
    "policy_table",
    "scenario_figures_table",
    "scenario_table",
    "scenarios_table",
]

METRIC_MEANINGS: dict[str, str] = {
    Metric.RTO_WRITE_S: "seconds from a fault until every surviving client writes again "
                        "(per episode)",
    Metric.RTO_READ_S: "the same for reads (per episode)",
    Metric.RPO_S: "loss window: ack of the latest lost acknowledged write minus the recovery "
             "point, 0 when nothing was lost (per episode)",
    Metric.LOST_WRITES: "acknowledged writes of observed clients missing afterwards (per episode)",
    "recovered_ratio": "share of episodes whose clients wrote again before the window closed",
    "lost_writes_total": "every workload write lost, background load included (per run)",
    Metric.AVAILABILITY_WRITE: "share of the horizon outside write outages (per run)",
    Metric.AVAILABILITY_READ: "share of the horizon outside read outages (per run)",
    "write_success_ratio": "share of client writes acknowledged (per run)",
    "read_success_ratio": "share of client reads answered (per run)",
    Metric.STALE_READ_RATIO: "share of reads older than the newest write acknowledged before them",
    Metric.SPLIT_BRAIN_S: "seconds with two writable primaries of one dataset",
    "divergent_keys": "keys on which available replicas disagree after quiescence",
}
_FRACTIONS = ("availability_", "_ratio", "tvis_p_")


def esc(value: object) -> str:
    """Escape user text for HTML content and attribute values alike."""
    return html.escape(str(value), quote=True)


def number(value: float | None, metric: str = "") -> str:
    """A figure for a cell: fractions as percentages, counts and seconds as plain numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    if math.isinf(value):
        return "&infin;" if value > 0 else "&minus;&infin;"
    if any(part in metric for part in _FRACTIONS):
        return f"{value * 100:.3f}%"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1 or value == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def mean_ci(summary: Mapping[str, Any], metric: str = "") -> str:
    """``mean [low, high]``; ``&ge; mean (k censored)`` for a censored mean; unknowns counted."""
    if not summary or not summary.get("n"):
        unknown = (summary or {}).get("n_unknown")
        return f"unknown ({unknown})" if unknown else "&ndash;"
    if summary.get("mean_is_lower_bound"):
        text = (f"&ge; {number(summary['mean'], metric)} "
                f"<span class=\"ci\">({summary['n_censored']} censored)</span>")
    else:
        low, high = summary["ci95"]
        text = (f"{number(summary['mean'], metric)} "
                f"<span class=\"ci\">[{number(low, metric)}, {number(high, metric)}]</span>")
    if summary.get("n_unknown"):
        text += f' <span class="ci">({summary["n_unknown"]} unknown)</span>'
    return text


def percentile(summary: Mapping[str, Any], name: str, metric: str = "") -> str:
    """A percentile; ``&gt; t`` when Kaplan-Meier puts it beyond the longest time observed."""
    if not summary or not summary.get("n"):
        return "&ndash;"
    value = number(summary[name], metric)
    return f"&gt; {value}" if name in summary.get("above", ()) else value


def nines_text(summary: Mapping[str, Any]) -> str:
    """Availability as a percentage with its number of nines."""
    if not summary.get("n") or not finite(summary["mean"]):
        return "&ndash;"
    n = nines(summary["mean"])
    count = "&infin;" if math.isinf(n) else f"{n:.1f}"
    return f"{number(summary['mean'], 'availability_')} ({count} nines)"


def _table(caption: str, head: Sequence[str], rows: Iterable[Sequence[str]],
           cls: str = "", row_classes: Sequence[str] | None = None) -> str:
    """A ``<table>`` from already-escaped cells (the header is escaped here)."""
    out = ['<div class="scroll">', f'<table class="{cls}">' if cls else "<table>",
           f"<caption>{caption}</caption>",
           "<thead><tr>" + "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
           + "</tr></thead>", "<tbody>"]
    for i, row in enumerate(rows):
        attr = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = [f'<th scope="row">{row[0]}</th>', *(f"<td>{cell}</td>" for cell in row[1:])]
        out.append(f"<tr{attr}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def policy_table(policy: Mapping[str, Any]) -> str:
    """The RTO and RPO targets per disruption class."""
    rows = [(esc(cls), f"{t.rto_s:g} s", f"{t.rpo_s:g} s") for cls, t in policy.items()]
    return _table("Resiliency policy: targets per disruption class",
                  ["disruption class", "RTO target", "RPO target"], rows, "narrow")


def comparison_table(document: Mapping[str, Any], policy: Mapping[str, Any]) -> str:
    """The verdict: one row per design, P(policy met) per class with its bound, cost, verdict."""
    classes = list(policy)
    rule = document.get("decision_rule") or {}
    confidence = rule.get("confidence", 0.975)
    head = ["design", *[f"{c}: P(met), bound" for c in classes], "runs", "USD / month",
            "verdict"]
    advice = document.get("recommendation") or {}
    chosen, chosen_cost = advice.get("design"), advice.get("cost_month_usd")
    rows, marks = [], []
    for entry in document["designs"]:
        name = f"{esc(entry['name'])}<br><span class=\"kind\">{esc(entry['kind'])}"
        if entry.get("ha_architecture"):
            name += f", {esc(entry['ha_architecture'])}"
        name += "</span>"
        decision = entry.get("decision") or {"classes": {}, "runs": entry["runs"]}
        cells = []
        for cls in classes:
            verdict = decision["classes"][cls]
            share, _, bound = policy_cell(verdict).partition(" ")
            cell = f'<span class="{_STATUS_CLASS[verdict["status"]]}">{esc(share)}</span>'
            if bound:
                cell += f' <span class="ci">{esc(bound)}</span>'
            cells.append(cell)
        cost = entry["cost_month_usd"]["total"]
        needed = chosen_cost is None or cost < chosen_cost
        rows.append([name, *cells, number(decision["runs"]), number(cost),
                     esc(design_verdict(entry, chosen, needed) if classes else "no policy")])
        marks.append("recommended" if chosen == entry["name"] else "")
    caption = (f"The verdict per disruption class: P(policy met) and its one-sided "
               f"{confidence:.1%} bound from a confidence sequence valid at every look "
               "(green, &ge;: proven to meet; red, &le;: proven to fail; amber, a range: "
               "still open; no episode: no fault of that class applied to the design, "
               "neither passed nor failed)")
    return _table(caption, head, rows, "compare", marks)


_STATUS_CLASS = {"meets": "pass", "fails": "fail", "open": "met", "not exercised": "none"}


def scenario_figures_table(document: Mapping[str, Any]) -> str:
    """Below the verdict: one row per design and scenario (RTO, RPO, losses, availability)."""
    head = ["design / scenario", "write RTO s (mean)", "write RTO p50", "write RTO p95",
            "RPO s (mean)", "RPO max s", "lost writes", "write availability"]
    rows = []
    for entry in document["designs"]:
        for name, scenario in entry["scenarios"].items():
            label = f"{esc(entry['name'])} <span class=\"kind\">/ {esc(name)}</span>"
            if scenario.get("not_applicable"):
                rows.append([label, f"n/a: {esc(scenario['not_applicable'])}",
                             *["&ndash;"] * (len(head) - 2)])
                continue
            m = scenario["metrics"]
            rto, rpo = m[Metric.RTO_WRITE_S], m[Metric.RPO_S]
            rows.append([label, mean_ci(rto), percentile(rto, "p50"), percentile(rto, "p95"),
                         mean_ci(rpo), number(rpo["max"]) if rpo["n"] else "&ndash;",
                         mean_ci(m[Metric.LOST_WRITES]), nines_text(m[Metric.AVAILABILITY_WRITE])])
    caption = ("Per fault scenario, never pooled: RTO percentiles are Kaplan-Meier estimates "
               "(&gt; t: beyond the longest time observed); a censored mean is a lower bound; "
               "n/a: the design declines the scenario's faults")
    return _table(caption, head, rows, "figures")


def scenarios_table(study: Any) -> str:
    """The fault scenarios every design met."""
    rows = []
    for scenario in study.scenarios:
        faults = [f"{f.kind} at {f.at_s:g} s" for f in scenario.scheduled]
        faults += [f"{f.kind} (stochastic)" for f in scenario.stochastic]
        rows.append((esc(scenario.name), f"{study.horizon_for(scenario):g} s",
                     esc("; ".join(faults) or "none"), esc(scenario.description)))
    return _table("Fault scenarios", ["scenario", "horizon", "faults", "description"], rows,
                  "text")


def cost_table(entry: Mapping[str, Any]) -> str:
    """Monthly cost lines of one design."""
    lines = entry["cost_month_usd"]
    rows = [(esc(k.replace("_", " ")), number(v)) for k, v in lines.items() if k != "total"]
    rows.append(("<strong>total</strong>", f"<strong>{number(lines['total'])}</strong>"))
    return _table(f"{esc(entry['name'])}: estimated cost, USD / month", ["line", "USD"],
                  rows, "narrow")


def design_metrics_table(entry: Mapping[str, Any]) -> str:
    """Every summarised metric of one design, a table per scenario: n, mean, CI, percentiles."""
    return "\n".join(_scenario_metrics_table(entry["name"], name, scenario)
                     for name, scenario in entry["scenarios"].items()
                     if not scenario.get("not_applicable"))


def _scenario_metrics_table(design: str, name: str, scenario: Mapping[str, Any]) -> str:
    rows = []
    for metric in [*EPISODE_METRICS, "recovered_ratio", *RUN_METRICS]:
        s = scenario["metrics"].get(metric)
        if not s:
            continue
        meaning = METRIC_MEANINGS.get(metric, "")
        label = f"{esc(metric)}" + (f'<br><span class="kind">{esc(meaning)}</span>'
                                    if meaning else "")
        unknown = str(s.get("n_unknown", 0))
        if not s["n"]:
            rows.append([label, "0", unknown, *["&ndash;"] * 5])
            continue
        low, high = s["ci95"]
        mean = number(s["mean"], metric)
        interval = f"[{number(low, metric)}, {number(high, metric)}]"
        if s.get("mean_is_lower_bound"):
            mean, interval = f"&ge; {mean}", f"{s['n_censored']} censored"
        rows.append([label, str(s["n"]), unknown, mean, interval,
                     *(percentile(s, p, metric) for p in ("p50", "p95", "p99"))])
    return _table(f"{esc(design)} / {esc(name)}: every metric",
                  ["metric", "n", "unknown", "mean", "95% CI", "p50", "p95", "p99"], rows,
                  "metrics")


def scenario_table(entry: Mapping[str, Any]) -> str:
    """One design, a row per fault scenario (what ``hadrsim run`` prints)."""
    head = ["scenario", "runs", "write RTO s", "write RTO p50 / p95", "read RTO s", "RPO s",
            "lost writes", "recovered", "write availability", "commit p99 ms", "stale reads",
            "lost updates"]
    rows = []
    for name, scenario in entry["scenarios"].items():
        runs = f"{scenario['runs']}" + (f" ({scenario['failed_runs']} failed)"
                                        if scenario["failed_runs"] else "")
        if scenario.get("not_applicable"):
            rows.append([esc(name), runs, f"n/a: {esc(scenario['not_applicable'])}",
                         *["&ndash;"] * (len(head) - 3)])
            continue
        m = scenario["metrics"]
        recovered, rto = m["recovered_ratio"], m[Metric.RTO_WRITE_S]
        rows.append([
            esc(name), runs, mean_ci(rto),
            f"{percentile(rto, 'p50')} / {percentile(rto, 'p95')}",
            mean_ci(m[Metric.RTO_READ_S]), mean_ci(m[Metric.RPO_S]), mean_ci(m[Metric.LOST_WRITES]),
            number(recovered["mean"], "_ratio") if recovered["n"] else "&ndash;",
            nines_text(m[Metric.AVAILABILITY_WRITE]), number(m["commit_latency_p99_ms"]["mean"]),
            number(m[Metric.STALE_READ_RATIO]["mean"], "_ratio"), number(m["lost_updates"]["mean"]),
        ])
    return _table(f"{esc(entry['name'])}: per fault scenario (means, 95% CI)", head, rows)


def paired_table(paired: Sequence[Mapping[str, Any]]) -> str:
    """Each design minus the baseline, run by run within a scenario (common random numbers)."""
    if not paired:
        return ""
    rows = [[esc(p["design"]), esc(p.get("scenario", "")), esc(p["metric"]), str(p["pairs"]),
             number(p["mean_diff"], p["metric"]),
             f"[{number(p['ci95'][0], p['metric'])}, {number(p['ci95'][1], p['metric'])}]",
             f"[{number(p['unpaired_ci95'][0], p['metric'])}, "
             f"{number(p['unpaired_ci95'][1], p['metric'])}]"] for p in paired]
    caption = (f"Paired differences against {esc(paired[0]['baseline'])}, per scenario (same "
               "scenario and run index: common random numbers; Student t), next to the "
               "independent-samples (Welch) interval")
    return _table(caption, ["design", "scenario", "metric", "pairs", "mean difference",
                            "paired 95% CI", "unpaired 95% CI"], rows)
