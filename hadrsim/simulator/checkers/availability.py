"""Availability: the share of the horizon in which an operation would succeed.

Each episode makes the service unavailable from its start for its client-seen
RTO; overlapping outages count once. An episode whose RTO is unknown (NaN, no
surviving client observed) adds no downtime. The success ratio is the plain
fraction of client operations that succeeded, and "nines" puts either figure
on the log scale operators quote (0.999 -> 3 nines).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import ClientOp


def availability(episodes: Sequence[Episode], rtos: Sequence[float], horizon_s: float) -> float:
    """``1 - |union of [start_s, start_s + rto]| / horizon_s``, clipped to the horizon.

    ``rtos`` is aligned with ``episodes``. NaN when the horizon is not positive.
    """
    if not horizon_s > 0:
        return math.nan
    clipped = (
        (max(0.0, episode.start_s), min(horizon_s, episode.start_s + max(0.0, rto)))
        for episode, rto in zip(episodes, rtos, strict=True)
        if not math.isnan(rto)
    )
    outages = sorted((start_s, end_s) for start_s, end_s in clipped if end_s > start_s)
    down_s = 0.0
    block_start_s = block_end_s = 0.0
    for start_s, end_s in outages:
        if start_s > block_end_s:
            down_s += block_end_s - block_start_s
            block_start_s = start_s
        block_end_s = max(block_end_s, end_s)
    down_s += block_end_s - block_start_s
    # Summing merged blocks can overshoot the horizon by a rounding error.
    return max(0.0, 1.0 - down_s / horizon_s)


def success_ratio(ops: Iterable[ClientOp], kind: str) -> float:
    """Fraction of ops of ``kind`` with outcome ``"ok"``; NaN when there are none."""
    ok = total = 0
    for op in ops:
        if op.kind == kind:
            total += 1
            ok += op.outcome == "ok"
    return ok / total if total else math.nan


def nines(a: float) -> float:
    """``-log10(1 - a)``: 0.999 -> 3.0; infinite for perfect availability."""
    if math.isnan(a):
        return math.nan
    if a >= 1.0:
        return math.inf
    return -math.log10(1.0 - a)
