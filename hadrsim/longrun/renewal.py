"""Renewal Monte Carlo, vectorised: fault occurrences of many years at once.

Each fault class is an alternating renewal process, exactly as the simulator
runs a stochastic fault: up for a time to failure drawn from ``mttf_h`` (an
exponential when the study gives a number), then down for a repair; the next
failure is drawn after the repair. Here the repair is not drawn on its own: each
occurrence *resamples one library episode* of its class, and its repair time is
that episode's, so an occurrence's duration and its measured impact stay the
pair the full model produced. Thousands of histories are drawn as numpy arrays,
one row per history, with no loop over occurrences.

Occurrences whose impact windows overlap (a second fault before the first one's
outage and repair are over) form *compound groups*: they are never composed as
if independent; :mod:`hadrsim.longrun.compound` simulates them in full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

YEAR_S = 365 * 86400.0
"""A year of the long-run view: 365 days, the length of a simulated year (``horizon_s``)."""
MONTH_S = YEAR_S / 12
"""A month of 30.4 days (43,800 min), the month AWS SLA figures are quoted for."""


@dataclass(frozen=True)
class Occurrences:
    """Fault occurrences of many histories: parallel arrays, sorted by (run, start)."""

    run: np.ndarray
    cls: np.ndarray
    episode: np.ndarray
    start_s: np.ndarray
    duration_s: np.ndarray

    def __len__(self) -> int:
        return len(self.run)

    def take(self, index: np.ndarray) -> Occurrences:
        return Occurrences(self.run[index], self.cls[index], self.episode[index],
                           self.start_s[index], self.duration_s[index])


def draw_class(law, durations: np.ndarray, horizon_s: float, runs: int,
               rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``(run, episode, start_s, duration_s)`` of one class over ``runs`` histories.

    ``durations`` are the class's library episodes' repair times; each occurrence
    picks one episode uniformly (its index is returned with it).
    """
    n = len(durations)
    cycle = law.mean + float(np.mean(durations))
    expected = horizon_s / cycle if cycle > 0 else 0.0
    width = int(expected * 1.2 + 6 * math.sqrt(expected) + 4)
    end = np.zeros(runs)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    alive = np.arange(runs)  # histories not yet past the horizon
    while alive.size:
        gaps = law.draw(rng, alive.size * width).reshape(alive.size, width)
        picks = rng.integers(0, n, size=(alive.size, width))
        repairs = durations[picks]
        ends = end[alive, None] + np.cumsum(gaps + repairs, axis=1)
        starts = ends - repairs
        parts.append((np.broadcast_to(alive[:, None], starts.shape), picks, starts))
        end[alive] = ends[:, -1]
        alive = alive[starts[:, -1] < horizon_s]
        width = max(4, width // 2)
    run = np.concatenate([p[0].ravel() for p in parts])
    episode = np.concatenate([p[1].ravel() for p in parts])
    start = np.concatenate([p[2].ravel() for p in parts])
    keep = start < horizon_s
    return run[keep], episode[keep], start[keep], durations[episode[keep]]


def draw(laws: dict[int, tuple[object, np.ndarray]], horizon_s: float, runs: int,
         rng: np.random.Generator) -> Occurrences:
    """Occurrences of every class (``laws``: class -> (ttf law, library durations))."""
    columns: list[list[np.ndarray]] = [[], [], [], [], []]
    for cls, (law, durations) in sorted(laws.items()):
        if len(durations) == 0:
            continue  # the class does not apply to this design: it never occurs
        run, episode, start, duration = draw_class(law, durations, horizon_s, runs, rng)
        for column, values in zip(columns, (run, np.full(run.size, cls), episode, start,
                                            duration), strict=True):
            column.append(values)
    if not columns[0]:
        empty = np.zeros(0)
        return Occurrences(empty.astype(int), empty.astype(int), empty.astype(int), empty,
                           empty)
    run, cls_, episode, start, duration = (np.concatenate(c) for c in columns)
    order = np.lexsort((cls_, start, run))
    return Occurrences(run[order], cls_[order], episode[order], start[order],
                       duration[order])


def compound_groups(occ: Occurrences, window_s: np.ndarray) -> np.ndarray:
    """Group id of each occurrence: consecutive occurrences of one history share a
    group when one starts before an earlier one's impact window (``window_s``) ends."""
    if len(occ) == 0:
        return np.zeros(0, dtype=int)
    end = occ.start_s + window_s
    offset = float(np.max(end)) + 1.0  # history n's times all exceed history n-1's
    start_key = occ.run * offset + occ.start_s
    reach = np.maximum.accumulate(occ.run * offset + end)
    new = np.ones(len(occ), dtype=bool)
    new[1:] = (occ.run[1:] != occ.run[:-1]) | (start_key[1:] >= reach[:-1])
    return np.cumsum(new) - 1


def bin_durations(run: np.ndarray, start_s: np.ndarray, length_s: np.ndarray,
                  width_s: float, bins: int, runs: int) -> np.ndarray:
    """``(runs, bins)`` totals of intervals ``[start, start + length)`` cut into bins of
    ``width_s`` (an outage across midnight of a month counts in both months)."""
    totals = np.zeros((runs, bins))
    first = np.floor(start_s / width_s).astype(int)
    finish = start_s + length_s
    k = 0
    while True:
        b = first + k
        lo = np.maximum(start_s, b * width_s)
        hi = np.minimum(finish, (b + 1) * width_s)
        part = hi - lo
        live = (part > 0) & (b < bins)
        if not live.any():
            return totals
        np.add.at(totals, (run[live], b[live]), part[live])
        k += 1
