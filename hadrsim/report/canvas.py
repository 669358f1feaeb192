"""Figures without pyplot: a private canvas per figure, rendered to PNG bytes.

pyplot keeps global state (a current figure, a registry of open figures) that
leaks between calls and threads; a report renders many figures in one process,
possibly beside a notebook's own. So every figure here is a bare
:class:`~matplotlib.figure.Figure` on its own Agg canvas, and is dropped once its
PNG is written.

PNGs are deterministic: the same data gives the same bytes. matplotlib writes a
``Software`` text chunk with its version by default; it is removed so that a
report does not change when only the plotting library does.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

DPI = 100
PNG_METADATA = {"Software": None}  # no version string: byte-identical across matplotlib builds

# Okabe-Ito colour-blind-safe palette (its yellow left out: unreadable on white), then Tol's.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#882255", "#117733", "#999933", "#44AA99", "#AA4499",
)
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")

OK_COLOUR = "#009E73"
FAIL_COLOUR = "#D55E00"
UNKNOWN_COLOUR = "#E69F00"
FAULT_COLOUR = "#C00000"
LOSS_COLOUR = "#E69F00"


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on its own Agg canvas (never registered with pyplot)."""
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def to_png(figure: Figure) -> bytes:
    """The figure as PNG bytes, with no metadata that varies between installations."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata=PNG_METADATA)
    return buffer.getvalue()


class DesignStyles:
    """A fixed colour, line style and marker per design, the same in every figure.

    Styles follow the order designs are given in (the study's order), so a
    design keeps its colour whether or not another figure shows all designs.
    """

    def __init__(self, designs: Iterable[str]) -> None:
        self._index = {name: i for i, name in enumerate(dict.fromkeys(designs))}

    def _i(self, design: str) -> int:
        return self._index.setdefault(design, len(self._index))

    def colour(self, design: str) -> str:
        return PALETTE[self._i(design) % len(PALETTE)]

    def linestyle(self, design: str) -> str:
        return LINESTYLES[(self._i(design) // 2) % len(LINESTYLES)]

    def marker(self, design: str) -> str:
        return MARKERS[self._i(design) % len(MARKERS)]


def finite(value: float | None) -> bool:
    """True for a real number that is neither NaN nor infinite."""
    return isinstance(value, (int, float)) and math.isfinite(value)


def plain(text: object) -> str:
    """User text for a figure, shown as written: a ``$`` would otherwise start mathtext."""
    return str(text).replace("$", r"\$")


def seconds(value: float) -> str:
    """A duration for a label: ``0.35 s``, ``42 s``, ``17 min``, ``2.1 h``."""
    if not finite(value):
        return "n/a"
    if abs(value) < 10:
        return f"{value:.2g} s" if value else "0 s"
    if abs(value) < 600:
        return f"{value:.0f} s"
    if abs(value) < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def empty_message(figure: Figure, text: str) -> None:
    """Say why a figure has nothing to show, rather than leaving it blank."""
    figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="#555555",
                wrap=True)


_LABEL_OFFSETS = ((6, 4), (6, -12), (-6, 4), (-6, -12), (6, 16), (6, -24), (-6, 16),
                  (-6, -24), (6, 28), (6, -36), (-6, 28), (-6, -36))


def place_labels(ax, labels: Iterable[tuple[float, float, str, dict]]) -> None:
    """Annotate points without labels landing on each other or on the points.

    ``labels`` holds ``(x, y, text, text properties)``. Each label takes the
    first of a few offsets around its point whose box overlaps nothing placed
    so far (greedy, in the order given); if every offset collides it keeps the
    first. A label must also stay inside the axes. The figure's layout is fixed
    first so that pixel positions are final.
    """
    figure = ax.figure
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    items = list(labels)
    frame = ax.get_window_extent(renderer)
    taken = []
    for x, y, _, _ in items:
        px, py = ax.transData.transform((x, y))
        taken.append((px - 5, py - 5, px + 5, py + 5))  # the marker itself
    for x, y, text, props in items:
        chosen = None
        for k, (dx, dy) in enumerate(_LABEL_OFFSETS):
            leader = {"arrowprops": {"arrowstyle": "-", "color": "#999999", "lw": 0.6,
                                     "shrinkA": 0, "shrinkB": 4}} if k >= 4 else {}
            label = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                                ha="left" if dx > 0 else "right", va="bottom", **leader,
                                **props)
            label.update_positions(renderer)
            box = Text.get_window_extent(label, renderer)  # the text, not its leader
            rect = (box.x0, box.y0, box.x1, box.y1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and box.y1 <= frame.y1
            if inside and not any(_overlap(rect, other) for other in taken):
                chosen = (label, rect)
                break
            label.remove()
        if chosen is None:
            label = ax.annotate(text, (x, y), xytext=_LABEL_OFFSETS[0], textcoords="offset points",
                                ha="left", va="bottom", **props)
            box = label.get_window_extent(renderer)
            chosen = (label, (box.x0, box.y0, box.x1, box.y1))
        taken.append(chosen[1])


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
