"""CloudWatch-style monitoring from the records: metric series, alarms, time to alarm.

Metrics are computed per period from the client history and the commit/apply
records (never from the model's own state): ``write_error_rate`` and
``read_error_rate`` (failed or unknown / all), ``commit_latency_p99_ms``,
``write_availability`` (1 - write error rate) and ``replica_lag_s`` (per period,
the largest delay between a commit and its apply on any follower). An alarm
follows CloudWatch's rules: a period's datapoint breaches the threshold or not;
the alarm is in ALARM when at least ``datapoints_to_alarm`` of the last
``evaluation_periods`` breach; a period with no data counts as ``missing``
(ignored, skipped), ``breaching`` or ``notBreaching`` per ``treat_missing_data``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from hadrsim.simulator.recorder import Recorder

MetricName = Literal[
    "write_error_rate", "read_error_rate", "commit_latency_p99_ms", "write_availability",
    "replica_lag_s",
]
_COMPARE = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


class AlarmSpec(BaseModel):
    """A CloudWatch metric alarm on one of the series above."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    metric: MetricName
    threshold: float
    comparison: Literal["GreaterThanThreshold", "GreaterThanOrEqualToThreshold",
                        "LessThanThreshold", "LessThanOrEqualToThreshold"] = (
        "GreaterThanThreshold")
    period_s: float = Field(60.0, gt=0)  # CloudWatch standard resolution: 60 s
    evaluation_periods: int = Field(1, ge=1)
    datapoints_to_alarm: int | None = Field(None, ge=1)
    treat_missing_data: Literal["missing", "breaching", "notBreaching", "ignore"] = "missing"


def metric_series(rec: Recorder, period_s: float = 60.0) -> pd.DataFrame:
    """One row per period (``start_s``) and a column per metric (NaN: no data)."""
    periods = max(1, math.ceil(rec.horizon_s / period_s))
    index = np.arange(periods) * period_s
    rows = {name: np.full(periods, np.nan) for name in _COMPARE_METRICS}
    buckets: dict[str, list[list[float]]] = {k: [[] for _ in range(periods)]
                                             for k in ("w", "r", "lat")}
    for op in rec.ops:
        i = int(op.complete_s // period_s)
        if not 0 <= i < periods:
            continue
        failed = 0.0 if op.outcome == "ok" else 1.0
        buckets["w" if op.kind == "write" else "r"][i].append(failed)
        if op.kind == "write" and op.outcome == "ok":
            buckets["lat"][i].append((op.complete_s - op.invoke_s) * 1000.0)
    for i in range(periods):
        if buckets["w"][i]:
            rows["write_error_rate"][i] = float(np.mean(buckets["w"][i]))
            rows["write_availability"][i] = 1.0 - rows["write_error_rate"][i]
        if buckets["r"][i]:
            rows["read_error_rate"][i] = float(np.mean(buckets["r"][i]))
        if buckets["lat"][i]:
            rows["commit_latency_p99_ms"][i] = float(np.percentile(buckets["lat"][i], 99))
    rows["replica_lag_s"] = _replica_lag(rec, periods, period_s)
    return pd.DataFrame({"start_s": index, **rows})


_COMPARE_METRICS = ("write_error_rate", "read_error_rate", "commit_latency_p99_ms",
                    "write_availability", "replica_lag_s")


def _replica_lag(rec: Recorder, periods: int, period_s: float) -> np.ndarray:
    """Per period, the largest commit-to-apply delay seen on any follower."""
    out = np.full(periods, np.nan)
    by_timeline: dict[int, tuple[list[int], list[float]]] = {}
    for c in rec.commits:
        lsns, times = by_timeline.setdefault(c.timeline, ([], []))
        lsns.append(c.lsn_to)
        times.append(c.time_s)
    for a in rec.applies:
        found = by_timeline.get(a.timeline)
        if found is None:
            continue
        lsns, times = found
        j = bisect_left(lsns, a.lsn)
        if j == len(lsns):
            continue
        i = int(a.time_s // period_s)
        if 0 <= i < periods:
            lag = max(0.0, a.time_s - times[j])
            out[i] = lag if math.isnan(out[i]) else max(out[i], lag)
    return out


def evaluate(series: pd.DataFrame, alarm: AlarmSpec) -> list[tuple[float, str]]:
    """State transitions ``(time, state)``: OK, ALARM or INSUFFICIENT_DATA."""
    compare = _COMPARE[alarm.comparison]
    needed = alarm.datapoints_to_alarm or alarm.evaluation_periods
    window: list[bool | None] = []
    state, changes = None, []
    for start, value in zip(series["start_s"], series[alarm.metric], strict=True):
        if math.isnan(value):
            point = {"breaching": True, "notBreaching": False}.get(alarm.treat_missing_data)
        else:
            point = bool(compare(value, alarm.threshold))
        if point is None and alarm.treat_missing_data in ("missing", "ignore"):
            if not window:
                new = "INSUFFICIENT_DATA"
            else:
                continue  # the alarm keeps its state over a gap
        else:
            window = (window + [point])[-alarm.evaluation_periods:]
            new = "ALARM" if sum(1 for p in window if p) >= needed else "OK"
        if new != state:
            state = new
            changes.append((float(start + alarm.period_s), state))  # known at period end
    return changes


def time_to_alarm(series: pd.DataFrame, alarm: AlarmSpec, fault_s: float) -> float:
    """Seconds from a fault until the alarm first enters ALARM after it (NaN: never)."""
    for time_s, state in evaluate(series, alarm):
        if state == "ALARM" and time_s >= fault_s:
            return time_s - fault_s
    return math.nan
