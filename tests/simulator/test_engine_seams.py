"""The engine's seams: World is the only scheduling API, node behaviour comes from
policies, and models wire services through methods, never by patching attributes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import KEEP, FollowConfig, Node
from hadrsim.simulator.policies import ColdStart, ForwardToPrimary
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.service import Service
from hadrsim.simulator.world import Interrupt, PriorityItem, World
from hadrsim.spec.distributions import constant

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "hadrsim" / "simulator"
MODELS = ROOT / "hadrsim" / "models"


def fixed(seconds: float) -> Sampler:
    return Sampler(constant(seconds), np.random.Generator(np.random.PCG64(0)))


# --- World: the only scheduling API ----------------------------------------------------


def test_processes_timeouts_and_callbacks_share_one_clock():
    """A process's timeouts interleave with call_later and call_cancellable by time."""
    world = World(0, 0, horizon_s=10.0)
    log = []

    def proc():
        yield world.timeout(1.5)
        log.append(("process", world.now))

    world.process(proc())
    world.call_later(1.0, lambda: log.append(("call", world.now)))
    world.call_cancellable(2.0, lambda: log.append(("timer", world.now)))
    world.run()
    assert log == [("call", 1.0), ("process", 1.5), ("timer", 2.0)]


def test_ties_run_in_insertion_order_across_timers_and_events():
    """At equal times a timer and a plain callback run in the order they were scheduled."""
    world = World(0, 0, horizon_s=10.0)
    log = []
    world.call_cancellable(1.0, log.append, "timer first")
    world.call_later(1.0, log.append, "call second")
    world.call_cancellable(1.0, log.append, "timer third")
    world.run()
    assert log == ["timer first", "call second", "timer third"]


def test_run_until_a_process_ends_returns_at_its_end():
    """``run(until=process)`` stops when the process returns; its value is kept."""
    world = World(0, 0, horizon_s=100.0)

    def task():
        yield world.timeout(3.0)
        return "done"

    proc = world.process(task())
    world.call_cancellable(50.0, lambda: None)  # later work does not run
    world.run(until=proc)
    assert world.now == 3.0 and proc.value == "done"


def test_run_until_an_event_that_never_fires_raises():
    """Nothing left to simulate before ``until`` fires is an error, as in SimPy."""
    world = World(0, 0, horizon_s=100.0)
    with pytest.raises(RuntimeError, match="nothing left"):
        world.run(until=world.new_event())


def test_stores_and_interrupts_need_no_simpy_import():
    """Priority stores hand out the smallest item; an interrupted wait sees ``Interrupt``."""
    world = World(0, 0, horizon_s=100.0)
    queue, fifo, log = world.priority_store(), world.store(), []

    def worker():
        item = yield queue.get()
        log.append(item.item)
        try:
            yield world.timeout(10.0)
        except Interrupt as why:
            log.append((world.now, why.cause))
        fifo.put("after")
        log.append((yield fifo.get()))

    proc = world.process(worker())
    queue.put(PriorityItem(2, "second"))
    queue.put(PriorityItem(1, "first"))
    world.call_later(4.0, proc.interrupt, "fault")
    world.run(until=proc)
    assert log == ["first", (4.0, "fault"), "after"]


def test_pending_events_counts_live_timers_only():
    world = World(0, 0, horizon_s=10.0)
    timer = world.call_cancellable(1.0, lambda: None)
    world.call_later(2.0, lambda: None)
    assert world.pending_events == 2
    world.cancel(timer)
    assert world.pending_events == 1


def test_ties_run_in_insertion_order_across_callbacks_timers_and_simpy_events():
    """At one instant, callbacks, timers and a SimPy timeout run in scheduling order.

    Plain callbacks sit in World's own heap; the order key (time, priority, event
    id) is the one a single SimPy queue would use, so a SimPy event scheduled
    between two callbacks runs between them.
    """
    world = World(0, 0, horizon_s=10.0)
    log = []

    def proc():
        yield world.timeout(1.0)  # scheduled at t=0, after the two below
        log.append("process")

    world.call_later(1.0, log.append, "call first")
    world.process(proc())
    world.call_cancellable(1.0, log.append, "timer second")
    world.call_later(0.5, world.call_later, 0.5, log.append, "call last")
    world.run()
    assert log == ["call first", "timer second", "process", "call last"]


def test_the_horizon_stops_before_callbacks_due_at_it():
    """``run()`` ends before the callbacks of the horizon instant; ``quiesce`` runs them."""
    world = World(0, 0, horizon_s=5.0)
    log = []
    world.call_later(5.0, lambda: log.append(world.now))
    world.run()
    assert log == [] and world.now == 5.0
    world.quiesce(1.0)
    assert log == [5.0] and world.now == 6.0


def test_a_callback_wakes_a_process_at_the_same_instant():
    """A plain callback that succeeds an event resumes its waiting process at once."""
    world = World(0, 0, horizon_s=10.0)
    wake, log = world.new_event(), []

    def sleeper():
        log.append(((yield wake), world.now, world.active_process is not None))

    world.process(sleeper())
    world.call_later(2.0, lambda: log.append(world.active_process) or wake.succeed("up"))
    world.run()
    assert log == [None, ("up", 2.0, True)]


def test_run_until_an_event_runs_the_callbacks_before_it_fires():
    """Plain callbacks ahead of ``until`` run; with nothing left the run raises."""
    world = World(0, 0, horizon_s=100.0)
    done, log = world.new_event(), []
    world.call_later(1.0, log.append, "before")
    world.call_later(2.0, done.succeed)
    world.call_later(3.0, log.append, "after")
    world.run(until=done)
    assert log == ["before"] and world.now == 2.0
    with pytest.raises(RuntimeError, match="nothing left"):
        world.run(until=world.new_event())
    assert log == ["before", "after"] and world.now == 3.0


def test_an_error_in_a_callback_propagates_out_of_run():
    """A callback's exception ends the run and reaches the caller, as from a SimPy event."""
    world = World(0, 0, horizon_s=10.0)

    def broken() -> None:
        raise ValueError("model bug")

    world.call_later(1.0, broken)
    with pytest.raises(ValueError, match="model bug"):
        world.run()
    assert world.now == 1.0


def test_events_scheduled_counts_callbacks_timeouts_and_live_timers():
    """Callbacks take their ids from SimPy's counter; cancelled timers are not counted."""
    world = World(0, 0, horizon_s=10.0)
    before = world.events_scheduled
    world.call_later(1.0, lambda: None)
    world.timeout(2.0)
    world.cancel(world.call_cancellable(3.0, lambda: None))
    assert world.events_scheduled - before == 2


def _sources(folder: Path):
    return sorted(folder.rglob("*.py"))


def test_only_world_touches_simpy():
    """No engine or model module but world.py imports simpy or reads its private fields."""
    offenders = []
    for path in _sources(ENGINE) + _sources(MODELS):
        if path.name == "world.py":
            continue
        text = path.read_text()
        tree = ast.parse(text)
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: import {n}" for n in names if n.split(".")[0] == "simpy"]
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\.(_queue|_eid|_now)\b", text)]
    assert offenders == []


# --- models wire through methods, never by patching attributes --------------------------

_PATCHED = (
    "read_guard", "forward_writes", "forward_reads", "clock_skew_s", "cold_until",
    "cold_penalty", "cold_start", "follow", "dataset", "internal", "deleted", "peers",
    "targets", "front", "dr_target", "local_writers", "local_readers_by_region", "nodes",
    "promotion", "operator_actions", "replicas",
)


def test_models_set_no_engine_attribute_after_construction():
    """Models pass policies to constructors and call owner methods (set_local_writer,
    retarget, reconfigure, ...) instead of assigning or editing engine attributes."""
    pattern = re.compile(
        r"\b(?!self\b)\w+\.(" + "|".join(_PATCHED) + r")\b\s*(\[[^\]]*\]\s*)?=(?!=)"
        r"|\.(" + "|".join(_PATCHED) + r")\.(pop|update|append|setdefault|clear)\("
    )
    hits = [f"{path.name}:{i}: {line.strip()}"
            for path in _sources(MODELS)
            for i, line in enumerate(path.read_text().splitlines(), 1)
            if pattern.search(line)]
    assert hits == []


# --- node policies ------------------------------------------------------------------------


class _Cluster:
    """A primary (p, a1) and a readable async replica (r, a2), one hop apart."""

    def __init__(self, **replica_policies):
        self.world = World(0, 0, horizon_s=100.0)
        self.net = Network(self.world, {"r1": ["a1", "a2"]}, 1.0, 0.2, lambda a, b: 60.0, 0.0)
        log = Log()
        follow = FollowConfig(mode="async", readable=True)
        self.p = Node(self.world, self.net, "p", "a1", log.root, follow=follow, dataset="orders")
        self.r = Node(self.world, self.net, "r", "a2", log.root, follow=follow,
                      dataset="orders", **replica_policies)
        self.group = ReplicationGroup(self.world, self.net, self.p, flush=fixed(0.001),
                                      background_writes_per_s=0.0)
        self.group.add_follower(self.r, in_sync=True)
        self.service = Service(self.world, log, self.group,
                               Endpoint(self.world, "w", 5.0, [self.p]),
                               Endpoint(self.world, "r", 5.0, [self.r]))
        self.replies: list = []

    def reply(self, *answer) -> None:
        self.replies.append((self.world.now, *answer))


class _Quorum:
    def __init__(self, ok: bool):
        self.ok = ok

    def readable(self) -> bool:
        return self.ok


def test_constructor_policies_are_what_the_node_uses():
    """dataset, follow and read_guard given at construction are the node's own."""
    guard = _Quorum(ok=False)
    c = _Cluster(read_guard=guard)
    assert (c.r.dataset, c.r.follow.mode, c.r.read_guard) == ("orders", "async", guard)
    c.r.receive_read(1, c.reply)
    assert c.replies == [(0.0, False, None, None, "storage read quorum lost")]
    guard.ok = True
    c.r.receive_read(1, c.reply)
    assert c.replies[-1] == (0.0, True, None, None, None)


def test_a_forwarding_replica_relays_writes_to_the_primary():
    """With ForwardToPrimary a replica's write commits on the primary and is answered back."""
    c = _Cluster()
    c.r.reconfigure(forward_writes=ForwardToPrimary(c.net, lambda: c.group.primary))
    c.r.receive_write(7, 1, c.reply)
    c.world.run()
    assert len(c.replies) == 1 and c.replies[0][1] is True
    assert c.p.timeline.read(c.p.lsn, 7)[0] == 1


def test_a_replica_without_forwarding_refuses_writes():
    c = _Cluster()
    c.r.receive_write(7, 1, c.reply)
    assert c.replies == [(0.0, False, None, "read-only")]


def test_reconfigure_changes_only_what_it_is_given():
    """KEEP (the default) leaves a policy as it is; None removes it."""
    guard = _Quorum(ok=True)
    c = _Cluster(read_guard=guard)
    c.r.reconfigure(cold_start=ColdStart(10.0, fixed(0.5)))
    assert c.r.read_guard is guard and c.r.follow is not None
    c.r.reconfigure(read_guard=None, follow=KEEP)
    assert c.r.read_guard is None and c.r.cold_start == ColdStart(10.0, c.r.cold_start.penalty)


def test_cold_start_delays_each_request_until_hydrated():
    """While cold, a read waits one penalty draw first; after ``until_s`` it does not."""
    c = _Cluster()
    c.r.reconfigure(cold_start=ColdStart(until_s=1.0, penalty=fixed(0.25)))
    c.r.receive_read(1, c.reply)
    c.world.call_later(2.0, c.r.receive_read, 1, c.reply)
    c.world.run()
    assert [t for t, *_ in c.replies] == [0.25, 2.0]


def test_skew_clock_and_mark_deleted():
    c = _Cluster()
    c.r.skew_clock(0.5)
    c.r.skew_clock(-0.5)
    assert c.r.clock_skew_s == 0.0
    c.p.mark_deleted()
    assert c.p.deleted and not c.p.responsive


# --- the service's wiring methods ---------------------------------------------------------


def test_local_writers_and_readers_are_set_and_cleared_through_the_service():
    c = _Cluster()
    local = Endpoint(c.world, "r.local", 5.0, [c.r])
    c.service.set_local_writer("r1", local)
    c.service.set_local_reader("r1", local)
    assert c.service.writer_for("r1") is local and c.service.reader_for("r1") is local
    assert c.service.endpoints_from("r1") == [local, c.service.writer]
    c.service.set_local_writer("r1", None)
    c.service.set_local_reader("r1", None)
    assert c.service.writer_for("r1") is c.service.writer
    assert c.service.reader_for("r1") is c.service.reader


def test_dr_target_asks_the_runbook_when_one_is_set():
    c = _Cluster()
    assert c.service.dr_target() is None
    c.service.set_dr_target(lambda: c.r)
    assert c.service.dr_target() is c.r


def test_retarget_records_no_control_event_but_repoint_does():
    c = _Cluster()
    endpoint = Endpoint(c.world, "x", 5.0, [])
    endpoint.retarget([c.r])
    assert endpoint.current() is c.r and c.world.rec.control == []
    endpoint.repoint([c.p])
    assert endpoint.current() is c.p and [e.event for e in c.world.rec.control] == [
        "endpoint_updated"]
