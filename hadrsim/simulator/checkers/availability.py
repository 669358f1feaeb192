"""Availability: the share of the horizon in which an operation would succeed.

Each episode makes the service unavailable from its start for its client-seen
RTO; overlapping outages count once. When an episode's RTO is unknown (NaN: no
surviving client could observe the service, e.g. a single-Region design under
a Region outage with every client in that Region) the availability is unknown
too (NaN), never 1.0: nobody saw whether the service answered. The success
ratio is the fraction of client operations that succeeded, equally NaN when an
episode went unobserved (:func:`observed_success_ratio`), and "nines" puts
either figure on the log scale operators quote (0.999 -> 3 nines).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from hadrsim.simulator.checkers._table import as_table
from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import ClientOp


def availability(episodes: Sequence[Episode], rtos: Sequence[float], horizon_s: float) -> float:
    """``1 - |union of [start_s, start_s + rto]| / horizon_s``, clipped to the horizon.

    ``rtos`` is aligned with ``episodes``. NaN when the horizon is not positive
    or any episode's RTO is unknown.
    """
    if not horizon_s > 0 or any(math.isnan(rto) for rto in rtos):
        return math.nan
    clipped = (
        (max(0.0, episode.start_s), min(horizon_s, episode.start_s + max(0.0, rto)))
        for episode, rto in zip(episodes, rtos, strict=True)
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
    table = as_table(ops)
    of_kind = table.kind(kind)
    total = int(np.count_nonzero(of_kind))
    ok = int(np.count_nonzero(of_kind & table.ok))
    return ok / total if total else math.nan


def observed_success_ratio(ops: Iterable[ClientOp], kind: str, rtos: Sequence[float]) -> float:
    """:func:`success_ratio`, NaN when an episode (RTO NaN in ``rtos``) went unobserved.

    The ops of dead clients say nothing about the service, and with no
    surviving client to see the outage the ratio would read as if it had none.
    """
    if any(math.isnan(rto) for rto in rtos):
        return math.nan
    return success_ratio(ops, kind)


def nines(a: float) -> float:
    """``-log10(1 - a)``: 0.999 -> 3.0; infinite for perfect availability."""
    if math.isnan(a):
        return math.nan
    if a >= 1.0:
        return math.inf
    return -math.log10(1.0 - a)
