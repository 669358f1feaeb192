"""Operation time-outs of an observed client: exact semantics, and no event per replied call.

A client used to schedule one time-out event for every operation and leave it in
the queue after the reply arrived (issue 12). These tests pin what a time-out means
(same outcome, same simulated time, a late reply ignored) and that replied
operations no longer cost a time-out event each.
"""

from __future__ import annotations

from itertools import count

import numpy as np
import pytest

from hadrsim.simulator.client import ObservedClient
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import FollowConfig, Node
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.service import Service
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant
from hadrsim.spec.workload import WorkloadSpec

HOP = 0.0005  # one-way Region-to-AZ delay (1 ms inter-AZ RTT)
FLUSH = 0.001  # group-commit flush: a write takes 2 * HOP + 2 * HOP = 2 ms


def _fixed(seconds: float) -> Sampler:
    return Sampler(constant(seconds), np.random.Generator(np.random.PCG64(0)))


class _Setup:
    """One primary (p, a1) with a sync standby (s, a2); one client in r1."""

    def __init__(self, horizon_s: float = 60.0, **workload):
        self.world = World(0, 0, horizon_s)
        self.net = Network(self.world, {"r1": ["a1", "a2"]}, 1.0, 0.2, lambda a, b: 60.0, 0.0)
        log = Log()
        self.p = Node(self.world, self.net, "p", "a1", log.root)
        self.s = Node(self.world, self.net, "s", "a2", log.root)
        self.p.follow = self.s.follow = FollowConfig(mode="sync", readable=False,
                                                     flush=_fixed(0.0))
        group = ReplicationGroup(self.world, self.net, self.p, flush=_fixed(FLUSH),
                                 background_writes_per_s=0.0)
        group.add_follower(self.s, in_sync=True)
        endpoint = Endpoint(self.world, "db", 5.0, [self.p])
        self.service = Service(self.world, log, group, endpoint, endpoint)
        spec = WorkloadSpec(**{"probe_interval_s": 0.5, **workload})
        self.client = ObservedClient(self.world, self.net, self.service, spec, "c1", "r1",
                                     count(1))

    def run(self):
        self.client.start()
        self.world.run()
        return self.world.rec.ops


def _pending_events(world: World) -> int:
    """Events still scheduled: SimPy's queue, callbacks, timers not fired or cancelled."""
    return world.pending_events


def test_a_replied_operation_leaves_no_timeout_event_behind():
    """With a time-out far past the horizon, answered calls leave nothing scheduled."""
    setup = _Setup(op_timeout_s=1000.0)
    ops = setup.run()
    assert len(ops) > 80 and all(op.outcome == "ok" for op in ops)
    assert _pending_events(setup.world) <= 3  # the next tick, nothing per call


def test_cancelled_timeouts_are_not_counted_as_events():
    """``events_scheduled`` counts events that ran or are due, not cancelled time-outs."""
    short, long = _Setup(op_timeout_s=2.0), _Setup(op_timeout_s=1000.0)
    assert short.run() == long.run()
    assert short.world.events_scheduled == long.world.events_scheduled


def test_a_timeout_records_unknown_writes_and_failed_reads_at_invoke_plus_timeout():
    """No answer: write 'unknown', read 'fail' (no value), at exactly invoke + op_timeout_s."""
    setup = _Setup(op_timeout_s=2.0, horizon_s=40.0)
    setup.p.crashed = 1
    ops = setup.run()
    assert {op.kind for op in ops} == {"write", "read"}
    for op in ops:
        assert op.error == "timeout" and op.node == "p"
        assert op.complete_s == op.invoke_s + 2.0  # the same float as before: no drift
        if op.kind == "write":
            assert op.outcome == "unknown" and op.value is not None and op.version is None
        else:
            assert op.outcome == "fail" and op.value is None and op.version is None


def test_a_reply_after_the_timeout_is_ignored():
    """Replies take 2 ms and the time-out is 1.5 ms: every call times out, once."""
    setup = _Setup(op_timeout_s=0.0015, observed_write_fraction=1.0, horizon_s=20.0)
    ops = setup.run()
    assert len(ops) > 10
    assert all(op.outcome == "unknown" and op.error == "timeout" for op in ops)
    assert [op.value for op in ops] == list(range(1, len(ops) + 1))  # one record per call
    assert all(op.complete_s == op.invoke_s + 0.0015 for op in ops)


def test_calls_alternate_between_replies_and_timeouts():
    """A node down for a while: calls before and after are ok, those during time out."""
    setup = _Setup(op_timeout_s=1.0, horizon_s=60.0)
    def crash(crashed: int) -> None:  # announced, as a fault is (World.touched)
        setup.p.crashed = crashed
        setup.world.touched()

    setup.world.call_later(20.0, crash, 1)
    setup.world.call_later(30.0, crash, 0)
    ops = setup.run()
    during = [op for op in ops if 20.0 <= op.invoke_s and op.complete_s < 30.0]
    outside = [op for op in ops if op.complete_s < 20.0 or op.invoke_s >= 30.0]
    assert during and all(op.error == "timeout" for op in during)
    assert outside and all(op.outcome == "ok" for op in outside)
    assert all(op.complete_s - op.invoke_s == pytest.approx(1.0) for op in during)


def test_cancellable_timers_keep_the_order_of_call_later_events():
    """Equal times run in scheduling order across both kinds; cancelled ones never run."""
    world = World(0, 0, horizon_s=5.0)
    log = []
    world.call_later(1.0, log.append, "a")
    world.call_cancellable(1.0, log.append, "b")
    world.call_later(1.0, log.append, "c")
    dropped = world.call_cancellable(0.5, log.append, "never")
    world.call_cancellable(5.0, log.append, "at the horizon")  # runs in quiescence
    world.cancel(dropped)
    world.cancel(dropped)  # twice is harmless
    world.run()
    assert log == ["a", "b", "c"] and world.now == 5.0
    world.quiesce(1.0)
    assert log == ["a", "b", "c", "at the horizon"] and world.now == 6.0
    # a, c, b, the horizon timer, and per run SimPy's stop event (scheduled, then
    # rescheduled when it stops the run, as in env.run); the cancelled timer not
    assert world.events_scheduled == 2 + 2 + 2 * 2
