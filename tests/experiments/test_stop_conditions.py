"""Alarms as FIS-style stop conditions: the schedule stops when one enters ALARM."""

from __future__ import annotations

import math

import pytest

from hadrsim.experiments.monitoring import evaluate, metric_series
from hadrsim.experiments.run import run_once, simulate
from hadrsim.spec.loader import SpecError

ALARM = {"name": "errors", "metric": "write_error_rate", "threshold": 0.5, "period_s": 60.0}


def _study(make_study, stop: bool):
    scenario = {"name": "az", "scheduled": [
        {"kind": "az_outage", "target": "primary_az", "at_s": 300.0, "duration_s": 2400.0},
        {"kind": "instance_crash", "target": "primary", "at_s": 3000.0, "duration_s": 60.0}]}
    if stop:
        scenario["stop_conditions"] = ["errors"]
    return make_study(horizon_s=3600.0, designs=[{"name": "db", "kind": "rds_single_az"}],
                      scenarios=[scenario], alarms=[ALARM])


def test_alarm_stops_the_outage_and_cancels_later_faults(make_study):
    """The AZ outage ends when the alarm fires; the crash scheduled later never starts."""
    world = simulate(_study(make_study, stop=True), "db", "az", 0)
    stops = [e for e in world.rec.control if e.event == "experiment_stopped"]
    assert len(stops) == 1 and "errors" in stops[0].detail
    stopped = stops[0].time_s
    assert 300.0 < stopped <= 480.0  # within about two periods of the fault
    assert [f.kind for f in world.rec.faults] == ["az_outage"]
    assert world.rec.faults[0].end_s == stopped
    assert any(e.event == "fault_cancelled" for e in world.rec.control)


def test_stop_time_is_the_first_alarm_of_the_after_the_run_series(make_study):
    """The watcher sees the same datapoints as the monitoring computed afterwards."""
    study = _study(make_study, stop=True)
    world = simulate(study, "db", "az", 0)
    changes = evaluate(metric_series(world.rec, 60.0), study.alarms[0])
    first_alarm = next(t for t, state in changes if state == "ALARM")
    result = run_once(study, "db", "az", 0)
    assert result.metrics["experiment_stopped_s"] == first_alarm


def test_stopping_shortens_the_outage_clients_see(make_study):
    """Without the stop condition the clients wait out the 40-min outage."""
    stopped = run_once(_study(make_study, stop=True), "db", "az", 0)
    full = run_once(_study(make_study, stop=False), "db", "az", 0)
    assert stopped.ok and full.ok
    assert full.episodes[0]["rto_write_s"] >= 2400.0
    assert stopped.episodes[0]["rto_write_s"] < 600.0
    assert "experiment_stopped_s" not in full.metrics
    assert not math.isnan(stopped.metrics["experiment_stopped_s"])


def test_unknown_alarm_name_is_a_field_error(make_study):
    with pytest.raises(SpecError, match=r"scenarios\.0\.stop_conditions\.0: no alarm 'nope'"):
        make_study(scenarios=[{"name": "s", "stop_conditions": ["nope"],
                               "scheduled": [{"kind": "instance_crash", "at_s": 10.0}]}])
