"""The report's tables as HTML: the comparison, the policy, per-design metrics.

Every cell comes from the summary document (:func:`hadrsim.summarize_study`),
formatted, and escaped: design, scenario and study names are user text and
must never become markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hadrsim.experiments.policy import meets_with_confidence
from hadrsim.experiments.summary import EPISODE_METRICS, RUN_METRICS
from hadrsim.experiments.tables import design_verdict, policy_cell
from hadrsim.report.canvas import finite
from hadrsim.simulator.checkers import nines

__all__ = [
    "comparison_table",
    "cost_table",
    "design_metrics_table",
    "esc",
    "paired_table",
    "policy_table",
    "scenario_table",
    "scenarios_table",
]

METRIC_MEANINGS: dict[str, str] = {
    "rto_write_s": "seconds from a fault until every surviving client writes again (per episode)",
    "rto_read_s": "the same for reads (per episode)",
    "rpo_s": "fault time minus the acknowledgement of the earliest lost write (per episode)",
    "lost_writes": "acknowledged writes of observed clients missing afterwards (per episode)",
    "recovered_ratio": "share of episodes whose clients wrote again before the window closed",
    "lost_writes_total": "every workload write lost, background load included (per run)",
    "availability_write": "share of the horizon outside write outages (per run)",
    "availability_read": "share of the horizon outside read outages (per run)",
    "write_success_ratio": "share of client writes acknowledged (per run)",
    "read_success_ratio": "share of client reads answered (per run)",
    "stale_read_ratio": "share of reads older than the newest write acknowledged before them",
    "split_brain_s": "seconds with two writable primaries of one dataset",
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
    """``mean [low, high]`` of a summary, or a dash when nothing was measured."""
    if not summary or not summary.get("n"):
        return "&ndash;"
    low, high = summary["ci95"]
    return (f"{number(summary['mean'], metric)} "
            f"<span class=\"ci\">[{number(low, metric)}, {number(high, metric)}]</span>")


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


def _policy_class(verdict: Mapping[str, Any]) -> str:
    if not verdict["episodes"]:
        return "none"
    if meets_with_confidence(verdict):
        return "pass"
    return "met" if verdict["p_met"] == 1.0 else "fail"


def comparison_table(document: Mapping[str, Any], policy: Mapping[str, Any]) -> str:
    """Designs side by side: P(policy met) per class, RTO, RPO, availability, cost, verdict."""
    classes = list(policy)
    head = ["design", *[f"{c}: P(met) [95% CI]" for c in classes], "write RTO s",
            "RPO s", "lost writes", "write availability", "USD / month", "verdict"]
    advice = document.get("recommendation") or {}
    rows, marks = [], []
    for entry in document["designs"]:
        m = entry["metrics"]
        name = f"{esc(entry['name'])}<br><span class=\"kind\">{esc(entry['kind'])}"
        if entry.get("ha_architecture"):
            name += f", {esc(entry['ha_architecture'])}"
        name += "</span>"
        cells = []
        for cls in classes:
            verdict = entry["policy"][cls]
            share, _, interval = policy_cell(verdict).partition(" [")
            cell = f'<span class="{_policy_class(verdict)}">{esc(share)}</span>'
            if interval:  # the interval may wrap under the share, never inside itself
                cell += f' <span class="ci">[{esc(interval)}</span>'
            cells.append(cell)
        rows.append([name, *cells, mean_ci(m["rto_write_s"]), mean_ci(m["rpo_s"]),
                     mean_ci(m["lost_writes"]), nines_text(m["availability_write"]),
                     number(entry["cost_month_usd"]["total"]),
                     esc(design_verdict(entry) if classes else "no policy")])
        marks.append("recommended" if advice.get("design") == entry["name"] else "")
    caption = ("Designs side by side: means with 95% confidence intervals; P(policy met) "
               "with Wilson intervals (green: met with &ge; 95% confidence; amber: met in "
               "every episode seen but with less confidence; red: missed)")
    return _table(caption, head, rows, "compare", marks)


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
    """Every summarised metric of one design: n, mean, 95% CI, p50/p95/p99."""
    rows = []
    names = [*EPISODE_METRICS, "recovered_ratio", *RUN_METRICS]
    for name in names:
        s = entry["metrics"].get(name)
        if not s:
            continue
        meaning = METRIC_MEANINGS.get(name, "")
        label = f"{esc(name)}" + (f'<br><span class="kind">{esc(meaning)}</span>'
                                  if meaning else "")
        if not s["n"]:
            rows.append([label, "0", "&ndash;", "&ndash;", "&ndash;", "&ndash;", "&ndash;"])
            continue
        low, high = s["ci95"]
        rows.append([label, str(s["n"]), number(s["mean"], name),
                     f"[{number(low, name)}, {number(high, name)}]",
                     number(s["p50"], name), number(s["p95"], name), number(s["p99"], name)])
    return _table(f"{esc(entry['name'])}: every metric, all scenarios pooled",
                  ["metric", "n", "mean", "95% CI", "p50", "p95", "p99"], rows, "metrics")


def scenario_table(entry: Mapping[str, Any]) -> str:
    """One design, a row per fault scenario (what ``hadrsim run`` prints)."""
    rows = []
    for name, scenario in entry["scenarios"].items():
        m = scenario["metrics"]
        recovered = m["recovered_ratio"]
        rows.append([
            esc(name), f"{scenario['runs']}" + (f" ({scenario['failed_runs']} failed)"
                                                if scenario["failed_runs"] else ""),
            mean_ci(m["rto_write_s"]), mean_ci(m["rto_read_s"]), mean_ci(m["rpo_s"]),
            mean_ci(m["lost_writes"]),
            number(recovered["mean"], "_ratio") if recovered["n"] else "&ndash;",
            nines_text(m["availability_write"]), number(m["commit_latency_p99_ms"]["mean"]),
            number(m["stale_read_ratio"]["mean"], "_ratio"), number(m["lost_updates"]["mean"]),
        ])
    head = ["scenario", "runs", "write RTO s", "read RTO s", "RPO s", "lost writes",
            "recovered", "write availability", "commit p99 ms", "stale reads", "lost updates"]
    return _table(f"{esc(entry['name'])}: per fault scenario (means, 95% CI)", head, rows)


def paired_table(paired: Sequence[Mapping[str, Any]]) -> str:
    """Each design minus the baseline, run by run (common random numbers)."""
    if not paired:
        return ""
    rows = [[esc(p["design"]), esc(p["metric"]), str(p["pairs"]),
             number(p["mean_diff"], p["metric"]),
             f"[{number(p['ci95'][0], p['metric'])}, {number(p['ci95'][1], p['metric'])}]",
             f"[{number(p['unpaired_ci95'][0], p['metric'])}, "
             f"{number(p['unpaired_ci95'][1], p['metric'])}]"] for p in paired]
    caption = (f"Paired differences against {esc(paired[0]['baseline'])} (same scenario and "
               "run index: common random numbers), next to the independent-samples interval")
    return _table(caption, ["design", "metric", "pairs", "mean difference",
                            "paired 95% CI", "unpaired 95% CI"], rows)
