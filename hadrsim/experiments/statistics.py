"""Summaries of one metric over many runs: mean, spread, percentiles, 95% CI.

DESIGN.md asks that every figure over many runs come with a mean, percentiles and
a 95% confidence interval, so this is the one place where that is computed.

NaN means "not measured" (say, a run whose episode never happened) and is dropped.
Infinities are *kept*: an RTO of ``inf`` means clients never wrote again, and
dropping it would make a configuration look better than it is. With an infinity in
the sample the mean is infinite, the standard deviation is undefined (NaN), the
percentiles are order statistics (``inf`` wherever interpolation touches an
infinite one) and the interval degenerates to ``[mean, mean]``. ``n_inf`` says how
many such values there were, so a report can show them.

Every number returned is a plain Python ``float`` (or ``int``), so a summary goes
straight into ``json.dumps``; NaN stands for "undefined".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
from scipy import stats

__all__ = ["Summary", "half_width", "summarize"]

_NAN = float("nan")
_PERCENTILES = (50.0, 95.0, 99.0)


class Summary(TypedDict):
    """What :func:`summarize` returns (a plain dict at runtime)."""

    n: int
    n_inf: int
    mean: float
    std: float
    p50: float
    p95: float
    p99: float
    ci95: list[float]


def summarize(values: Sequence[float]) -> Summary:
    """Summarise the non-NaN ``values``: n, mean, sample std, p50/p95/p99, 95% CI.

    ``n`` counts the values used (NaN dropped, infinities kept and also counted in
    ``n_inf``). ``std`` is the sample standard deviation (``ddof=1``), NaN when
    ``n < 2``. ``ci95`` is the Student-t 95% interval of the mean; it is
    ``[mean, mean]`` when ``n == 1`` or all values are equal. That degenerate
    interval means "no spread observed", not certainty: read it together with
    ``n``. With ``n == 0`` every figure is NaN.
    """
    data = np.asarray(values, dtype=float)
    if data.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {data.shape}")
    data = np.sort(data[~np.isnan(data)])
    n = int(data.size)
    n_inf = int(np.isinf(data).sum())
    if n == 0:
        return _summary(0, 0, _NAN, _NAN, (_NAN,) * 3, _NAN, _NAN)

    with np.errstate(invalid="ignore"):  # -inf and +inf together: NaN is the answer
        mean = float(np.mean(data))
    if n_inf:
        percentiles = tuple(_order_statistic(data, q) for q in _PERCENTILES)
        return _summary(n, n_inf, mean, _NAN, percentiles, mean, mean)

    percentiles = tuple(float(p) for p in np.percentile(data, _PERCENTILES))
    std = float(np.std(data, ddof=1)) if n > 1 else _NAN
    if n == 1 or data[0] == data[-1]:
        # scipy returns NaN for a zero scale; zero spread gives a point interval.
        return _summary(n, 0, mean, std, percentiles, mean, mean)
    scale = std / math.sqrt(n)
    if not scale > 0:  # the spread underflowed (denormal values): no interval to speak of
        return _summary(n, 0, mean, std, percentiles, mean, mean)
    lo, hi = stats.t.interval(0.95, df=n - 1, loc=mean, scale=scale)
    return _summary(n, 0, mean, std, percentiles, float(lo), float(hi))


def half_width(summary: Mapping[str, Any]) -> float:
    """Half the width of ``summary["ci95"]``: the "±" of the mean.

    NaN when there is no finite interval (no data, or an infinite mean), so a
    stopping rule such as ``half_width(s) < 0.05 * s["mean"]`` is never met by
    accident.
    """
    lo, hi = summary["ci95"]
    return (float(hi) - float(lo)) / 2


def _order_statistic(sorted_data: np.ndarray, q: float) -> float:
    """Linear-interpolation percentile that tolerates infinities.

    ``np.percentile`` returns NaN for every percentile once the sample holds an
    infinity (its interpolation computes ``inf - inf``), even for a median that
    is a plain finite value. Here the weight on each neighbour decides instead.
    """
    position = (sorted_data.size - 1) * q / 100
    below = math.floor(position)
    fraction = position - below
    a = float(sorted_data[below])
    b = float(sorted_data[min(below + 1, sorted_data.size - 1)])
    if fraction == 0 or a == b:
        return a
    if math.isinf(a) and math.isinf(b):
        return _NAN  # between -inf and +inf: undefined
    if math.isinf(a):
        return a
    if math.isinf(b):
        return b
    return a + (b - a) * fraction


def _summary(
    n: int,
    n_inf: int,
    mean: float,
    std: float,
    percentiles: tuple[float, ...],
    lo: float,
    hi: float,
) -> Summary:
    p50, p95, p99 = percentiles
    return Summary(n=n, n_inf=n_inf, mean=mean, std=std, p50=p50, p95=p95, p99=p99, ci95=[lo, hi])
