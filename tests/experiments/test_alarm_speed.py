"""Alarms are evaluated once per run, vectorised, with the same answers as before (issue 14).

Before: every episode re-evaluated every alarm over the whole series (a year of 60-s
periods is half a million datapoints, ~16 s per run with alarms). The references here
are that code: :class:`PeriodMeter` one period at a time, :class:`AlarmState` one
datapoint at a time, and a scan of the transitions per episode.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from hadrsim.experiments import monitoring
from hadrsim.experiments.monitoring import (
    METRICS,
    AlarmSpec,
    AlarmState,
    PeriodMeter,
    evaluate,
    metric_columns,
    metric_series,
    time_to_alarm,
)
from hadrsim.experiments.run import run_once, simulate
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import Apply, ClientOp, Commit
from hadrsim.spec.loader import parse_study

YEAR = Path(__file__).resolve().parents[2] / "experiments" / "year-of-faults.yaml"


def _meter_columns(rec: Recorder, period_s: float) -> dict[str, np.ndarray]:
    """The series as it was computed before: one :meth:`PeriodMeter.point` per period."""
    periods = max(1, math.ceil(rec.horizon_s / period_s))
    meter = PeriodMeter(rec, period_s)
    points = [meter.point(i) for i in range(periods)]
    return {"start_s": np.arange(periods) * period_s,
            **{name: np.array([p[name] for p in points]) for name in METRICS}}


def _state_evaluate(series, alarm: AlarmSpec) -> list[tuple[float, str]]:
    """The transitions as they were computed before: :class:`AlarmState` per datapoint."""
    state = AlarmState(alarm)
    changes = []
    for start, value in zip(series["start_s"], series[alarm.metric], strict=True):
        new = state.push(float(value))
        if new is not None:
            changes.append((float(start + alarm.period_s), new))
    return changes


def _scan_time_to_alarm(series, alarm: AlarmSpec, fault_s: float) -> float:
    for time_s, state in _state_evaluate(series, alarm):
        if state == "ALARM" and time_s >= fault_s:
            return time_s - fault_s
    return math.nan


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), name


def _fabricated(seed: int, sorted_lsns: bool = True) -> Recorder:
    """Records with the awkward cases: late records (read in a later period and
    dropped), several timelines, applies of a timeline never committed, empty periods."""
    rng = np.random.default_rng(seed)
    rec = Recorder(horizon_s=3600.0)
    done = np.sort(rng.uniform(0, 3700, 400))
    done[::37] -= rng.uniform(0, 200, len(done[::37]))  # out of record order
    for i, complete in enumerate(done):
        kind = "write" if rng.random() < 0.6 else "read"
        outcome = rng.choice(["ok", "ok", "ok", "fail", "unknown"])
        rec.ops.append(ClientOp("c1", "r", kind, i, None, None,
                                complete - rng.exponential(0.05), complete, outcome, "n", None))
    for timeline in (1, 2):
        times = np.sort(rng.uniform(0, 3700, 150))
        times[::29] += 400.0  # late commits
        lsns = np.cumsum(rng.integers(1, 4, len(times)))
        if not sorted_lsns:
            lsns[10], lsns[20] = lsns[20], lsns[10]
        for t, lsn in zip(times, lsns, strict=True):
            rec.commits.append(Commit(float(t), "p", timeline, int(lsn) - 1, int(lsn), 1, ()))
        for t, lsn in zip(times, lsns, strict=True):
            lag = rng.exponential(3.0)
            rec.applies.append(Apply(float(t + lag), "f", "p", timeline, int(lsn)))
    rec.applies.append(Apply(10.0, "f", "p", 9, 5))  # a timeline with no commit
    rec.applies.sort(key=lambda a: a.time_s)
    rec.applies[50], rec.applies[51] = rec.applies[51], rec.applies[50]
    return rec


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("period_s", [60.0, 7.5, 300.0])
def test_columns_equal_the_period_meter_on_fabricated_records(seed, period_s):
    """Bit-identical datapoints, record-order rules included."""
    rec = _fabricated(seed, sorted_lsns=seed != 3)  # seed 3: bisect on unsorted LSNs
    _same(metric_columns(rec, period_s), _meter_columns(rec, period_s))
    frame = metric_series(rec, period_s)
    _same({name: frame[name].to_numpy() for name in frame}, _meter_columns(rec, period_s))


def test_columns_of_an_empty_record():
    """No record at all: every datapoint is missing."""
    rec = Recorder(horizon_s=150.0)
    _same(metric_columns(rec, 60.0), _meter_columns(rec, 60.0))


ALARMS = [
    AlarmSpec(name=f"a{i}", metric=metric, threshold=threshold, comparison=comparison,
              evaluation_periods=n, datapoints_to_alarm=m, treat_missing_data=missing)
    for i, (metric, threshold, comparison, n, m, missing) in enumerate([
        ("write_error_rate", 0.5, "GreaterThanThreshold", 1, None, "missing"),
        ("write_error_rate", 0.3, "GreaterThanOrEqualToThreshold", 3, 2, "breaching"),
        ("write_availability", 0.9, "LessThanThreshold", 5, None, "notBreaching"),
        ("replica_lag_s", 2.0, "GreaterThanThreshold", 2, 1, "ignore"),
        ("commit_latency_p99_ms", 60.0, "LessThanOrEqualToThreshold", 4, 3, "missing"),
    ])
]


@pytest.mark.parametrize("seed", range(3))
def test_evaluate_equals_the_alarm_state_machine(seed):
    """Random series with gaps (leading ones too): the same transitions at the same times."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, 500)
    values[rng.random(500) < 0.3] = math.nan
    values[:3 * seed] = math.nan
    series = {"start_s": np.arange(500) * 60.0,
              **{name: values * (100 if "ms" in name else 4 if "lag" in name else 1)
                 for name in METRICS}}
    for alarm in ALARMS:
        assert evaluate(series, alarm) == _state_evaluate(series, alarm), alarm.name


def _busy_study():
    """year-of-faults squeezed into a few days (faults 52x as often), with alarms."""
    data = yaml.safe_load(YEAR.read_text())
    data["horizon_s"] = 5 * 86400.0
    for fault in data["scenarios"][0]["stochastic"]:
        fault["mttf_h"] = fault["mttf_h"] / 52
    data["alarms"] = [
        {"name": "errors", "metric": "write_error_rate", "threshold": 0.5},
        {"name": "lag", "metric": "replica_lag_s", "threshold": 1.0, "period_s": 60.0,
         "evaluation_periods": 3, "datapoints_to_alarm": 2},
        {"name": "p99", "metric": "commit_latency_p99_ms", "threshold": 100.0,
         "period_s": 300.0, "treat_missing_data": "notBreaching"},
    ]
    return parse_study(data, "<busy year>")


def test_time_to_alarm_equals_the_per_episode_scan(monkeypatch):
    """A run with several episodes and three alarms: every episode's time to alarm as the
    old per-episode scan gives it, and each alarm evaluated once (not once per episode)."""
    study = _busy_study()
    design, scenario = "multi-az-dr", "every-fault-class"
    calls = []
    real = monitoring.evaluate
    monkeypatch.setattr(monitoring, "evaluate", lambda s, a: calls.append(a) or real(s, a))
    result = run_once(study, design, scenario, 0)
    assert result.ok, result.error
    assert len(result.episodes) >= 4
    assert len(calls) == len(study.alarms)
    rec = simulate(study, design, scenario, 0).rec
    series = {p: _meter_columns(rec, p) for p in {a.period_s for a in study.alarms}}
    fired = 0
    for episode in result.episodes:
        times = [_scan_time_to_alarm(series[a.period_s], a, episode["start_s"])
                 for a in study.alarms]
        finite = [t for t in times if not math.isnan(t)]
        expected = min(finite) if finite else math.nan
        assert episode["time_to_alarm_s"] == pytest.approx(expected, abs=0, nan_ok=True)
        fired += bool(finite)
        for alarm, old in zip(study.alarms, times, strict=True):
            new = time_to_alarm(metric_series(rec, alarm.period_s), alarm, episode["start_s"])
            assert new == pytest.approx(old, abs=0, nan_ok=True)
    assert fired >= 2
