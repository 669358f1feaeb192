"""The episode timeline: what happened around one fault of one run, on one time axis.

Where the summary figures say *how often* and *how long*, the timeline says
*why*: the fault, the control plane's steps (detection, the decision to
promote, the promotion, the DNS change), every observed client operation as an
ok / failed tick, the moment clients write again (fault + RTO), and the
data-loss window, from the acknowledgement of the earliest lost write to the
fault (the RPO).

Every figure here comes from the run's records and the checkers that compute
the metrics (:func:`hadrsim.simulator.checkers.run_metrics`, the episodes, the
lost writes): the picture cannot disagree with the numbers in the tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hadrsim.report.canvas import (
    FAIL_COLOUR,
    FAULT_COLOUR,
    LOSS_COLOUR,
    OK_COLOUR,
    UNKNOWN_COLOUR,
    empty_message,
    finite,
    new_figure,
    plain,
    seconds,
    to_png,
)
from hadrsim.simulator.checkers import episodes, lost_writes, run_metrics
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import ClientOp, ControlEvent
from hadrsim.simulator.vocabulary import Metric

__all__ = ["CONTROL_STEPS", "episode_timeline_png"]

CONTROL_STEPS: dict[str, str] = {
    "failure_detected": "detection",
    "operator_paged": "detection",
    "corruption_detected": "detection",
    "dns_health_changed": "detection",
    "promotion_started": "decision",
    "restore_started": "decision",
    "switchover_started": "decision",
    "promotion_completed": "promotion",
    "restore_completed": "promotion",
    "switchover_completed": "promotion",
    "primary_changed": "promotion",
    "endpoint_updated": "DNS",
    "client_failover": "DNS",
}
"""Control-plane event names grouped into the steps of a recovery; others are drawn unnamed."""

_STEP_COLOURS = {"detection": "#0072B2", "decision": "#CC79A7", "promotion": "#882255",
                 "DNS": "#56B4E9"}
_OUTCOME_COLOURS = {"ok": OK_COLOUR, "fail": FAIL_COLOUR, "unknown": UNKNOWN_COLOUR}
_MIN_SPAN_S = 60.0


def _view(start_s: float, rto_s: float, rpo_s: float, last_step_s: float,
          window_end_s: float, horizon_s: float) -> tuple[float, float]:
    """Time range to draw: the loss window, the outage, the recovery steps, a margin."""
    before = max(rpo_s if finite(rpo_s) else 0.0, 0.0)
    after = rto_s if finite(rto_s) else window_end_s - start_s
    after = max(after, last_step_s - start_s)
    span = max(before + after, _MIN_SPAN_S)
    pad = 0.1 * span + 5.0
    end = min(start_s + after + pad, max(window_end_s, start_s + _MIN_SPAN_S), horizon_s)
    return max(0.0, start_s - before - pad), max(end, start_s + 1.0)


def _last_step_s(events: Sequence[ControlEvent], start_s: float, window_end_s: float) -> float:
    """When the episode's recovery steps have each begun: the latest first event per step.

    A restore may finish long after clients write again, and the view should show
    it; later repeats (the replaced host rejoining) would only squash the failover.
    """
    first: dict[str, float] = {}
    for event in sorted(events, key=lambda e: e.time_s):
        step = CONTROL_STEPS.get(event.event)
        if step is not None and start_s <= event.time_s < window_end_s:
            first.setdefault(step, event.time_s)
    return max(first.values(), default=start_s)


def _client_rows(ops: Sequence[ClientOp]) -> list[tuple[str, str, str]]:
    """``(client, region, kind)`` per row, writes above reads, clients in name order."""
    seen = {(op.client, op.client_region, op.kind) for op in ops}
    return sorted(seen, key=lambda row: (row[0], row[2] != "write", row[1]))


def _draw_ops(ax: Axes, ops: Sequence[ClientOp], rows: list[tuple[str, str, str]],
              lo: float, hi: float, origin: float, dead: set[str]) -> None:
    """One row of ticks per client and kind, at completion time, coloured by outcome."""
    labels = []
    for y, (client, region, kind) in enumerate(rows):
        mine = [op for op in ops if op.client == client and op.kind == kind
                and lo <= op.complete_s <= hi]
        alpha = 0.35 if region in dead else 1.0
        for outcome, colour in _OUTCOME_COLOURS.items():
            xs = [op.complete_s - origin for op in mine if op.outcome == outcome]
            if xs:
                ax.vlines(xs, y - 0.38, y + 0.38, colors=colour, linewidth=0.8, alpha=alpha)
        note = " (failed with it)" if region in dead else ""
        labels.append(plain(f"{client} {region} {kind}{note}"))
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.invert_yaxis()


def _draw_control(ax: Axes, events: Sequence[ControlEvent], lo: float, hi: float,
                  origin: float) -> None:
    """Control-plane events in view, one row per recovery step, each name labelled once.

    A label sits right of its first marker, or left of it in the right half of
    the view, so that none runs off the figure.
    """
    shown = [e for e in events if lo <= e.time_s <= hi]
    steps = [s for s in (*_STEP_COLOURS, "other")
             if any(CONTROL_STEPS.get(e.event, "other") == s for e in shown)]
    middle = (lo + hi) / 2 - origin
    labels: list[tuple[str, float, list[str]]] = []  # (step, x, names), in time order
    for event in shown:
        step = CONTROL_STEPS.get(event.event, "other")
        colour = _STEP_COLOURS.get(step, "#777777")
        x, y = event.time_s - origin, steps.index(step)
        ax.plot([x], [y], marker="D" if step != "other" else ".", color=colour,
                markersize=5, linestyle="none")
        if any(event.event in names for _, _, names in labels):
            continue
        near = [lab for lab in labels if lab[0] == step and abs(lab[1] - x) < 0.03 * (hi - lo)]
        if near:
            near[0][2].append(event.event)  # same row, same moment: one label, no overlap
        else:
            labels.append((step, x, [event.event]))
    for step, x, names in labels:
        colour = _STEP_COLOURS.get(step, "#777777")
        right = x <= middle
        ax.annotate(f" {', '.join(names)} ", (x, steps.index(step)),
                    xytext=(4 if right else -4, 0), textcoords="offset points", fontsize=7,
                    color=colour, ha="left" if right else "right", va="center")
        ax.axvline(x, color=colour, linewidth=0.6, linestyle=":", alpha=0.8)
    if not shown:
        steps = ["control plane"]
        ax.text(0.5, 0.5, "no control-plane event in view", transform=ax.transAxes,
                ha="center", va="center", fontsize=8, color="#555555")
    ax.set_yticks(range(len(steps)), steps, fontsize=8)
    ax.set_ylim(len(steps) - 0.4, -0.6)


def episode_timeline_png(recorder: Recorder, *, episode: int = 0, title: str = "",
                         width_in: float = 11.0) -> bytes:
    """The timeline of fault episode ``episode`` (0 = the first) of one finished run.

    ``recorder`` is ``world.rec`` of :func:`hadrsim.simulate`. A run without a
    fault, or with fewer episodes, gives a figure that says so instead of failing.
    """
    _, rows = run_metrics(recorder)
    eps = episodes(recorder.faults, recorder.horizon_s)
    client_rows = _client_rows(recorder.ops)
    height = 2.8 + 0.22 * (len(client_rows) + 4)
    figure = new_figure(width_in, height)
    if not 0 <= episode < len(rows):
        empty_message(figure, f"{plain(title)}\nno fault episode {episode} in this run "
                              f"({len(rows)} episode(s))")
        return to_png(figure)
    row, ep = rows[episode], eps[episode]
    start, rto, rpo = ep.start_s, float(row[Metric.RTO_WRITE_S]), float(row[Metric.RPO_S])
    last_step = _last_step_s(recorder.control, start, ep.window_end_s)
    lo, hi = _view(start, rto, rpo, last_step, ep.window_end_s, recorder.horizon_s)
    control, ops_ax = figure.subplots(
        2, 1, sharex=True,
        gridspec_kw={"height_ratios": [_control_rows(recorder.control, lo, hi), len(client_rows)]})
    _draw_control(control, recorder.control, lo, hi, start)
    _draw_ops(ops_ax, recorder.ops, client_rows, lo, hi, start, set(ep.affected_locations))

    lost = [op for op in lost_writes(recorder.ops, recorder.final)
            if lo <= op.complete_s <= hi]
    write_rows = {(c, r): y for y, (c, r, k) in enumerate(client_rows) if k == "write"}
    if lost:
        ops_ax.plot([op.complete_s - start for op in lost],
                    [write_rows.get((op.client, op.client_region), 0) for op in lost],
                    marker="x", color="black", markersize=5, linestyle="none")
    loss_end = max((op.complete_s - start for op in lost), default=0.0)
    others = [e.start_s - start for i, e in enumerate(eps)
              if i != episode and lo <= e.start_s <= hi]
    for ax in (control, ops_ax):
        ax.axvline(0.0, color=FAULT_COLOUR, linewidth=1.6)
        for x in others:  # other faults in view: drawn, but this picture is not about them
            ax.axvline(x, color=FAULT_COLOUR, linewidth=0.8, linestyle="--", alpha=0.7)
        if rpo > 0:  # the loss window ends at the latest lost acknowledged write seen
            ax.axvspan(loss_end - rpo, loss_end, color=LOSS_COLOUR, alpha=0.25, linewidth=0)
        if finite(rto) and rto > 0:
            ax.axvspan(0.0, rto, color=FAULT_COLOUR, alpha=0.06, linewidth=0)
            ax.axvline(rto, color=OK_COLOUR, linewidth=1.6,
                       linestyle="-" if row[Metric.RECOVERED_WRITE] else "--")
    _legend(figure, row, rto, rpo, bool(lost))
    ops_ax.set_xlim(lo - start, hi - start)
    ops_ax.set_xlabel(f"seconds since the fault (t = {start:g} s of {recorder.horizon_s:g} s)")
    heading = plain(title) or "episode timeline"
    figure.suptitle(
        f"{heading}: {row['kind']} on {plain(row['scope'])} ({row['disruption']}); "
        f"RTO write {_rto_text(rto, row['recovered_write'])}, RPO {_known(rpo, seconds)}, "
        f"{_known(float(row['lost_writes']), lambda n: f'{n:.0f}')} lost write(s)",
        fontsize=10)
    return to_png(figure)


def _control_rows(events: Sequence[ControlEvent], lo: float, hi: float) -> int:
    """How many step rows :func:`_draw_control` will draw (for the panel heights)."""
    steps = {CONTROL_STEPS.get(e.event, "other") for e in events if lo <= e.time_s <= hi}
    return max(1, len(steps))


def _known(value: float, show) -> str:
    """A figure, or "unknown" for NaN (a censored episode's losses), never 0."""
    return show(value) if finite(value) else "unknown"


def _rto_text(rto: float, recovered: bool) -> str:
    if not finite(rto):
        return "unknown (no surviving client observed)"
    return seconds(rto) if recovered else f">= {seconds(rto)} (not recovered: censored)"


def _legend(figure: Figure, row: dict, rto: float, rpo: float, has_lost: bool) -> None:
    """One legend for every mark (proxy artists), under the plot."""

    handles = [
        Line2D([], [], color=FAULT_COLOUR, linewidth=1.6, label="fault"),
        Line2D([], [], color=OK_COLOUR, linewidth=1.6,
               linestyle="-" if row[Metric.RECOVERED_WRITE] else "--",
               label="clients write again (fault + RTO)" if finite(rto)
               else "RTO unknown"),
        Patch(color=LOSS_COLOUR, alpha=0.25,
              label=f"data-loss window (RPO {seconds(rpo)})" if rpo > 0
              else "loss unknown (not recovered)" if not finite(rpo)
              else "no acknowledged write lost"),
        Line2D([], [], color=OK_COLOUR, marker="|", linestyle="none", markersize=9,
               label="op ok"),
        Line2D([], [], color=FAIL_COLOUR, marker="|", linestyle="none", markersize=9,
               label="op failed"),
        Line2D([], [], color=UNKNOWN_COLOUR, marker="|", linestyle="none", markersize=9,
               label="op unknown (timed out)"),
    ]
    if has_lost:
        handles.append(Line2D([], [], color="black", marker="x", linestyle="none",
                              label="acknowledged write later lost"))
    figure.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8,
                  frameon=False)
