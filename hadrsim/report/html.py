"""One self-contained HTML file: the study's answer, its evidence and its figures.

The file must open offline, be mailed, archived and diffed, so it refers to
nothing outside itself: no scripts, no web fonts, no stylesheet links; the
CSS is inline and every figure is a PNG in a ``data:`` URI. The same study and
results give the same bytes (no clock, no random ids, deterministic PNGs), and
the text is plain ASCII (anything else as character references), so that no
locale can garble it.

Episode timelines are drawn from the chosen runs' records: stored in a results
store, or kept in memory by :class:`~hadrsim.experiments.experiment.Experiment`,
so a report from a store never simulates. Only a run whose records were not kept
(an older store, a plain list of RunResults) is re-simulated, which is
deterministic: the run drawn is the run that was measured. When a run's history
hash is known and the records drawn differ from it (a store written by another
hadrsim), the caption says so.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hadrsim.experiments import run as _run
from hadrsim.experiments.record_store import decode_records
from hadrsim.experiments.results import Results
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.summary import summarize_study
from hadrsim.report.html_tables import (
    comparison_table,
    cost_table,
    design_metrics_table,
    esc,
    paired_table,
    policy_table,
    scenario_figures_table,
    scenario_table,
    scenarios_table,
)
from hadrsim.report.pareto import cost_pareto_png
from hadrsim.report.plots import availability_nines_png, rto_rpo_cdf_png, t_visibility_png
from hadrsim.report.timeline import episode_timeline_png
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.vocabulary import Metric
from hadrsim.spec.study import Study

__all__ = ["TimelinePick", "default_timelines", "render_report"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; color: #1a1a1a;
       line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem; margin-top: 2.2rem; }
h3 { margin-top: 1.8rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
nav ol { columns: 2; }
table { border-collapse: collapse; margin: 0.8rem 0 1.2rem; font-size: 0.86rem; width: 100%; }
table.narrow { width: auto; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border: 1px solid #c8c8c8; padding: 0.25rem 0.5rem; text-align: right;
         vertical-align: top; }
thead th { background: #eef3f8; text-align: center; }
tbody th { text-align: left; font-weight: 600; }
table.text td { text-align: left; }
tr.recommended th, tr.recommended td { background: #eaf6ee; }
tr.recommended th::after { content: " (recommended)"; font-weight: 400; color: #006b45; }
.kind { font-weight: 400; color: #555; font-size: 0.8rem; }
.ci { color: #555; white-space: nowrap; }
.pass { color: #006b45; font-weight: 600; }
.met { color: #8a5a00; font-weight: 600; }
.fail { color: #b00020; font-weight: 600; }
.none { color: #777; }
.scroll { overflow-x: auto; }
.advice { background: #f4f8fb; border-left: 4px solid #0072B2; padding: 0.6rem 1rem; }
figure { margin: 1.2rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
figcaption { font-size: 0.9rem; color: #333; max-width: 60rem; }
.warning { color: #b00020; }
footer { margin-top: 3rem; font-size: 0.8rem; color: #666; }
"""


@dataclass(frozen=True)
class TimelinePick:
    """One episode to draw: a run (design, scenario, run index) and its episode number."""

    design: str
    scenario: str
    run_index: int
    episode: int = 0
    history_hash: str = ""


def default_timelines(study: Study, results: Sequence[RunResult]) -> list[TimelinePick]:
    """Per design, its longest recovered episode among its lowest-index runs.

    Run 0 of every design meets the same fault arrivals (common random numbers),
    so the pictures compare like with like. A recovered episode shows the whole
    story (detection, promotion, DNS, clients back); only a design that recovered
    from nothing shows its longest censored one. Designs without episodes get none.
    """
    picks = []
    order = {s.name: i for i, s in enumerate(study.scenarios)}
    for design in [d.name for d in study.designs]:
        runs = [r for r in results if r.design == design and r.ok and r.episodes]
        if not runs:
            continue
        first = min(r.run_index for r in runs)
        best: tuple[Any, ...] | None = None
        for r in (r for r in runs if r.run_index == first):
            for number, row in enumerate(r.episodes):
                rto = float(row[Metric.RTO_WRITE_S])
                key = (row[Metric.RECOVERED_WRITE] is True, rto if rto == rto else -1.0,
                       -order.get(r.scenario, 0), -number)
                if best is None or key > best[0]:
                    best = (key, TimelinePick(design, r.scenario, r.run_index, number,
                                              r.history_hash))
        if best is not None:
            picks.append(best[1])
    return picks


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (so the page does not reflow as it loads)."""
    return struct.unpack(">II", png[16:24])


def _figure(png: bytes, alt: str, caption: str, anchor: str = "") -> str:
    width, height = _png_size(png)
    data = base64.b64encode(png).decode("ascii")
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return (f"<figure{ident}><img src=\"data:image/png;base64,{data}\" alt=\"{esc(alt)}\" "
            f"width=\"{width}\" height=\"{height}\">"
            f"<figcaption>{caption}</figcaption></figure>")


RecordSource = Callable[[str, str, int], Recorder]
"""``(design, scenario, run_index) -> Recorder``: a run's kept records (KeyError or
ValueError when it has none), e.g. :meth:`Results.recorder`."""


def _recorder(study: Study, pick: TimelinePick, results: Sequence[RunResult],
              records: RecordSource | None) -> Recorder:
    """The run's kept records; re-simulated only when none were kept."""
    if records is not None:
        try:
            return records(pick.design, pick.scenario, pick.run_index)
        except (KeyError, ValueError):
            pass
    for r in results:
        blob = getattr(r, "records", None)
        if blob is not None and (r.design, r.scenario, r.run_index) == (
                pick.design, pick.scenario, pick.run_index):
            return decode_records(blob)
    return _run.simulate(study, pick.design, pick.scenario, pick.run_index).rec


def _timeline_section(study: Study, picks: Sequence[TimelinePick],
                      results: Sequence[RunResult], records: RecordSource | None) -> str:
    parts = []
    for i, pick in enumerate(picks):
        recorder = _recorder(study, pick, results, records)
        title = f"{pick.design} / {pick.scenario} / run {pick.run_index}"
        png = episode_timeline_png(recorder, episode=pick.episode, title=title)
        caption = (f"<strong>{esc(title)}</strong>, episode {pick.episode}: the fault (red "
                   "line), control-plane steps (diamonds), each observed client's operations "
                   "(green ok, red failed, amber timed out; faded rows are clients that failed "
                   "with the fault and do not count for RTO), the outage until every surviving "
                   "client writes again (green line: fault + write RTO; dashed when censored) "
                   "and the data-loss window (amber band).")
        if pick.history_hash and recorder.history_hash() != pick.history_hash:
            caption += (' <span class="warning">The records drawn differ from the measured run '
                        "(written by another hadrsim version?): the figures above may not "
                        "match this picture.</span>")
        alt = (f"Episode timeline of design {pick.design} under scenario {pick.scenario}, "
               f"run {pick.run_index}")
        parts.append(_figure(png, alt, caption, f"timeline-{i}"))
    return "\n".join(parts)


def _facts(study: Study, document: Mapping[str, Any], results: Sequence[RunResult]) -> str:
    failed = sum(1 for r in results if not r.ok)
    items = [
        ("study", esc(study.name)),
        ("seed", str(study.seed)),
        ("runs per scenario", str(document["runs_per_scenario"])),
        ("designs", str(len(document["designs"]))),
        ("scenarios", esc(", ".join(document["scenarios"]))),
        ("simulated runs", f"{len(results)}" + (f' (<span class="fail">{failed} failed</span>)'
                                                 if failed else "")),
    ]
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    return f'<dl class="facts">{rows}</dl>'


def _recommendation(study: Study, document: Mapping[str, Any]) -> str:
    advice = document.get("recommendation")
    if not study.policy or not advice:
        return ('<p class="advice">The study has no policy, so no design is recommended; '
                "add RTO/RPO targets per disruption class to get one.</p>")
    head = (f"Recommendation: {esc(advice['design'])}" if advice["design"]
            else "No design recommended")
    if not advice.get("decided", True):
        head += " (undecided)"
    return (f'<p class="advice"><strong>{head}</strong>. '
            f'{esc(advice.get("sentence") or advice["reason"])}</p>')


def _design_sections(document: Mapping[str, Any]) -> str:
    parts = []
    for i, entry in enumerate(document["designs"]):
        heading = f"{esc(entry['name'])} <span class=\"kind\">{esc(entry['kind'])}"
        if entry.get("ha_architecture"):
            heading += f", {esc(entry['ha_architecture'])}"
        heading += f"; {entry['runs']} runs</span>"
        parts.append(f'<h3 id="design-{i}">{heading}</h3>')
        if entry["failed_runs"]:
            errors = "".join(f"<li>{esc(e)}</li>" for e in entry["errors"])
            parts.append(f'<p class="fail">{entry["failed_runs"]} run(s) failed; first '
                         f"errors:</p><ul>{errors}</ul>")
        parts += [scenario_table(entry), design_metrics_table(entry), cost_table(entry)]
    return "\n".join(parts)


def _figures(study: Study, document: Mapping[str, Any], results: Sequence[RunResult]) -> str:
    policy = study.policy or None
    return "\n".join([
        _figure(cost_pareto_png(document, Metric.RTO_WRITE_S),
                "Scatter of monthly cost against mean write RTO per design, one panel per "
                "fault scenario, Pareto front joined by a step line",
                "<strong>Cost against mean write RTO, per scenario.</strong> Lower and further "
                "left is better. Filled points joined by the step line are the Pareto front: "
                "no other design is both cheaper and faster to recover. Hollow points are "
                "dominated: some design on the front costs no more and recovers no slower. "
                "Whiskers: 95% bootstrap CI of the mean; a label marked (&gt;=) is a mean "
                "over censored RTOs, a lower bound.", "pareto-rto"),
        _figure(cost_pareto_png(document, Metric.RPO_S),
                "Scatter of monthly cost against mean RPO per design, one panel per fault "
                "scenario, Pareto front joined by a step line",
                "<strong>Cost against mean RPO</strong> (data loss window), read like the "
                "figure above.", "pareto-rpo"),
        _figure(rto_rpo_cdf_png(results, policy),
                "Cumulative distributions of write RTO and RPO per design, one row per "
                "fault scenario",
                "<strong>Distributions of write RTO and RPO</strong>, one row per fault "
                "scenario (never pooled): the height at x is the share of episodes recovered "
                "within x seconds (left) or whose loss window is at most x seconds (right). "
                "A curve further up and left is better. With censored episodes (clients had "
                "not written again when the window closed: the true RTO is longer; "
                "triangles) the RTO curve is the Kaplan-Meier estimate and stops at the "
                "longest time observed. Unknown values are counted in each legend, never "
                "drawn as 0. Dotted lines: policy targets.", "cdf"),
        _figure(availability_nines_png(document),
                "Bar chart of write and read availability in nines per design",
                "<strong>Availability in nines</strong>, -log10(1 - A): 2 nines = 99%, "
                "3 = 99.9%. A is the share of each simulated horizon outside the outages "
                "clients saw; the horizons hold injected faults, so these are figures for "
                "the scenarios, not annual availability (simulate a year of stochastic "
                "faults for that).", "nines"),
        _figure(t_visibility_png(document),
                "Line chart of the probability that a read sees a write, against the time "
                "since the write was acknowledged, per design",
                "<strong>t-visibility</strong> (probabilistically bounded staleness): the "
                "probability that a read started t seconds after a write's acknowledgement "
                "returns it or something newer. 1 everywhere means reads are never stale; "
                "a curve that climbs shows how long replicas take to catch up.", "tvis"),
    ])


def render_report(study: Study | Results, results: Sequence[RunResult] | None = None,
                  prices: dict[str, float] | None = None, *,
                  timelines: Sequence[TimelinePick] | None = None,
                  records: RecordSource | None = None) -> str:
    """The HTML report of ``results`` (from :meth:`hadrsim.Experiment.run` or a results store).

    ``study`` may be a :class:`Results` alone (``render_report(exp.run())``): its
    study, runs, prices and records are used. ``prices`` overrides the price table
    as in ``hadrsim compare --prices``. ``timelines`` chooses the episodes drawn
    (default: :func:`default_timelines`; an empty list draws none); ``records``
    gives the runs' kept records to draw them from. Raises ValueError when there
    is no result at all.
    """
    import hadrsim  # late: hadrsim's own __init__ may one day import this module

    if isinstance(study, Results):
        results = study.results if results is None else results
        prices = study.prices if prices is None else prices
        records = study.recorder if records is None else records
        study = study.study
    results = list(results or [])
    if not results:
        raise ValueError("no results to report: run the study first")
    document = summarize_study(study, results, prices)
    picks = default_timelines(study, results) if timelines is None else list(timelines)
    policy = (policy_table(study.policy) if study.policy
              else "<p>The study sets no RTO/RPO targets.</p>")
    toc = [("summary", "Answer"), ("comparison", "Designs side by side"),
           ("figures", "Figures"), ("timelines", "Episode timelines"),
           ("scenarios", "Fault scenarios"), ("designs", "Every design in detail"),
           ("paired", "Paired differences")]
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>hadrsim report: {esc(study.name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>hadrsim report: {esc(study.name)}</h1>",
        f"<p>{esc(study.description)}</p>" if study.description else "",
        _facts(study, document, results), "</header>",
        "<nav><ol>" + "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in toc)
        + "</ol></nav>",
        '<section id="summary"><h2>Answer</h2>', _recommendation(study, document), policy,
        "</section>",
        '<section id="comparison"><h2>Designs side by side</h2>',
        comparison_table(document, study.policy), scenario_figures_table(document),
        "</section>",
        '<section id="figures"><h2>Figures</h2>', _figures(study, document, results),
        "</section>",
        '<section id="timelines"><h2>Episode timelines</h2>',
        "<p>Each design's longest recovered episode in its first run (run 0 of every design "
        "meets the same fault arrivals; a design that never recovered shows its longest "
        "censored one), drawn from the run's records (re-simulated from the study and "
        "seed only where they were not kept).</p>"
        if timelines is None else "",
        _timeline_section(study, picks, results, records) if picks
        else "<p>No episode to draw.</p>",
        "</section>",
        '<section id="scenarios"><h2>Fault scenarios</h2>', scenarios_table(study),
        "</section>",
        '<section id="designs"><h2>Every design in detail</h2>', _design_sections(document),
        "</section>",
        '<section id="paired"><h2>Paired differences</h2>',
        paired_table(document["paired"]) or "<p>One design only: nothing to pair.</p>",
        "</section>",
        f"<footer>Made by hadrsim {esc(hadrsim.__version__)} from {len(results)} simulated "
        "runs. Metrics are computed from what simulated clients observed; see the "
        "README's \"What the metrics mean\". This file needs nothing but itself.</footer>",
        "</body></html>",
    ]
    text = "\n".join(part for part in body if part) + "\n"
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")
