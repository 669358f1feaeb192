"""What the emulator cannot measure is said, never read as 0; what it cannot run is refused.

An alarm on ``replica_lag_s`` needs apply records, which a run on real servers does not
give: ``time_to_alarm_s`` (the first alarm to fire) is then "not applicable to
emulation", listed with its reason, and no emulated run carries a value for it. A scenario
with stop conditions is refused before any server starts (the emulator runs every
scenario to its horizon). Neither needs PostgreSQL.
"""

from __future__ import annotations

import pytest

from hadrsim.emulate import NotEmulated, check
from hadrsim.emulate.run import not_applicable

ALARMS = [{"name": "errors", "metric": "write_error_rate", "threshold": 0.1},
          {"name": "lag", "metric": "replica_lag_s", "threshold": 30}]
DESIGNS = [{"name": "maz", "kind": "rds_multi_az_instance"}]


def test_an_alarm_on_an_unrecorded_metric_makes_time_to_alarm_not_applicable(make_study):
    both = make_study(alarms=ALARMS, designs=DESIGNS)
    assert set(not_applicable(both)) == {"time_to_alarm_s"}
    assert "'lag' watches replica_lag_s" in not_applicable(both)["time_to_alarm_s"]
    errors_only = make_study(alarms=ALARMS[:1], designs=DESIGNS)
    assert not_applicable(errors_only) == {}


def test_a_scenario_with_stop_conditions_is_refused(make_study):
    study = make_study(alarms=ALARMS[:1], designs=DESIGNS, scenarios=[
        {"name": "crash", "stop_conditions": ["errors"],
         "scheduled": [{"kind": "instance_crash", "at_s": 10}]}])
    with pytest.raises(NotEmulated, match="not emulated: stop_conditions"):
        check(study, "maz", "crash")
