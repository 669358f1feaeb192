"""The world of one run: the only scheduling API, random streams, the recorder.

Everything that happens in a run reaches time, randomness and the record
through one :class:`World`, so a run is a pure function of (spec, seed, run
index). Code outside this module never imports ``simpy``: it schedules through

- :meth:`World.call_later` / :meth:`World.call_cancellable` -- plain callbacks
  (message delivery, time-outs that are usually taken back), the cheap path;
- :meth:`World.process`, :meth:`World.timeout`, :meth:`World.new_event`,
  :meth:`World.store`, :meth:`World.priority_store` -- SimPy processes and the
  objects they yield, for components written as generators (DMS tasks, jobs);
- :data:`Interrupt`, :data:`PriorityItem` and the types :data:`Event`,
  :data:`Process`, :data:`Store`, :data:`PriorityStore`, re-exported here.

SimPy's private internals (``Environment._queue``, ``_now``, ``_eid``) are
touched only in the section of :class:`World` marked "SimPy internals" below,
which is why ``pyproject.toml`` pins SimPy's major version.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Generator
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event, Interrupt, Process
from simpy.resources.store import PriorityItem, PriorityStore, Store

from hadrsim.simulator.random import Streams
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import ControlEvent

__all__ = ["Event", "Interrupt", "PriorityItem", "PriorityStore", "Process", "Store",
           "Timer", "World"]


class Timer:
    """A callback scheduled with :meth:`World.call_cancellable`."""

    __slots__ = ("fn", "args", "pending")

    def __init__(self, fn: Callable[..., Any], args: tuple):
        self.fn = fn
        self.args = args
        self.pending = True


class World:
    """Time, randomness and the record of one run; the only scheduling API.

    Components schedule work only through this object (see the module
    docstring); SimPy's private internals are touched only in the section
    marked "SimPy internals" below. ``env`` (the SimPy environment) stays
    reachable for tests and benchmarks; model and engine code never uses it.
    """

    def __init__(self, root_seed: int, run_index: int, horizon_s: float):
        self.env = simpy.Environment()
        self.streams = Streams(root_seed, run_index)
        self.rec = Recorder(horizon_s=horizon_s)
        self.horizon_s = horizon_s
        self._change_listeners: list[Callable[[], bool | None]] = []
        self._fault_listeners: list[Callable[[float], None]] = []
        self._touch_listeners: list[Callable[[], None]] = []
        # components may skip events whose outcome is certain (workload.history: compressed)
        self.compressed = False
        self._pause_listeners: list[Callable[[], None]] = []
        # (time, priority, event id, fn, args): sorts against SimPy's queue entries
        self._calls: list[tuple[Any, ...]] = []
        self._timers: list[tuple[float, int, int, Timer]] = []
        self._cancelled = 0

    # --- processes: thin wrappers so no component needs ``simpy`` itself ----------

    def process(self, generator: Generator[Any, Any, Any]) -> Process:
        """Start ``generator`` as a SimPy process now; return the process."""
        return self.env.process(generator)

    def timeout(self, delay: float, value: Any = None) -> Event:
        """An event that fires ``delay`` seconds from now (yield it in a process)."""
        return self.env.timeout(delay, value)

    def new_event(self) -> Event:
        """A bare event a process can wait on until someone calls ``succeed``.

        (Not :meth:`event`, which records a control-plane event.)
        """
        return self.env.event()

    def store(self) -> Store:
        """An unbounded FIFO store (``put`` / ``yield get()``)."""
        return Store(self.env)

    def priority_store(self) -> PriorityStore:
        """An unbounded store that hands out the smallest item first (``PriorityItem``)."""
        return PriorityStore(self.env)

    @property
    def active_process(self) -> Process | None:
        """The process running now (None inside a plain callback)."""
        return self.env.active_process

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
        self.touched()
        listeners = self._change_listeners
        self._change_listeners = []
        keep = [listener for listener in listeners if not listener()]
        self._change_listeners = keep + self._change_listeners

    def on_touch(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs at the instant anything a client can reach changes.

        Finer than :meth:`on_change` and with no effect on the model: a fault, a
        role change, a new policy, a DNS record or health status that changes. The
        observed clients' failure streaks (:mod:`hadrsim.simulator.streaks`) end there.
        """
        self._touch_listeners.append(listener)

    def touched(self) -> None:
        for listener in self._touch_listeners:
            listener()

    def on_pause(self, listener: Callable[[], None]) -> None:
        """``listener()`` runs when :meth:`run` or :meth:`quiesce` returns, so components
        that record lazily (failure streaks) leave the record complete up to now."""
        self._pause_listeners.append(listener)

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

    # --- SimPy internals: the one place ``_queue`` / ``_now`` / ``_eid`` are used --------
    # Everything below reads or writes SimPy 4's private Environment fields, for
    # speed (cheap callbacks) and for timers SimPy cannot unschedule. SimPy's major
    # version is pinned in pyproject.toml; tests/simulator/test_engine_seams.py
    # checks the ordering these rely on.

    @property
    def now(self) -> float:
        return self.env._now  # SimPy's ``now`` is itself a property: one call, not two

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` after ``delay`` simulated seconds.

        Inlined for performance: a plain tuple in World's own heap, with no
        event object and no pass through ``Environment.step``. It takes its id
        from SimPy's event counter, so the order key (time, priority, id) is
        the one a SimPy event would have had and ties run in insertion order.
        """
        env = self.env
        heappush(self._calls, (env._now + delay, NORMAL, next(env._eid), fn, args))

    def call_at(self, at_s: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` at the absolute time ``at_s`` (not before now).

        For times computed ahead (steady runs, failure streaks): ``now + (at - now)``
        is not always ``at`` in floating point, and the events one by one would have
        run at ``at`` exactly.
        """
        env = self.env
        heappush(self._calls, (max(at_s, env._now), NORMAL, next(env._eid), fn, args))

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
        self._drop_cancelled_timers()  # from the top now: an empty heap costs the loop nothing

    def _drop_cancelled_timers(self) -> None:
        timers = self._timers
        while timers and not timers[0][3].pending:
            heappop(timers)

    def run(self, until: Event | None = None) -> None:
        """Run to the horizon, or, given ``until``, until that event has fired.

        ``run(until=world.process(task()))`` runs a component to completion
        (the DMS model does this); it raises RuntimeError if nothing is left to
        happen before ``until`` fires.
        """
        if until is None:
            self._run_until(self.horizon_s)
            return
        if until.callbacks is None:  # already processed
            return
        until.callbacks.append(StopSimulation.callback)
        self._loop()

    def quiesce(self, seconds: float) -> None:
        """Run ``seconds`` past the horizon with no new client operations.

        Quiescence lets replication settle before replica states are compared
        (divergence is measured after quiescence).
        """
        self._run_until(max(self.env.now, self.horizon_s) + seconds)

    def _run_until(self, until: float) -> None:
        """SimPy's ``run(until)``, with World's callbacks and timers merged in.

        Like SimPy, an urgent stop event at ``until`` ends the run before the
        ordinary events of that instant.
        """
        env = self.env
        if until <= env._now:
            raise ValueError(f"until ({until}) must be greater than the current time")
        stop = simpy.Event(env)
        stop._ok, stop._value = True, None
        stop.callbacks.append(StopSimulation.callback)
        env.schedule(stop, URGENT, until - env._now)
        self._loop()
        for listener in self._pause_listeners:
            listener()

    def _loop(self) -> None:
        """Run SimPy's queue, the callback heap and the timer heap in one order.

        The three share one key, (time, priority, event id), and event ids are
        unique, so the merged order is total and is the order one SimPy queue
        holding everything would give. Runs until a stop event.
        """
        env = self.env
        queue, calls, timers, step = env._queue, self._calls, self._timers, env.step
        try:
            while True:
                # keys are unique, so a comparison never reaches past the event id
                if calls and (not queue or calls[0] < queue[0]) \
                        and (not timers or calls[0] < timers[0]):
                    at, _, _, fn, args = heappop(calls)
                    env._now = at
                    fn(*args)
                elif timers and (not queue or timers[0] < queue[0]):  # type: ignore[operator]
                    at, _, _, timer = heappop(timers)
                    if timer.pending:
                        timer.pending = False
                        env._now = at
                        timer.fn(*timer.args)
                else:
                    step()
        except StopSimulation:
            return
        except EmptySchedule:
            raise RuntimeError("nothing left to simulate before the 'until' event fired") \
                from None

    def next_event_at(self) -> float:
        """When the next scheduled event, callback or live timer runs (inf: none).

        What a steady run (:mod:`hadrsim.simulator.steady`) may simulate up to, with
        nothing else happening in between.
        """
        self._drop_cancelled_timers()
        queue, calls, timers = self.env._queue, self._calls, self._timers
        at = float("inf")
        if calls:
            at = calls[0][0]
        if queue and queue[0][0] < at:
            at = queue[0][0]
        if timers and timers[0][0] < at:
            at = timers[0][0]
        return at

    def next_call(self) -> tuple[float, Callable[..., Any], tuple] | None:
        """The next event of all, ``(at, fn, args)``, if it is a plain callback
        (:meth:`call_later`, :meth:`call_at`); None if it is a SimPy event or a timer."""
        self._drop_cancelled_timers()
        queue, calls, timers = self.env._queue, self._calls, self._timers
        if not calls or (queue and queue[0] < calls[0]) or (timers and timers[0] < calls[0]):
            return None
        at, _priority, _eid, fn, args = calls[0]
        return at, fn, args

    def run_next_call(self) -> None:
        """Run the callback :meth:`next_call` returned, at its time, as the loop would
        (a steady window runs a batch on its way inside itself: steady_transport)."""
        at, _priority, _eid, fn, args = heappop(self._calls)
        self.env._now = at
        fn(*args)

    @property
    def pending_events(self) -> int:
        """Events, callbacks and live timers still waiting to run (tests of event economy)."""
        live_timers = sum(1 for entry in self._timers if entry[3].pending)
        return len(self.env._queue) + len(self._calls) + live_timers

    @property
    def events_scheduled(self) -> int:
        """How many events this run scheduled, cancelled timers not counted (benchmarks)."""
        # SimPy keeps the count in a private itertools.count; read a copy of it
        return next(copy.copy(self.env._eid)) - self._cancelled
