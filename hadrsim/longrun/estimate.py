"""Yearly and monthly figures from drawn histories, with intervals that cannot mislead.

Uncertainty has two sources: the Monte Carlo (finitely many histories) and the
episode library (finitely many measured episodes). The histories are drawn in
two sets of equal batches (:mod:`.histories`): *plain* batches use the library
as measured, *bootstrap* batches first resample it. The variance of the overall
mean is then ``s2_plain / B + max(0, s2_boot - s2_plain)``: the Monte Carlo
part shrinks with the number of batches, the library part does not (the
variance decomposition of input-uncertainty analysis, Cheng & Holland 1997).
Intervals are built on a scale that keeps them inside the metric's domain: log
for quantities >= 0, logit for shares and availability. A share seen as exactly
0 or 1 in every history gets the rule-of-three bound (``3 / trials``) instead of
a zero-width interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Interval = tuple[float, float]


T975_19 = 2.093024054408263
"""Student t 97.5% quantile with 19 degrees of freedom (20 batches): a constant, so the
long-run view never imports scipy (``tests/longrun`` checks it against scipy.stats)."""


def _t975(df: int) -> float:
    if df != 19:
        from scipy import stats  # only for a batch count other than 20

        return float(stats.t.ppf(0.975, df))
    return T975_19


def interval(plain: Sequence[float], boot: Sequence[float] | None, domain: str,
             trials: int | None = None) -> Interval:
    """95% interval of the mean of ``plain`` batch estimates (see the module docstring).

    ``domain``: ``"positive"`` (>= 0, log scale) or ``"share"`` ([0, 1], logit
    scale); ``trials`` (shares): how many 0/1 outcomes the mean is over.
    """
    values = np.asarray(plain, dtype=float)
    mean = float(values.mean())
    batches = len(values)
    var_mc = float(values.var(ddof=1))
    var_boot = float(np.var(np.asarray(boot, dtype=float), ddof=1)) if boot is not None else var_mc
    se = math.sqrt(var_mc / batches + max(0.0, var_boot - var_mc))
    if domain == "share" and trials and mean in (0.0, 1.0) and se == 0.0:
        bound = min(1.0, 3.0 / trials)
        return (0.0, bound) if mean == 0.0 else (1.0 - bound, 1.0)
    if se == 0.0 or not math.isfinite(se):
        return mean, mean
    t = _t975(batches - 1)
    if domain == "positive":
        if mean <= 0:
            return 0.0, 0.0
        spread = math.exp(t * se / mean)
        return mean / spread, mean * spread
    if mean <= 0.0 or mean >= 1.0:
        return mean, mean
    centre = math.log(mean / (1 - mean))
    half = t * se / (mean * (1 - mean))
    return _expit(centre - half), _expit(centre + half)


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def figure(plain: Sequence[float], boot: Sequence[float] | None, domain: str,
           trials: int | None = None, **extra: Any) -> dict[str, Any]:
    """``{"mean", "ci95", ...}`` of one figure from its plain and bootstrap batches."""
    low, high = interval(plain, boot, domain, trials)
    return {"mean": float(np.mean(plain)), "ci95": [low, high], **extra}


def percentiles(values: np.ndarray, qs: Sequence[float] = (0.5, 0.95, 0.99)
                ) -> dict[str, float]:
    """``p50``/``p95``/``p99`` of pooled values (no interval: a distribution's shape)."""
    if values.size == 0:
        return {f"p{round(q * 100)}": math.nan for q in qs}
    return {f"p{round(q * 100)}": float(np.quantile(values, q)) for q in qs}

