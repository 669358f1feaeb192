"""World: time, callbacks in time order, change notifications, the record."""

from __future__ import annotations

from hadrsim.simulator.world import World


def test_call_later_runs_in_time_order():
    """Callbacks run at their due times, earliest first, whatever the order of scheduling."""
    world = World(0, 0, horizon_s=10.0)
    log = []
    for delay in (3.0, 1.0, 2.0):
        world.call_later(delay, lambda d=delay: log.append((world.now, d)))
    world.run()
    assert log == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]


def test_call_later_ties_run_in_insertion_order():
    """Callbacks due at the same time run in the order they were scheduled."""
    world = World(0, 0, horizon_s=10.0)
    log = []
    for name in "abcde":
        world.call_later(1.0, log.append, name)
    world.run()
    assert log == list("abcde")


def test_call_later_passes_arguments_and_nests():
    """A callback gets its arguments and may schedule more callbacks relative to now."""
    world = World(0, 0, horizon_s=10.0)
    log = []

    def tick(n: int) -> None:
        log.append((world.now, n))
        if n < 3:
            world.call_later(0.5, tick, n + 1)

    world.call_later(1.0, tick, 1)
    world.run()
    assert log == [(1.0, 1), (1.5, 2), (2.0, 3)]


def test_run_stops_at_the_horizon():
    """Nothing due at or after the horizon runs; ``now`` ends at the horizon."""
    world = World(0, 0, horizon_s=5.0)
    log = []
    world.call_later(4.0, log.append, "before")
    world.call_later(6.0, log.append, "after")
    world.run()
    assert log == ["before"]
    assert world.now == 5.0


def test_call_later_interleaves_with_simpy_timeouts():
    """call_later events and ordinary SimPy timeouts share one clock and queue."""
    world = World(0, 0, horizon_s=10.0)
    log = []

    def proc(env):
        yield env.timeout(1.5)
        log.append(("process", env.now))

    world.env.process(proc(world.env))
    world.call_later(1.0, lambda: log.append(("call", world.now)))
    world.call_later(2.0, lambda: log.append(("call", world.now)))
    world.run()
    assert log == [("call", 1.0), ("process", 1.5), ("call", 2.0)]


def test_on_change_listeners_run_on_every_change():
    """A listener returning None stays subscribed and runs on each change."""
    world = World(0, 0, horizon_s=10.0)
    log = []
    world.on_change(lambda: log.append(world.now))
    world.call_later(1.0, world.changed)
    world.call_later(2.0, world.changed)
    world.run()
    assert log == [1.0, 2.0]


def test_on_change_listener_returning_true_is_removed():
    """A listener that returns True runs once (a one-shot wait) and is then removed."""
    world = World(0, 0, horizon_s=10.0)
    once, always = [], []
    world.on_change(lambda: once.append(world.now) or True)
    world.on_change(lambda: always.append(world.now))
    for t in (1.0, 2.0, 3.0):
        world.call_later(t, world.changed)
    world.run()
    assert once == [1.0]
    assert always == [1.0, 2.0, 3.0]


def test_on_change_listener_removed_only_when_it_says_so():
    """A listener may keep waiting (False) until its condition holds, then leave (True)."""
    world = World(0, 0, horizon_s=10.0)
    seen = []

    def wait_for_third() -> bool:
        seen.append(world.now)
        return len(seen) == 3

    world.on_change(wait_for_third)
    for t in (1.0, 2.0, 3.0, 4.0, 5.0):
        world.call_later(t, world.changed)
    world.run()
    assert seen == [1.0, 2.0, 3.0]


def test_listener_added_during_a_change_waits_for_the_next_one():
    """A listener subscribed while listeners run is not called for the current change."""
    world = World(0, 0, horizon_s=10.0)
    log = []

    def subscribe_another() -> bool:
        world.on_change(lambda: log.append(("late", world.now)))
        return True

    world.on_change(subscribe_another)
    world.call_later(1.0, world.changed)
    world.call_later(2.0, world.changed)
    world.run()
    assert log == [("late", 2.0)]


def test_listeners_run_in_subscription_order():
    """Listeners are notified in the order they subscribed, also after removals."""
    world = World(0, 0, horizon_s=10.0)
    log = []
    world.on_change(lambda: log.append("a"))
    world.on_change(lambda: log.append("b") or True)
    world.on_change(lambda: log.append("c"))
    world.changed()
    world.changed()
    assert log == ["a", "b", "c", "a", "c"]


def test_fault_ahead_reaches_every_listener():
    """``fault_ahead(t)`` tells each subscriber the time of the coming fault."""
    world = World(0, 0, horizon_s=10.0)
    log = []
    world.on_fault_ahead(lambda t: log.append(("x", t)))
    world.on_fault_ahead(lambda t: log.append(("y", t)))
    world.fault_ahead(7.0)
    assert log == [("x", 7.0), ("y", 7.0)]


def test_event_records_a_control_event_at_now():
    """``world.event`` appends a control-plane event stamped with the current time."""
    world = World(0, 0, horizon_s=10.0)
    world.call_later(2.5, world.event, "failure_detected", "db-1", "ctl")
    world.run()
    (event,) = world.rec.control
    assert (event.time_s, event.event, event.node, event.detail) == (
        2.5, "failure_detected", "db-1", "ctl",
    )


def test_events_scheduled_counts_call_later():
    """Each call_later costs exactly one SimPy event."""
    world = World(0, 0, horizon_s=10.0)
    for _ in range(5):
        world.call_later(1.0, lambda: None)
    assert world.events_scheduled == 5


def test_reading_events_scheduled_has_no_side_effect():
    """Reading the event count twice, with nothing scheduled in between, gives the same number."""
    world = World(0, 0, horizon_s=10.0)
    world.call_later(1.0, lambda: None)
    assert world.events_scheduled == world.events_scheduled


def test_same_seed_same_trace():
    """Two worlds with the same seed and run index draw the same numbers."""
    draws = []
    for _ in range(2):
        world = World(42, 3, horizon_s=1.0)
        draws.append(world.streams.generator("x").random(4).tolist())
    assert draws[0] == draws[1]
