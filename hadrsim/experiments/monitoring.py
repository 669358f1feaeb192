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

import numpy as np
import pandas as pd

from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.vocabulary import OpKind, Outcome
from hadrsim.spec.alarms import AlarmSpec

_COMPARE = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def metric_series(rec: Recorder, period_s: float = 60.0) -> pd.DataFrame:
    """One row per period (``start_s``) and a column per metric (NaN: no data)."""
    periods = max(1, math.ceil(rec.horizon_s / period_s))
    meter = PeriodMeter(rec, period_s)
    points = [meter.point(i) for i in range(periods)]
    columns = {name: np.array([p[name] for p in points]) for name in METRICS}
    return pd.DataFrame({"start_s": np.arange(periods) * period_s, **columns})


METRICS = ("write_error_rate", "read_error_rate", "commit_latency_p99_ms",
           "write_availability", "replica_lag_s")


class PeriodMeter:
    """The datapoints of consecutive periods, read incrementally from a growing record.

    The same meter serves the series computed after a run and the alarms a running
    fault schedule watches (stop conditions), so both see identical datapoints. It
    relies on the record's order: operations, commits and applies are appended when
    they happen.
    """

    def __init__(self, rec: Recorder, period_s: float):
        self.rec = rec
        self.period_s = period_s
        self._ops = self._commits = self._applies = 0
        self._by_timeline: dict[int, tuple[list[int], list[float]]] = {}

    def point(self, index: int) -> dict[str, float]:
        """Period ``index``'s datapoints; call with consecutive indexes, after its end."""
        period = self.period_s
        writes: list[float] = []
        reads: list[float] = []
        latencies: list[float] = []
        ops = self.rec.ops
        while self._ops < len(ops) and ops[self._ops].complete_s // period <= index:
            op = ops[self._ops]
            self._ops += 1
            if op.complete_s // period < index:
                continue
            failed = 0.0 if op.outcome == Outcome.OK else 1.0
            (writes if op.kind == OpKind.WRITE else reads).append(failed)
            if op.kind == OpKind.WRITE and op.outcome == Outcome.OK:
                latencies.append((op.complete_s - op.invoke_s) * 1000.0)
        nan = math.nan
        write_error = float(np.mean(writes)) if writes else nan
        return {
            "write_error_rate": write_error,
            "write_availability": 1.0 - write_error if writes else nan,
            "read_error_rate": float(np.mean(reads)) if reads else nan,
            "commit_latency_p99_ms": float(np.percentile(latencies, 99)) if latencies else nan,
            "replica_lag_s": self._replica_lag(index),
        }

    def _replica_lag(self, index: int) -> float:
        """The largest commit-to-apply delay seen on any follower in the period."""
        period = self.period_s
        commits = self.rec.commits
        while self._commits < len(commits) and commits[self._commits].time_s // period <= index:
            c = commits[self._commits]
            self._commits += 1
            lsns, times = self._by_timeline.setdefault(c.timeline, ([], []))
            lsns.append(c.lsn_to)
            times.append(c.time_s)
        worst = math.nan
        applies = self.rec.applies
        while self._applies < len(applies) and applies[self._applies].time_s // period <= index:
            a = applies[self._applies]
            self._applies += 1
            found = self._by_timeline.get(a.timeline)
            if found is None or a.time_s // period < index:
                continue
            lsns, times = found
            j = bisect_left(lsns, a.lsn)
            if j == len(lsns):
                continue
            lag = max(0.0, a.time_s - times[j])
            worst = lag if math.isnan(worst) else max(worst, lag)
        return worst


class AlarmState:
    """CloudWatch's evaluation of one alarm, one datapoint at a time."""

    def __init__(self, alarm: AlarmSpec):
        self.alarm = alarm
        self._compare = _COMPARE[alarm.comparison]
        self._needed = alarm.datapoints_to_alarm or alarm.evaluation_periods
        self._window: list[bool | None] = []
        self.state: str | None = None

    def push(self, value: float) -> str | None:
        """Take the next period's datapoint; the new state if it changed, else None."""
        alarm = self.alarm
        if math.isnan(value):
            point = {"breaching": True, "notBreaching": False}.get(alarm.treat_missing_data)
        else:
            point = bool(self._compare(value, alarm.threshold))
        if point is None and alarm.treat_missing_data in ("missing", "ignore"):
            if self._window:
                return None  # the alarm keeps its state over a gap
            new = "INSUFFICIENT_DATA"
        else:
            self._window = (self._window + [point])[-alarm.evaluation_periods:]
            new = "ALARM" if sum(1 for p in self._window if p) >= self._needed else "OK"
        if new == self.state:
            return None
        self.state = new
        return new


def evaluate(series: pd.DataFrame, alarm: AlarmSpec) -> list[tuple[float, str]]:
    """State transitions ``(time, state)``: OK, ALARM or INSUFFICIENT_DATA."""
    state = AlarmState(alarm)
    changes = []
    for start, value in zip(series["start_s"], series[alarm.metric], strict=True):
        new = state.push(float(value))
        if new is not None:
            changes.append((float(start + alarm.period_s), new))  # known at period end
    return changes


def time_to_alarm(series: pd.DataFrame, alarm: AlarmSpec, fault_s: float) -> float:
    """Seconds from a fault until the alarm first enters ALARM after it (NaN: never)."""
    for time_s, state in evaluate(series, alarm):
        if state == "ALARM" and time_s >= fault_s:
            return time_s - fault_s
    return math.nan
