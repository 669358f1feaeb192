"""The world of one run: the SimPy environment, random streams, the recorder.

Everything that happens in a run reaches time, randomness and the record
through one :class:`World`, so a run is a pure function of (spec, seed, run
index). Callbacks scheduled with :meth:`World.call_later` cost one SimPy event
each and need no process, which keeps message delivery cheap; time-outs that
are usually taken back use :meth:`World.call_cancellable`, which costs no event
when cancelled.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL, URGENT

from hadrsim.simulator.random import Streams
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import ControlEvent


class _Call:
    """The smallest object SimPy's ``step`` accepts as a triggered event."""

    __slots__ = ("callbacks", "_fn", "_args")
    _ok = True

    def __init__(self, fn: Callable[..., Any], args: tuple):
        self._fn = fn
        self._args = args
        self.callbacks = [self._fire]

    def _fire(self, _event: Any) -> None:
        self._fn(*self._args)


class Timer:
    """A callback scheduled with :meth:`World.call_cancellable`."""

    __slots__ = ("fn", "args", "pending")

    def __init__(self, fn: Callable[..., Any], args: tuple):
        self.fn = fn
        self.args = args
        self.pending = True


class World:
    """Time, randomness and the record of one run."""

    def __init__(self, root_seed: int, run_index: int, horizon_s: float):
        self.env = simpy.Environment()
        self.streams = Streams(root_seed, run_index)
        self.rec = Recorder(horizon_s=horizon_s)
        self.horizon_s = horizon_s
        self._change_listeners: list[Callable[[], None]] = []
        self._fault_listeners: list[Callable[[float], None]] = []
        self._timers: list[tuple[float, int, int, Timer]] = []
        self._cancelled = 0

    @property
    def now(self) -> float:
        return self.env.now

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` after ``delay`` simulated seconds.

        Inlined for performance: a slotted event pushed straight onto SimPy's
        queue costs a third of a ``Timeout`` with a closure, and ties at equal
        times still run in insertion order.
        """
        env = self.env
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), _Call(fn, args)))

    def call_cancellable(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Like :meth:`call_later`, but :meth:`cancel` can take it back (a time-out).

        A SimPy event cannot be unscheduled, so a time-out that was no longer
        needed used to cost a whole event. A timer sits in its own heap instead,
        ordered with the SimPy queue by the same (time, priority, event id) key,
        so it fires exactly where the equivalent ``call_later`` event would have.
        """
        env = self.env
        timer = Timer(fn, args)
        heappush(self._timers, (env._now + delay, NORMAL, next(env._eid), timer))
        return timer

    def cancel(self, timer: Timer) -> None:
        """Take a timer back (no effect once it fired or was cancelled)."""
        if not timer.pending:
            return
        timer.pending = False
        self._cancelled += 1
        timers = self._timers
        while timers and not timers[0][3].pending:
            heappop(timers)  # drop from the top now: an empty heap costs the loop nothing

    def event(self, name: str, node: str | None = None, detail: str = "") -> None:
        """Record a control-plane event (like an RDS event) at the current time."""
        self.rec.control.append(ControlEvent(self.env.now, name, node, detail))

    # --- notifications -----------------------------------------------------------
    # Components that poll (failure detectors, observed clients) sleep while nothing
    # changes and wake on these, which is what lets a simulated year run in seconds.

    def on_change(self, listener: Callable[[], bool | None]) -> None:
        """``listener()`` runs whenever a fault starts or ends or a role changes.

        A listener that returns True is removed (a one-shot wait).
        """
        self._change_listeners.append(listener)

    def changed(self) -> None:
        listeners = self._change_listeners
        self._change_listeners = []
        keep = [listener for listener in listeners if not listener()]
        self._change_listeners = keep + self._change_listeners

    def on_fault_ahead(self, listener: Callable[[float], None]) -> None:
        """``listener(t)`` runs ahead of a fault injected at time ``t``.

        This is the experimenter's knowledge (the nemesis schedule), used only to
        make observed clients probe densely around faults; no model component
        subscribes to it.
        """
        self._fault_listeners.append(listener)

    def fault_ahead(self, at_s: float) -> None:
        for listener in list(self._fault_listeners):
            listener(at_s)

    def run(self) -> None:
        """Run to the horizon."""
        self._run_until(self.horizon_s)

    def quiesce(self, seconds: float) -> None:
        """Run ``seconds`` past the horizon with no new client operations.

        Quiescence lets replication settle before replica states are compared
        (divergence is measured after quiescence).
        """
        self._run_until(max(self.env.now, self.horizon_s) + seconds)

    def _run_until(self, until: float) -> None:
        """SimPy's ``run(until)`` loop, with the cancellable timers merged in.

        Like SimPy, an urgent stop event at ``until`` ends the run before the
        ordinary events of that instant. A timer runs when its key sorts before the
        head of SimPy's queue (event ids are unique, so the order is total).
        """
        env = self.env
        if until <= env._now:
            raise ValueError(f"until ({until}) must be greater than the current time")
        stop = simpy.Event(env)
        stop._ok, stop._value = True, None
        stop.callbacks.append(StopSimulation.callback)
        env.schedule(stop, URGENT, until - env._now)
        queue, timers, step = env._queue, self._timers, env.step
        try:
            while True:
                if timers and timers[0] < queue[0]:
                    at, _, _, timer = heappop(timers)
                    if timer.pending:
                        timer.pending = False
                        env._now = at
                        timer.fn(*timer.args)
                else:
                    step()
        except StopSimulation:
            return

    @property
    def events_scheduled(self) -> int:
        """How many events this run scheduled, cancelled timers not counted (benchmarks)."""
        # SimPy keeps the count in a private itertools.count; read a copy of it
        return next(copy.copy(self.env._eid)) - self._cancelled
