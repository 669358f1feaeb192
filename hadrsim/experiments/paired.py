"""Paired differences between designs under common random numbers.

Run ``i`` of every design meets the same fault arrivals and workload draws, so
the difference of a metric between two designs is measured pair by pair (same
scenario, same run index): its confidence interval is usually much narrower
than the one from two independent samples, which is the point of CRN.

Pairs are formed per fault scenario (a difference over a crash and a Region
outage pooled answers no question); each entry names its scenario. The
paired interval is Student's t on the differences; the unpaired one is Welch's
(``scipy.stats.ttest_ind(..., equal_var=False)``), shown for contrast.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import summarize
from hadrsim.simulator.vocabulary import Metric

PAIRED_METRICS = (Metric.RTO_WRITE_S, Metric.LOST_WRITES, Metric.AVAILABILITY_WRITE)


def _welch_ci(a: np.ndarray, b: np.ndarray) -> list[float]:
    """95% interval of mean(a) - mean(b) from independent samples (Welch), via scipy."""
    if len(a) < 2 or len(b) < 2:
        return [math.nan, math.nan]
    diff = float(a.mean() - b.mean())
    if a.var() == 0 and b.var() == 0:
        return [diff, diff]  # scipy answers NaN for a zero standard error
    from scipy import stats  # here: scipy costs 0.3 s to import

    with warnings.catch_warnings():  # nearly equal samples: scipy warns, the CI stands
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    return [float(ci.low), float(ci.high)]


def paired_differences(results: list[RunResult], baseline: str | None = None,
                       metrics: tuple[str, ...] = PAIRED_METRICS) -> list[dict[str, Any]]:
    """Every design against ``baseline`` (default: the first), per scenario: paired and
    unpaired CIs of the run metric's difference."""
    by_key: dict[str, dict[tuple[str, int], RunResult]] = {}
    for r in results:
        if r.ok:
            by_key.setdefault(r.design, {})[(r.scenario, r.run_index)] = r
    designs = list(by_key)
    if not designs:
        return []
    base = baseline or designs[0]
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    out = []
    for other in designs:
        if other == base:
            continue
        common = set(by_key[base]) & set(by_key[other])
        for scenario in scenarios:
            keys = sorted(k for k in common if k[0] == scenario)
            if keys:
                out += [_pair(by_key[other], by_key[base], keys, metric) | {
                    "design": other, "baseline": base, "scenario": scenario}
                    for metric in metrics]
    return out


def _pair(other: dict, base: dict, keys: list, metric: str) -> dict[str, Any]:
    a = np.array([other[k].metrics.get(metric, math.nan) for k in keys])
    b = np.array([base[k].metrics.get(metric, math.nan) for k in keys])
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    paired = summarize((a - b).tolist())
    return {"metric": metric, "pairs": int(keep.sum()), "mean_diff": paired["mean"],
            "ci95": paired["ci95"], "unpaired_ci95": _welch_ci(a, b)}
