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
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from hadrsim.simulator.oplog import as_log, codes, floats
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.vocabulary import OpKind, Outcome
from hadrsim.spec.alarms import AlarmSpec

if TYPE_CHECKING:
    import pandas as pd

_COMPARE: dict[str, Callable[[Any, float], Any]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}

METRICS = ("write_error_rate", "read_error_rate", "commit_latency_p99_ms",
           "write_availability", "replica_lag_s")


def metric_series(rec: Recorder, period_s: float = 60.0) -> pd.DataFrame:
    """One row per period (``start_s``) and a column per metric (NaN: no data)."""
    import pandas as pd

    return pd.DataFrame(metric_columns(rec, period_s))


def metric_columns(rec: Recorder, period_s: float = 60.0,
                   metrics: Iterable[str] = METRICS) -> dict[str, np.ndarray]:
    """:func:`metric_series` as plain arrays (``start_s`` and the ``metrics`` asked for).

    Vectorised over the records: a year of 60-s periods is half a million datapoints,
    too many to build one by one. The datapoints are exactly :class:`PeriodMeter`'s,
    its record-order rules included (a record is read in the period its running
    maximum reaches, and counts only if that is its own period).
    """
    periods = max(1, math.ceil(rec.horizon_s / period_s))
    wanted = set(metrics)
    columns = {"start_s": np.arange(periods) * period_s}
    if wanted & {"write_error_rate", "write_availability", "read_error_rate",
                 "commit_latency_p99_ms"}:
        columns.update(_op_columns(rec, period_s, periods))
    if "replica_lag_s" in wanted:
        columns["replica_lag_s"] = _replica_lag_column(rec, period_s, periods)
    return {name: columns[name] for name in ("start_s", *METRICS) if name in columns}


def _field(records: Sequence[Any], name: str, dtype: Any) -> np.ndarray:
    return np.fromiter(map(attrgetter(name), records), dtype, len(records))


def _read_in(times: np.ndarray, period_s: float, periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Each record's period (``//``, as the meter: numpy's is Python's floor division) and
    the period the meter reads it in (-1: never)."""
    index = np.floor_divide(times, period_s)
    read = np.maximum.accumulate(index) if len(index) else index
    return index, np.where(read < periods, read, -1.0)


def _op_columns(rec: Recorder, period_s: float, periods: int) -> dict[str, np.ndarray]:
    ops = as_log(rec.ops)  # by columns: a failure streak's block never becomes rows
    complete = floats(ops.pieces("complete_s"))
    index, read = _read_in(complete, period_s, periods)
    counted = (index == read) & (read >= 0)
    period = index[counted].astype(np.int64)
    kind, kinds = codes(ops.pieces("kind"))
    outcome, outcomes = codes(ops.pieces("outcome"))
    write = (kind == kinds.get(OpKind.WRITE, -1))[counted]
    ok = (outcome == outcomes.get(Outcome.OK, -1))[counted]
    latency = ((complete - floats(ops.pieces("invoke_s"))) * 1000.0)[counted]
    write_error = _share(period[write], ~ok[write], periods)
    return {
        "write_error_rate": write_error,
        "write_availability": 1.0 - write_error,
        "read_error_rate": _share(period[~write], ~ok[~write], periods),
        "commit_latency_p99_ms": _p99(period[write & ok], latency[write & ok], periods),
    }


def _share(period: np.ndarray, failed: np.ndarray, periods: int) -> np.ndarray:
    """Failed / all per period (NaN: no operation), the meter's ``np.mean`` of 0s and 1s."""
    total = np.bincount(period, minlength=periods)
    bad = np.bincount(period, weights=failed.astype(float), minlength=periods)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, bad / total, math.nan)


def _p99(period: np.ndarray, values: np.ndarray, periods: int) -> np.ndarray:
    """``np.percentile(values of the period, 99)`` per period, one call per group size."""
    out = np.full(periods, math.nan)
    if not len(period):
        return out
    order = np.argsort(period, kind="stable")
    period, values = period[order], values[order]
    starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
    sizes = np.diff(np.r_[starts, len(period)])
    for size in np.unique(sizes):
        first = starts[sizes == size]
        rows = values[first[:, None] + np.arange(size)]
        out[period[first]] = np.percentile(rows, 99, axis=1)
    return out


def _replica_lag_column(rec: Recorder, period_s: float, periods: int) -> np.ndarray:
    """The meter's replica lag per period: for each apply read in its own period, the
    delay since the first commit (already read) of its timeline that reaches its LSN."""
    worst = np.full(periods, -math.inf)
    commits, applies = rec.commits, rec.applies
    c_time, a_time = _field(commits, "time_s", float), _field(applies, "time_s", float)
    _, c_read = _read_in(c_time, period_s, periods)
    c_read = np.where(c_read < 0, math.inf, c_read)  # never read
    c_timeline, c_lsn = _field(commits, "timeline", np.int64), _field(commits, "lsn_to", np.int64)
    a_index, a_read = _read_in(a_time, period_s, periods)
    a_timeline, a_lsn = _field(applies, "timeline", np.int64), _field(applies, "lsn", np.int64)
    counted = (a_index == a_read) & (a_read >= 0)
    for timeline in np.unique(a_timeline[counted]):
        mine = c_timeline == timeline
        lsns = c_lsn[mine]
        if np.any(lsns[1:] < lsns[:-1]):  # unsorted: bisect's answer needs the meter itself
            return _replica_lag_by_meter(rec, period_s, periods)
        which = np.flatnonzero(counted & (a_timeline == timeline))
        first = np.searchsorted(lsns, a_lsn[which], side="left")
        known = np.searchsorted(c_read[mine], a_read[which], side="right")  # commits read
        found = first < known
        lag = np.maximum(0.0, a_time[which[found]] - c_time[mine][first[found]])
        np.maximum.at(worst, a_index[which[found]].astype(np.int64), lag)
    return np.where(worst == -math.inf, math.nan, worst)


def _replica_lag_by_meter(rec: Recorder, period_s: float, periods: int) -> np.ndarray:
    """The slow path, period by period (never seen: a timeline's LSNs grow)."""
    meter = PeriodMeter(rec, period_s)
    return np.array([meter._replica_lag(i) for i in range(periods)])


class PeriodMeter:
    """The datapoints of consecutive periods, read incrementally from a growing record.

    It serves the alarms a running fault schedule watches (stop conditions);
    :func:`metric_columns` computes the same datapoints for a whole run at once
    (tests/experiments/test_alarm_speed.py holds them equal), so both see identical
    datapoints. It relies on the record's order: operations, commits and applies are
    appended when they happen.
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


def evaluate(series: Mapping[str, Any], alarm: AlarmSpec) -> list[tuple[float, str]]:
    """State transitions ``(time, state)``: OK, ALARM or INSUFFICIENT_DATA.

    ``series``: :func:`metric_series` or :func:`metric_columns`. One vectorised pass
    with :class:`AlarmState`'s rules: a gap kept as ``missing``/``ignore`` leaves the
    window and the state as they are (INSUFFICIENT_DATA before any datapoint); the
    other points form the window, ALARM when ``needed`` of its last points breach.
    """
    starts = np.asarray(series["start_s"], dtype=float)
    values = np.asarray(series[alarm.metric], dtype=float)
    ends = starts + alarm.period_s  # a state is known at its period's end
    gap = np.isnan(values)
    with np.errstate(invalid="ignore"):
        breach = np.asarray(_COMPARE[alarm.comparison](values, alarm.threshold), dtype=bool)
    changes: list[tuple[float, str]] = []
    if alarm.treat_missing_data in ("breaching", "notBreaching"):
        breach = np.where(gap, alarm.treat_missing_data == "breaching", breach)
        kept = np.arange(len(values))
    else:
        kept = np.flatnonzero(~gap)
        if len(values) and gap[0]:
            changes.append((float(ends[0]), "INSUFFICIENT_DATA"))
    if not len(kept):
        return changes
    window = alarm.evaluation_periods
    needed = alarm.datapoints_to_alarm or window
    total = np.cumsum(breach[kept], dtype=np.int64)
    in_window = total - np.r_[np.zeros(min(window, len(total)), np.int64), total[:-window]]
    alarm_on = in_window >= needed
    flips = np.flatnonzero(np.r_[True, alarm_on[1:] != alarm_on[:-1]])
    changes += [(float(ends[kept[i]]), "ALARM" if alarm_on[i] else "OK") for i in flips]
    return changes


def alarm_entries(series: Mapping[str, Any], alarm: AlarmSpec) -> list[float]:
    """The times the alarm enters ALARM, ascending (evaluated once for every fault)."""
    return [time_s for time_s, state in evaluate(series, alarm) if state == "ALARM"]


def delay_to_alarm(entries: Sequence[float], fault_s: float) -> float:
    """Seconds from a fault to the first entry into ALARM at or after it (NaN: never)."""
    i = bisect_left(entries, fault_s)
    return entries[i] - fault_s if i < len(entries) else math.nan


def time_to_alarm(series: Mapping[str, Any], alarm: AlarmSpec, fault_s: float) -> float:
    """Seconds from a fault until the alarm first enters ALARM after it (NaN: never)."""
    return delay_to_alarm(alarm_entries(series, alarm), fault_s)
