"""Summaries of one metric over many runs: mean, spread, percentiles, 95% CI.

DESIGN.md asks that every figure over many runs come with a mean, percentiles and
a 95% confidence interval *that stays inside the metric's domain*, so this is the
one place where that is computed.

- :func:`summarize` with a ``domain`` (every simulator metric has one: seconds and
  counts are >= 0, ratios lie in [0, 1]) gives the BCa bootstrap interval of the
  mean (``scipy.stats.bootstrap``, a fixed-seed generator, so the same values
  always give the same interval). A bootstrap mean is a mean of observed values,
  so the interval lies within [min, max] of the data and hence in the domain; it
  is never clipped. Without a domain (a difference between designs can have
  either sign) the interval is Student's t.
- When every value is equal the interval is that value (``ci_method`` "point").
- NaN means *unknown* (say, the RPO of an episode whose losses cannot be known):
  it is dropped from the figures and counted in ``n_unknown``, never read as 0.
- Infinities are *kept*: with one in the sample the mean is infinite, the std
  NaN, percentiles are order statistics, and the interval ``[mean, mean]``.
- :func:`summarize_censored` is for RTOs that were right-censored (clients had
  not recovered when the window closed): percentiles from the Kaplan-Meier
  estimate (``scipy.stats.ecdf`` on ``CensoredData``), the mean a lower bound.

Every number returned is a plain Python ``float`` (or ``int``), so a summary goes
straight into ``json.dumps``; NaN stands for "undefined".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np

__all__ = [
    "NONNEGATIVE",
    "UNIT",
    "CensoredSummary",
    "Summary",
    "bootstrap_ci",
    "bootstrap_ratio_ci",
    "half_width",
    "summarize",
    "summarize_censored",
]

_NAN = float("nan")
_PERCENTILES = (50.0, 95.0, 99.0)
NONNEGATIVE: tuple[float, float] = (0.0, math.inf)  # seconds, counts, latencies
UNIT: tuple[float, float] = (0.0, 1.0)  # ratios, availabilities, probabilities
# Fixed seed: the same values always give the same interval (reports are diffed).
BOOTSTRAP_SEED = 20_260_611
# 999 resamples: BCa endpoints stable to ~1% of the width at a few ms per summary.
N_RESAMPLES = 999


class Summary(TypedDict):
    """What :func:`summarize` returns (a plain dict at runtime)."""

    n: int
    n_inf: int
    n_unknown: int
    mean: float
    std: float
    p50: float
    p95: float
    p99: float
    max: float
    ci95: list[float]
    ci_method: str


class CensoredSummary(Summary):
    """:func:`summarize_censored`: a :class:`Summary` plus what censoring hides.

    ``n_censored`` values are lower bounds; when it is > 0 the mean is a lower
    bound too (``mean_is_lower_bound``) and ``ci95`` is an interval for that
    lower bound. ``above`` names the percentiles beyond the last time at which the
    Kaplan-Meier estimate is defined: the true value is greater than the figure.
    """

    n_censored: int
    mean_is_lower_bound: bool
    above: list[str]


def summarize(values: Sequence[float], domain: tuple[float, float] | None = None) -> Summary:
    """Summarise the non-NaN ``values``: n, mean, sample std, p50/p95/p99, max, 95% CI.

    ``n`` counts the values used (NaN dropped and counted in ``n_unknown``;
    infinities kept and also counted in ``n_inf``). ``ci95`` is the BCa bootstrap
    interval of the mean when a ``domain`` is given (values outside it are an
    error: a metric outside its domain is a bug upstream), else Student's t; it
    is ``[mean, mean]`` when ``n == 1`` or all values are equal, which means "no
    spread observed", not certainty: read it with ``n``. ``ci_method`` names the
    method. With ``n == 0`` every figure is NaN.
    """
    data = np.asarray(values, dtype=float)
    if data.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {data.shape}")
    unknown = int(np.isnan(data).sum())
    data = np.sort(data[~np.isnan(data)])
    n = int(data.size)
    if domain is not None and n and (data[0] < domain[0] or data[-1] > domain[1]):
        raise ValueError(f"values outside the metric's domain {list(domain)}: "
                         f"[{data[0]}, {data[-1]}]")
    n_inf = int(np.isinf(data).sum())
    if n == 0:
        return _summary(0, 0, unknown, _NAN, _NAN, (_NAN,) * 4, (_NAN, _NAN), "none")
    with np.errstate(invalid="ignore"):  # -inf and +inf together: NaN is the answer
        mean = float(np.mean(data))
    if n_inf:
        percentiles = (*(_order_statistic(data, q) for q in _PERCENTILES), float(data[-1]))
        return _summary(n, n_inf, unknown, mean, _NAN, percentiles, (mean, mean), "point")
    percentiles = (*(float(p) for p in np.percentile(data, _PERCENTILES)), float(data[-1]))
    std = float(np.std(data, ddof=1)) if n > 1 else _NAN
    if n == 1 or data[0] == data[-1] or not std / math.sqrt(n) > 0:
        # Zero spread (or one underflowing to denormals): the interval is that value.
        return _summary(n, 0, unknown, mean, std, percentiles, (mean, mean), "point")
    if domain is not None:
        lo, hi, method = bootstrap_ci(data)
    else:
        from scipy import stats  # here: scipy costs 0.3 s to import

        lo, hi = stats.t.interval(0.95, df=n - 1, loc=mean, scale=std / math.sqrt(n))
        method = "t"
    return _summary(n, 0, unknown, mean, std, percentiles, (float(lo), float(hi)), method)


def bootstrap_ci(data: np.ndarray) -> tuple[float, float, str]:
    """95% BCa bootstrap interval of the mean of ``data``, and the method used.

    BCa can fail on very lopsided samples (one non-zero value among many gives a
    degenerate jackknife); then the percentile interval, which is always defined,
    is used and named ("bootstrap-percentile"). Both lie within [min, max] of data.
    """
    from scipy import stats

    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DegenerateDataWarning: handled below
            result = stats.bootstrap(
                (data,), np.mean, vectorized=True, n_resamples=N_RESAMPLES,
                confidence_level=0.95, method=method,
                rng=np.random.default_rng(BOOTSTRAP_SEED))
        lo, hi = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if math.isfinite(lo) and math.isfinite(hi):
            lo, hi = max(lo, float(data[0])), min(hi, float(data[-1]))  # float rounding only
            return lo, hi, "bootstrap-bca" if method == "BCa" else "bootstrap-percentile"
    mean = float(np.mean(data))
    return mean, mean, "point"


def summarize_censored(values: Sequence[float], censored: Sequence[bool],
                       domain: tuple[float, float] = NONNEGATIVE) -> CensoredSummary:
    """Summarise durations of which ``censored`` ones are lower bounds (right-censored).

    With no censored value this is :func:`summarize` (plus ``n_censored`` 0).
    Otherwise p50/p95/p99 come from the Kaplan-Meier estimate (the smallest time
    at which its CDF reaches the level); a level the estimate never reaches is
    reported as the largest observed time and named in ``above`` (show "> t").
    The mean treats a censored value as if it were the true one, so it is a lower
    bound. NaN (unknown) values are dropped and counted, as in :func:`summarize`.
    """
    data = np.asarray(values, dtype=float)
    flags = np.asarray(censored, dtype=bool)
    if data.shape != flags.shape:
        raise ValueError(f"values {data.shape} and censored {flags.shape} differ in shape")
    known = ~np.isnan(data)
    base = summarize(data.tolist(), domain)
    flags = flags[known]
    n_censored = int(flags.sum())
    out = CensoredSummary(**base, n_censored=n_censored,
                          mean_is_lower_bound=n_censored > 0, above=[])
    if not n_censored or base["n_inf"]:
        return out
    from scipy import stats

    times = data[known]
    km = stats.ecdf(stats.CensoredData(uncensored=times[~flags], right=times[flags])).cdf
    levels, probabilities = km.quantiles, km.probabilities
    for q in _PERCENTILES:
        name = f"p{q:g}"
        reached = np.flatnonzero(probabilities >= q / 100 - 1e-12)
        if reached.size:
            out[name] = float(levels[reached[0]])
        else:
            out[name] = float(times.max())
            out["above"].append(name)
    return out


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


def _summary(n: int, n_inf: int, unknown: int, mean: float, std: float,
             percentiles: tuple[float, ...], ci: tuple[float, float], method: str) -> Summary:
    p50, p95, p99, top = percentiles
    return Summary(n=n, n_inf=n_inf, n_unknown=unknown, mean=mean, std=std, p50=p50,
                   p95=p95, p99=p99, max=top, ci95=[ci[0], ci[1]], ci_method=method)


def bootstrap_ratio_ci(numerators: np.ndarray, denominators: np.ndarray) -> tuple[float, float]:
    """95% cluster-bootstrap interval of sum(numerators) / sum(denominators).

    Each (numerator, denominator) pair is one cluster (a run and its episodes);
    clusters are resampled whole, so correlation inside a run widens the
    interval as it should. A ratio of sums of non-negative counts stays in
    [min, max] of the clusters' own ratios, hence in [0, 1].
    """
    def ratio(num: np.ndarray, den: np.ndarray, axis: int = -1) -> np.ndarray:
        return num.sum(axis=axis) / den.sum(axis=axis)

    from scipy import stats

    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                (numerators, denominators), ratio, paired=True, vectorized=True,
                n_resamples=N_RESAMPLES, confidence_level=0.95, method=method,
                rng=np.random.default_rng(BOOTSTRAP_SEED))
        lo, hi = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if math.isfinite(lo) and math.isfinite(hi):
            return lo, hi
    point = float(numerators.sum() / denominators.sum())
    return point, point
