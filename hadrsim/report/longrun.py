"""The long-run view as one self-contained HTML page: tables per design and three figures.

It shows what :func:`hadrsim.long_run` computed (``hadrsim longrun --report``):
yearly availability, downtime, incidents, losses and monthly SLA figures per
design, each with its 95% interval, and three figures: the distribution of a
year's downtime, availability in nines beside the price, and the expected number
of months per year below the SLA. Nothing is recomputed here except what a
figure needs from the simulated years themselves.

A design whose availability is unknown (some outage had no surviving client to
observe it) is shown as "unknown" with the reason, never as 100%: its years
would otherwise count the unobserved outages as no downtime at all. The page
follows the study report's rules (:mod:`hadrsim.report.html`): no reference to
anything outside itself, deterministic bytes, plain ASCII.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes

from hadrsim.longrun.renewal import YEAR_S
from hadrsim.report.canvas import (
    UNKNOWN_COLOUR,
    DesignStyles,
    empty_message,
    finite,
    new_figure,
    plain,
    seconds,
    to_png,
)
from hadrsim.report.html import _CSS, _figure
from hadrsim.report.html_tables import _table, esc, number
from hadrsim.simulator.checkers import nines

if TYPE_CHECKING:
    from hadrsim.longrun.view import LongRun

__all__ = ["annual_downtime_png", "longrun_nines_png", "months_below_sla_png",
           "render_longrun"]

Doc = Mapping[str, Any]
YEAR_MIN = YEAR_S / 60.0
BOTH_DOWN_RULE = (
    "An out-of-sync standby is never promoted: when the primary and its standby are down "
    "together, the design stays down until the primary is repaired (such overlapping faults "
    "are simulated in full, never added up as if independent).")


# --- cells -----------------------------------------------------------------------------


def _percent(value: float, decimals: int) -> str:
    return f"{value * 100:.{decimals}f}%"


def _decimals(mean: float) -> int:
    """Enough decimals to show an availability's nines and one digit more."""
    n = nines(mean)
    return 2 if not finite(n) else min(7, max(2, math.ceil(n)))


def unknown_cell(entry: Doc) -> str:
    """Why a design's availability is unknown (never shown as 100%)."""
    reasons = "; ".join(entry.get("unknown") or ["no measurement"])
    return f'<span class="fail">unknown</span>: {esc(reasons)}'


def availability_cell(entry: Doc) -> str:
    """``mean [low, high] (n nines)``; ``&le;`` when censored outages make it an upper bound."""
    a = entry["availability"]
    if a is None:
        return unknown_cell(entry)
    decimals = _decimals(a["mean"])
    low, high = a["ci95"]
    n = nines(a["mean"])
    count = "&infin;" if math.isinf(n) else f"{n:.2f}"
    text = (f"{_percent(a['mean'], decimals)} <span class=\"ci\">[{_percent(low, decimals)}, "
            f"{_percent(high, decimals)}]</span> ({count} nines)")
    if a.get("bound"):
        text = (f"&le; {text} <span class=\"ci\">(upper bound: "
                f"{entry.get('censored_share', 0):.1%} of outages censored)</span>")
    return text


def figure_cell(x: Doc | None, missing: str = "&ndash;") -> str:
    """``mean [low, high]`` of a yearly figure."""
    if x is None:
        return missing
    low, high = x["ci95"]
    return (f"{number(x['mean'])} <span class=\"ci\">[{number(low)}, {number(high)}]"
            "</span>")


def share_cell(x: Doc | None, missing: str = "&ndash;") -> str:
    """A probability as a percentage with its interval."""
    if x is None:
        return missing
    low, high = x["ci95"]
    return (f"{x['mean']:.2%} <span class=\"ci\">[{low:.2%}, {high:.2%}]</span>")


def _usd(value: float | None) -> str:
    return "&ndash;" if value is None else f"${value:,.0f}"


def _missing(entry: Doc, what: str) -> str:
    """Why a figure is absent: unknown outages, or no SLA to compare with."""
    if entry["availability"] is None:
        return '<span class="fail">unknown</span> (see availability)'
    return f'<span class="none">{what}</span>'


# --- tables ----------------------------------------------------------------------------


def overview_table(document: Doc) -> str:
    """One row per design: the figures an architect compares first."""
    head = ["design", "write availability [95% CI]", "downtime min/yr (p95)",
            "months below SLA/yr", "USD/month", "incidents USD/yr"]
    rows = []
    for e in document["designs"]:
        down = e["downtime_min_per_year"]
        rows.append([
            f"{esc(e['design'])}<br><span class=\"kind\">{esc(e['kind'])}</span>",
            availability_cell(e),
            _missing(e, "") if down is None else
            f"{number(down['mean'])} ({number(down.get('p95'))})",
            figure_cell(e["months_below_sla_per_year"], _missing(e, "no SLA")),
            _usd(e["cost_month_usd"]), _usd(e["incident_cost_usd_per_year"])])
    return _table("Designs side by side (means, 95% intervals)", head, rows, "text")


def design_table(entry: Doc) -> str:
    """Every yearly figure of one design, with its interval and what it means."""
    down, comp, sla = entry["downtime_min_per_year"], entry["compound"], entry["sla_pct"]
    spread = ("&ndash;" if down is None else " / ".join(
        number(down.get(p)) for p in ("p50", "p95", "p99")))
    no_sla = "no SLA: give --sla or longrun.sla_pct"
    priced = ("not priced: set longrun.downtime_cost_usd_per_min and lost_write_cost_usd"
              if entry["availability"] is not None else "unknown (see availability)")
    rows = [
        ("write availability", availability_cell(entry),
         "share of time a client write would succeed; nines = -log10(1 - A)"),
        ("downtime, min / year", figure_cell(down, _missing(entry, "")),
         "mean over histories; a single year's p50 / p95 / p99: " + spread),
        ("incidents / year", figure_cell(entry["incidents_per_year"]),
         "fault occurrences of every class"),
        ("outages / year", figure_cell(entry["outages_per_year"]),
         "incidents that clients saw as a write outage"),
        ("lost writes / year", figure_cell(entry["lost_writes_per_year"]),
         "acknowledged writes missing afterwards"),
        ("loss window, s / year", figure_cell(entry["loss_window_s_per_year"]),
         "sum of the incidents' data-loss windows"),
        ("monthly SLA", "&ndash;" if sla is None else f"{sla:g}%",
         "uptime share a month must reach (AWS's published figure unless given)"),
        ("P(a month meets the SLA)", share_cell(entry["p_meets_sla"], _missing(entry, no_sla)),
         "months of 43,800 minutes, as AWS counts them"),
        ("months below the SLA / year", figure_cell(entry["months_below_sla_per_year"],
                                                    _missing(entry, no_sla)),
         "expected number of the 12 months that fall below it"),
        ("compound faults", f"{comp['share_of_incidents']:.2%} of incidents, "
         f"{number(comp['share_of_time'] * 100)}% of the time",
         f"overlapping faults: {comp['groups']} groups, {comp['simulated']} simulated in full"),
        ("price, USD / month", _usd(entry["cost_month_usd"]), "the design's monthly bill"),
        ("incident cost, USD / year",
         _usd(entry["incident_cost_usd_per_year"]) if entry["incident_cost_usd_per_year"]
         is not None else f'<span class="none">{priced}</span>',
         "downtime and lost writes at the study's prices"),
    ]
    # labels and meanings are this module's own text (already safe HTML), no user text
    return _table(f"{esc(entry['design'])}: yearly figures (mean [95% CI])",
                  ["figure", "value", "meaning"], rows, "text")


def library_table(entry: Doc) -> str:
    """The episode library behind a design: what one fault of each class did."""
    rows = []
    for c in entry["classes"]:
        if c.get("not_applicable"):
            rows.append([esc(c["class"]), "0", f"n/a: {esc(c['not_applicable'])}",
                         *["&ndash;"] * 4])
            continue
        note = [f"{c[k]} {k}" for k in ("censored", "unknown") if c.get(k)]
        steps = [f"{k[5:-2]} {seconds(c[k])}" for k in
                 ("mean_detection_s", "mean_promotion_s", "mean_dns_s") if finite(c.get(k))]
        rows.append([esc(c["class"]), str(c["episodes"]), seconds(c["mean_downtime_s"]),
                     seconds(c["p95_downtime_s"]), number(c["mean_lost_writes"]),
                     esc(", ".join(steps)) or "&ndash;", esc(", ".join(note) or "none")])
    return _table(f"{esc(entry['design'])}: episode library (one fault per episode, full "
                  "model)", ["fault class", "episodes", "mean outage", "p95 outage",
                             "lost writes", "mean steps", "censored / unknown"], rows, "text")


# --- figures ---------------------------------------------------------------------------


def _ecdf_points(values: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Step points of a year-downtime ECDF; on a log axis it starts at the share of
    years with no downtime (those cannot be drawn at 0 there)."""
    values = np.sort(values)
    ys = np.arange(1, values.size + 1) / values.size
    if log:
        keep = values > 0
        start = 1.0 - keep.mean()
        return np.r_[values[keep][:1], values[keep]], np.r_[start, ys[keep]]
    return np.r_[values[:1], values], np.r_[0.0, ys]


def _allowances(ax: Axes, entries: Sequence[Doc], top: float, log: bool) -> None:
    """Each SLA's yearly allowance (its monthly share of a whole year) as a dotted line,
    when it lies near the data."""
    for sla in sorted({e["sla_pct"] for e in entries if e["sla_pct"] is not None}):
        allowance = (1.0 - sla / 100.0) * YEAR_MIN
        if allowance > 10 * max(top, 1.0) or (log and allowance <= 0):
            continue
        if allowance > ax.get_xlim()[1]:
            ax.set_xlim(right=allowance * (1.5 if log else 1.1))
        ax.axvline(allowance, color="#555555", linestyle=":", linewidth=1)
        ax.annotate(f"{sla:g}% of a year: {allowance:,.0f} min", (allowance, 0.03),
                    xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                    color="#555555", ha="right", va="bottom")


def annual_downtime_png(document: Doc, annual: Mapping[str, np.ndarray], *,
                        width_in: float = 9.0) -> bytes:
    """The distribution (ECDF) of one simulated year's downtime, per design.

    Log x when the years span two decades or more; designs with unknown downtime
    are named in the title, not drawn (their unobserved outages would read as 0).
    """
    entries = document["designs"]
    styles = DesignStyles(e["design"] for e in entries)
    shown = [(e, np.asarray(annual.get(e["design"], ()), dtype=float)) for e in entries
             if e["downtime_min_per_year"] is not None]
    shown = [(e, v) for e, v in shown if v.size]
    unknown = [e["design"] for e in entries if e["downtime_min_per_year"] is None]
    figure = new_figure(width_in, 4.6)
    if not shown:
        empty_message(figure, "no whole simulated year to draw (histories shorter than a "
                      "year, or every design's downtime unknown)")
        return to_png(figure)
    positive = np.concatenate([v[v > 0] for _, v in shown])
    log = bool(positive.size) and positive.max() >= 100 * positive.min()
    ax = figure.subplots()
    for entry, values in shown:
        name = entry["design"]
        zero = float((values == 0).mean())
        label = f"{plain(name)} ({values.size} years" + (f", {zero:.0%} with none)"
                                                         if zero else ")")
        xs, ys = _ecdf_points(values, log)
        ax.step(xs, ys, where="post", color=styles.colour(name),
                linestyle=styles.linestyle(name), linewidth=1.6, label=label)
    if log:
        ax.set_xscale("log")
    else:
        ax.set_xlim(left=0)
    _allowances(ax, [e for e, _ in shown], float(max(v.max() for _, v in shown)), log)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("downtime in one year, minutes" + (" (log scale)" if log else ""))
    ax.set_ylabel("share of simulated years <= x")
    ax.grid(True, which="major", alpha=0.3)
    title = "downtime of each simulated year (write outages seen by clients)"
    if unknown:
        title += f"\nnot drawn, downtime unknown: {plain(', '.join(unknown))}"
    ax.set_title(title, fontsize=10)
    figure.legend(loc="outside lower center", ncol=min(len(shown), 4), fontsize=8,
                  frameon=False)
    return to_png(figure)


def _capped_nines(a: float, cap: float) -> float:
    n = nines(min(max(a, 0.0), 1.0))
    return cap if math.isinf(n) else max(0.0, n)


def _tick_label(entry: Doc, extra: str) -> str:
    return f"{plain(entry['design'])}\n{extra}"


def longrun_nines_png(document: Doc, *, width_in: float = 9.0) -> bytes:
    """Availability per design in nines with its 95% interval, the design's monthly SLA
    as a dash and its price under its name; unknown availability is written, not drawn."""
    entries = document["designs"]
    styles = DesignStyles(e["design"] for e in entries)
    figure = new_figure(width_in, 4.6)
    ax = figure.subplots()
    known = [a["ci95"][1] for e in entries if (a := e["availability"]) and a["ci95"][1] < 1]
    slas = [nines(e["sla_pct"] / 100) for e in entries if e["sla_pct"] is not None]
    top = max([nines(v) for v in known] + [n for n in slas if finite(n)] + [1.0])
    cap = math.ceil(top) + 1.0
    for i, e in enumerate(entries):
        a, name = e["availability"], e["design"]
        if a is None:
            ax.annotate("unknown\n(see its table)", (i, 0.1), ha="center", va="bottom",
                        fontsize=9, color=UNKNOWN_COLOUR, fontweight="bold")
            continue
        mean = _capped_nines(a["mean"], cap)
        low, high = (_capped_nines(x, cap) for x in a["ci95"])
        ax.errorbar(i, mean, yerr=[[mean - low], [high - mean]], color=styles.colour(name),
                    marker=styles.marker(name), markersize=8, capsize=5, linewidth=1.4,
                    markerfacecolor="white" if a.get("bound") else styles.colour(name))
        text = "inf" if a["mean"] >= 1 else f"{mean:.2f}"
        ax.annotate(("<= " if a.get("bound") else "") + text, (i, high), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    _sla_dashes(ax, entries)
    ax.set_xticks(range(len(entries)), [_tick_label(e, _price_label(e)) for e in entries],
                  fontsize=8)
    ax.set_xlim(-0.6, len(entries) - 0.4)
    ax.set_ylim(0, cap + 0.4)
    ticks = range(int(cap) + 1)
    ax.set_yticks(ticks, [f"{k} ({100 * (1 - 10.0 ** -k):g}%)" for k in ticks])
    ax.set_ylabel("nines: -log10(1 - availability)")
    ax.set_title("yearly write availability, 95% interval (hollow: upper bound, outages "
                 "censored)", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", frameon=False)
    return to_png(figure)


def _sla_dashes(ax: Axes, entries: Sequence[Doc]) -> None:
    """Each design's monthly SLA in nines, a grey dash at its position (one legend entry)."""
    label = "monthly SLA, as nines"
    for i, e in enumerate(entries):
        if e["sla_pct"] is not None and finite(nines(e["sla_pct"] / 100)):
            ax.plot(i, nines(e["sla_pct"] / 100), marker="_", markersize=26,
                    markeredgewidth=2, color="#555555", linestyle="none", label=label)
            label = None


def _price_label(entry: Doc) -> str:
    text = f"${entry['cost_month_usd']:,.0f}/month"
    if entry["incident_cost_usd_per_year"] is not None:
        text += f"\n+${entry['incident_cost_usd_per_year']:,.0f}/yr incidents"
    return text


def months_below_sla_png(document: Doc, *, width_in: float = 9.0) -> bytes:
    """Expected months per year below the SLA, per design, with the 95% interval and
    P(a month meets the SLA) written on each bar."""
    entries = document["designs"]
    styles = DesignStyles(e["design"] for e in entries)
    figure = new_figure(width_in, 4.6)
    ax = figure.subplots()
    highs = [e["months_below_sla_per_year"]["ci95"][1] for e in entries
             if e["months_below_sla_per_year"] is not None]
    top = max(highs + [0.4]) * 1.35
    for i, e in enumerate(entries):
        x, p = e["months_below_sla_per_year"], e["p_meets_sla"]
        if x is None:
            text = "unknown" if e["availability"] is None else "no SLA"
            colour = UNKNOWN_COLOUR if e["availability"] is None else "#555555"
            ax.annotate(text, (i, 0.02 * top), ha="center", va="bottom", fontsize=9,
                        color=colour, fontweight="bold")
            continue
        low, high = x["ci95"]
        ax.bar(i, x["mean"], 0.6, color=styles.colour(e["design"]), edgecolor="black",
               linewidth=0.5)
        ax.errorbar(i, x["mean"], yerr=[[x["mean"] - low], [high - x["mean"]]],
                    color="black", capsize=4, linewidth=1)
        label = f"{x['mean']:.2g} / yr" + (f"\nP(month meets) {p['mean']:.1%}" if p else "")
        ax.annotate(label, (i, high), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)
    sla = ["no SLA" if e["sla_pct"] is None else f"SLA {e['sla_pct']:g}%" for e in entries]
    ax.set_xticks(range(len(entries)), [_tick_label(e, s) for e, s in zip(entries, sla,
                                                                          strict=True)],
                  fontsize=8)
    ax.set_xlim(-0.6, len(entries) - 0.4)
    ax.set_ylim(0, top)
    ax.set_ylabel("months below the SLA per year (of 12)")
    ax.set_title("expected months per year whose uptime falls below the design's monthly "
                 "SLA, 95% interval", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    return to_png(figure)


# --- the page --------------------------------------------------------------------------


def _law(law: Any) -> str:
    if isinstance(law, (int, float)):
        return f"{law:g} h (exponential)" if law else "0 h"
    params = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}"
                       for k, v in law.items() if k != "dist")
    return f"{law.get('dist', 'law')}({params}) h"


def _years(years: float) -> str:
    return "1 year" if years == 1 else f"{years:g} years"


def _facts(document: Doc) -> str:
    classes = "; ".join(f"{c['class']}: MTTF {_law(c['mttf_h'])}, MTTR {_law(c['mttr_h'])}"
                        for c in document["classes"])
    items = [("study", esc(document["study"])), ("scenario", esc(document["scenario"])),
             ("histories", f"{document['runs']:,} of {_years(document['years'])} each"),
             ("seed", str(document["seed"])), ("fault classes", esc(classes) or "&ndash;")]
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    return f'<dl class="facts">{rows}</dl>'


def _reading(document: Doc) -> str:
    notes = "".join(f"<li>{esc(n)}</li>" for n in document.get("notes") or [])
    return (
        '<p class="advice"><strong>How to read this.</strong> Method: '
        f"{esc(document['method'])}. Each fault class's impact (the write outage clients saw, "
        "lost writes, the loss window) was measured by the full model, one fault per "
        "episode; the years are drawn by resampling those episodes. "
        f"{esc(BOTH_DOWN_RULE)} Intervals are 95%: they hold both the Monte Carlo's "
        "uncertainty and the episode library's (bootstrapped), and stay inside each "
        "figure's range; p50/p95/p99 describe single years, not the mean. Availability is "
        "write availability; an SLA is a monthly uptime percentage, so the SLA figures "
        "count months. A design whose outages were not all observed shows "
        '"unknown" with the reason, never 100%.</p>'
        + (f"<ul>{notes}</ul>" if notes else ""))


_CAPTIONS = (
    ("downtime", "ECDF of one simulated year's downtime per design",
     "<strong>Downtime of a single year.</strong> The height at x is the share of simulated "
     "years with at most x minutes of write outage; a curve further up and left is better, "
     "and its spread is the year-to-year luck the mean hides. Dotted lines: an SLA "
     "percentage applied to a whole year, the downtime a year may hold and still average "
     "the SLA (designs with unknown downtime are named in the title, not drawn)."),
    ("nines", "Availability in nines per design with 95% intervals and monthly prices",
     "<strong>Yearly availability in nines</strong>, -log10(1 - A): 3 nines = 99.9%; "
     "whiskers are the 95% interval, a hollow marker an upper bound (some outages were "
     "censored), grey dashes each design's monthly SLA. The price under each name shows "
     "what each extra nine costs; an unknown availability is written, never drawn."),
    ("months", "Bar chart of expected months below the SLA per year per design",
     "<strong>Months per year below the SLA.</strong> Bars: the expected number of months "
     "(of 12) whose uptime falls below the design's monthly SLA, whiskers the 95% "
     "interval, with P(a month meets the SLA) on each bar. Designs are held to their own "
     "SLA (AWS's published one unless the study or --sla gives one), so compare a bar with "
     "its label."),
)


def render_longrun(view: LongRun) -> str:
    """The HTML page of a long-run view (:func:`hadrsim.long_run`), self-contained."""
    import hadrsim  # late, as in render_report

    document = view.to_json()
    pngs = [annual_downtime_png(document, view.annual_downtime_min),
            longrun_nines_png(document), months_below_sla_png(document)]
    figures = [_figure(png, alt, caption, f"fig-{anchor}")
               for png, (anchor, alt, caption) in zip(pngs, _CAPTIONS, strict=True)]
    designs = []
    for i, entry in enumerate(document["designs"]):
        designs += [f'<h3 id="design-{i}">{esc(entry["design"])} <span class="kind">'
                    f'{esc(entry["kind"])}</span></h3>', design_table(entry),
                    library_table(entry)]
    title = f"hadrsim long-run view: {esc(document['study'])}"
    body = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>", f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{title}</h1>", _facts(document), "</header>",
        '<section id="reading">', _reading(document), "</section>",
        '<section id="comparison"><h2>Designs side by side</h2>', overview_table(document),
        "</section>",
        '<section id="figures"><h2>Figures</h2>', *figures, "</section>",
        '<section id="designs"><h2>Every design in detail</h2>', *designs, "</section>",
        f"<footer>Made by hadrsim {esc(hadrsim.__version__)} from {document['runs']:,} "
        f"simulated histories of {_years(document['years'])} per design. This file needs "
        "nothing but itself.</footer>", "</body></html>",
    ]
    text = "\n".join(part for part in body if part) + "\n"
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")
