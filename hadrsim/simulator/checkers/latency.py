"""Latency as the client sees it, from invocation to acknowledgement.

Only successful operations count: a timeout's duration is the client's patience,
not the database's latency. Commit latency is the latency of ok writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from hadrsim.simulator.checkers._table import as_table
from hadrsim.simulator.records import ClientOp


def latency_percentiles_ms(
    ops: Iterable[ClientOp], kind: str, qs: Sequence[float] = (50, 99, 99.9)
) -> dict[str, float]:
    """Percentiles (ms) of ok ops of ``kind``, keyed ``"p50"``, ``"p99.9"``; NaN if none."""
    table = as_table(ops)
    ok = table.kind(kind) & table.ok
    latencies = (table.complete[ok] - table.invoke[ok]) * 1000.0
    keys = [f"p{q:g}" for q in qs]
    if not latencies.size:
        return dict.fromkeys(keys, math.nan)
    values = np.percentile(latencies, list(qs))
    return {key: float(value) for key, value in zip(keys, values, strict=True)}
