"""CloudWatch-style alarms over metric series computed from the records."""

from __future__ import annotations

import math

import pandas as pd

from hadrsim.experiments.monitoring import AlarmSpec, evaluate, metric_series, time_to_alarm
from hadrsim.experiments.run import run_once, simulate


def _series(values, period=60.0):
    return pd.DataFrame({"start_s": [i * period for i in range(len(values))],
                         "write_error_rate": values})


def test_m_of_n_datapoints_to_alarm():
    """2 of 3 breaching periods put the alarm in ALARM at the end of the second."""
    alarm = AlarmSpec(name="a", metric="write_error_rate", threshold=0.5,
                      evaluation_periods=3, datapoints_to_alarm=2)
    changes = evaluate(_series([0.0, 0.9, 0.0, 0.9, 0.0, 0.0, 0.0]), alarm)
    assert changes == [(60.0, "OK"), (240.0, "ALARM"), (300.0, "OK")]


def test_missing_data_treatments():
    """A gap keeps the state ('missing'), or counts as breaching / not breaching."""
    values = [0.0, math.nan, math.nan, 0.0]
    keep = AlarmSpec(name="a", metric="write_error_rate", threshold=0.5)
    assert [s for _, s in evaluate(_series(values), keep)] == ["OK"]
    breach = keep.model_copy(update={"treat_missing_data": "breaching"})
    assert [s for _, s in evaluate(_series(values), breach)] == ["OK", "ALARM", "OK"]
    assert evaluate(_series([math.nan]), keep) == [(60.0, "INSUFFICIENT_DATA")]


def test_error_rate_alarm_fires_after_a_crash(make_study):
    """A write-error alarm fires within about one period after a Single-AZ crash."""
    study = make_study(horizon_s=1800.0, designs=[{"name": "db", "kind": "rds_single_az"}],
                       scenarios=[{"name": "crash", "scheduled": [
                           {"kind": "instance_crash", "at_s": 300.0}]}],
                       alarms=[{"name": "errors", "metric": "write_error_rate",
                                "threshold": 0.5, "period_s": 60.0}])
    series = metric_series(simulate(study, "db", "crash", 0).rec, 60.0)
    assert series["write_error_rate"].iloc[:5].max() == 0.0
    delay = time_to_alarm(series, study.alarms[0], 300.0)
    assert 0.0 < delay <= 120.0
    result = run_once(study, "db", "crash", 0)
    assert result.metrics["time_to_alarm_s"] == delay
    assert result.episodes[0]["time_to_alarm_s"] == delay


def test_replica_lag_series_from_commit_and_apply_records(make_study):
    """Replica lag per period is measured from commit and apply times (~ship lag)."""
    study = make_study(horizon_s=600.0, designs=[{
        "name": "db", "kind": "rds_single_az", "replicas": [{"lag_s": 2.0}]}])
    lag = metric_series(simulate(study, "db", "crash", 0).rec, 60.0)["replica_lag_s"]
    assert 1.9 <= lag.iloc[1] <= 2.5
