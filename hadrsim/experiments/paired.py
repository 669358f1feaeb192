"""Paired differences between designs under common random numbers.

Run ``i`` of every design meets the same fault arrivals and workload draws, so
the difference of a metric between two designs is measured pair by pair (same
scenario, same run index): its confidence interval is usually much narrower
than the one from two independent samples, which is the point of CRN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import summarize

PAIRED_METRICS = ("rto_write_s", "lost_writes", "availability_write")


def _welch_ci(a: np.ndarray, b: np.ndarray) -> list[float]:
    """95% interval of mean(a) - mean(b) from independent samples (Welch)."""
    if len(a) < 2 or len(b) < 2:
        return [math.nan, math.nan]
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    diff = float(a.mean() - b.mean())
    if se == 0:
        return [diff, diff]
    df = (va + vb) ** 2 / ((va**2) / (len(a) - 1) + (vb**2) / (len(b) - 1))
    half = float(stats.t.ppf(0.975, df) * se)
    return [diff - half, diff + half]


def paired_differences(results: list[RunResult], baseline: str | None = None,
                       metrics: tuple[str, ...] = PAIRED_METRICS) -> list[dict[str, Any]]:
    """Every design against ``baseline`` (default: the first): paired and unpaired CIs."""
    by_key: dict[str, dict[tuple[str, int], RunResult]] = {}
    for r in results:
        if r.ok:
            by_key.setdefault(r.design, {})[(r.scenario, r.run_index)] = r
    designs = list(by_key)
    if not designs:
        return []
    base = baseline or designs[0]
    out = []
    for other in designs:
        if other == base:
            continue
        common = sorted(set(by_key[base]) & set(by_key[other]))
        for metric in metrics:
            a = np.array([by_key[other][k].metrics.get(metric, math.nan) for k in common])
            b = np.array([by_key[base][k].metrics.get(metric, math.nan) for k in common])
            keep = np.isfinite(a) & np.isfinite(b)
            a, b = a[keep], b[keep]
            paired = summarize((a - b).tolist())
            out.append({
                "design": other, "baseline": base, "metric": metric, "pairs": int(keep.sum()),
                "mean_diff": paired["mean"], "ci95": paired["ci95"],
                "unpaired_ci95": _welch_ci(a, b),
            })
    return out
