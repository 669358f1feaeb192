"""Latency as the client sees it, from invocation to acknowledgement.

Only successful operations count: a timeout's duration is the client's patience,
not the database's latency. Commit latency is the latency of ok writes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from hadrsim.simulator.records import ClientOp
from hadrsim.simulator.vocabulary import Outcome


def latency_percentiles_ms(
    ops: Iterable[ClientOp], kind: str, qs: Sequence[float] = (50, 99, 99.9)
) -> dict[str, float]:
    """Percentiles (ms) of ok ops of ``kind``, keyed ``"p50"``, ``"p99.9"``; NaN if none."""
    latencies = np.fromiter(
        (
            (op.complete_s - op.invoke_s) * 1000.0
            for op in ops
            if op.kind == kind and op.outcome == Outcome.OK
        ),
        dtype=float,
    )
    keys = [f"p{q:g}" for q in qs]
    if not latencies.size:
        return dict.fromkeys(keys, math.nan)
    values = np.percentile(latencies, list(qs))
    return {key: float(value) for key, value in zip(keys, values, strict=True)}
