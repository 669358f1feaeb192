"""Alarms as stop conditions of a fault schedule, as in AWS FIS.

FIS evaluates the CloudWatch alarms named as an experiment's stop conditions while it
runs and stops the experiment when one enters ALARM. Here a watcher evaluates the
study's alarms on the record as it grows — the same :class:`PeriodMeter` datapoints
and :class:`AlarmState` rules as the after-the-run monitoring, so the alarm a report
shows is the alarm that stopped the run — and calls the injector's ``stop`` at the
end of the first period that puts one in ALARM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hadrsim.experiments.monitoring import AlarmSpec, AlarmState, PeriodMeter

if TYPE_CHECKING:
    from hadrsim.simulator.faults import FaultInjector
    from hadrsim.simulator.world import World

__all__ = ["watch_stop_conditions"]


def watch_stop_conditions(world: World, alarms: list[AlarmSpec],
                          injector: FaultInjector) -> None:
    """Evaluate each alarm at the end of each of its periods until it fires or the
    horizon; the first ALARM stops the injector's schedule."""
    for alarm in alarms:
        meter = PeriodMeter(world.rec, alarm.period_s)
        state = AlarmState(alarm)

        def tick(index: int, alarm=alarm, meter=meter, state=state) -> None:
            if injector.stopped_at is not None:
                return
            value = meter.point(index)[alarm.metric]
            if state.push(value) == "ALARM":
                injector.stop(f"stop condition: alarm {alarm.name} in ALARM "
                              f"({alarm.metric} {value:g})")
                return
            if (index + 2) * alarm.period_s <= world.horizon_s:
                world.call_later(alarm.period_s, tick, index + 1)

        if alarm.period_s <= world.horizon_s:
            world.call_later(alarm.period_s, tick, 0)
