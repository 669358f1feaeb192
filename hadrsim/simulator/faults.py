"""The fault injector: applies a fault scenario to a running world.

Faults act on the world's state (a node's crash/hang counters, an outage of a
location, a blocked or degraded path, a broken replication stream), never on a
design's internals, so every design meets the same faults. Each injected fault
leaves one :class:`~hadrsim.simulator.records.Fault` record: that record is what
episodes, RTO and RPO are measured from. Applicability is decided *before* anything
is recorded: a fault that cannot apply to the design (no such target or action: a
``standby`` of a single instance, a switchover without a global database) leaves no
Fault record, so it is no episode, and is logged as ``fault_not_applicable`` with
``"<kind>: <reason>"``. A fault that hits the design's footprint but that the managed
service absorbs (an AZ outage under DynamoDB) *is* an episode.

Stochastic classes alternate up and down times per class (a renewal process): the
next arrival is drawn from the MTTF law when the previous fault is repaired, on the
class's stream (a plain MTTF number: one exponential draw per gap, as always). A
scheduled fault's duration given as a distribution is drawn when the fault starts, on
its own stream ``faults/scheduled/{index}/duration``. Arrivals are
announced ahead to the observed clients (the nemesis schedule), so they probe
densely around them.

:meth:`FaultInjector.stop` ends the schedule as an AWS FIS stop condition ends an
experiment: faults still active with a duration are reverted at once (their record's
end moves to now), faults not yet arrived never arrive. A permanent fault (a crash
without duration, a corruption) cannot be undone, by FIS either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol

from hadrsim.simulator.records import Fault
from hadrsim.simulator.vocabulary import Ev
from hadrsim.spec.faults import Faults

if TYPE_CHECKING:
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.world import World
    from hadrsim.spec.faults import FaultScenario


class Targets(Protocol):
    """How a design names its parts for faults (see :mod:`hadrsim.spec.faults`)."""

    def node(self, target: str, kind: str | None = None) -> Node | None: ...

    def place(self, target: str) -> str | None: ...

    def not_applicable(self, fault) -> str | None:
        """Why the fault cannot apply to this design now; None if it applies."""
        ...

    def switchover_target(self, region: str) -> Node | None: ...

    def switch_over(self, target: Node) -> None: ...

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> None: ...

    def fail_backup(self) -> None: ...

    def operator_error(self, action: str, detection_s: float, decision_s: float) -> None: ...


_HOUR = 3600.0


class FaultInjector:
    """Schedules and applies the faults of one scenario."""

    def __init__(self, world: World, net: Network, targets: Targets, scenario: FaultScenario):
        self.world = world
        self.net = net
        self.targets = targets
        self.scenario = scenario
        self._next_id = 0
        self.stopped_at: float | None = None
        self._active: dict[int, tuple[int, Callable[[], None]]] = {}  # id -> (record, revert)

    def stop(self, reason: str) -> None:
        """End the schedule now (an FIS stop condition): revert what is active."""
        if self.stopped_at is not None:
            return
        now = self.world.now
        self.stopped_at = now
        self.world.event(Ev.EXPERIMENT_STOPPED, None, reason)
        for fault_id in sorted(self._active):
            index, revert = self._active.pop(fault_id)
            self.world.rec.faults[index] = self.world.rec.faults[index]._replace(end_s=now)
            revert()
        self.world.changed()

    def start(self) -> None:
        for index, fault in enumerate(self.scenario.scheduled):
            self.world.fault_ahead(fault.at_s)
            if fault.duration_s is None or isinstance(fault.duration_s, float):
                self.world.call_later(fault.at_s, self._inject, fault, fault.duration_s)
            else:
                self.world.call_later(fault.at_s, self._inject_drawn, fault, index)
        for index, stochastic in enumerate(self.scenario.stochastic):
            stream = self.world.streams.generator(f"faults/{stochastic.kind}/{index}")
            self._schedule_next(stochastic, stream, mttr=None)

    def _inject_drawn(self, fault, index: int) -> None:
        """A scheduled fault whose duration is a distribution: one draw per run."""
        stream = self.world.streams.generator(f"faults/scheduled/{index}/duration")
        self._inject(fault, float(fault.duration_s.draw(stream, 1)[0]))

    def _schedule_next(self, fault, stream, mttr, mttf=None) -> None:
        from hadrsim.simulator.random import Sampler

        if self.stopped_at is not None:
            return
        mttr = mttr or Sampler(fault.mttr_h, stream, _HOUR)
        if isinstance(fault.mttf_h, float):  # the exponential of a plain MTTF: pinned draws
            gap = float(stream.exponential(fault.mttf_h * _HOUR))
        else:
            mttf = mttf or Sampler(fault.mttf_h, stream, _HOUR)
            gap = mttf()
        at = self.world.now + gap
        if at >= self.world.horizon_s:
            return
        self.world.fault_ahead(at)

        def arrive() -> None:
            if self.stopped_at is not None:
                self.world.event(Ev.FAULT_CANCELLED, None, f"{fault.kind}: experiment stopped")
                return
            duration = mttr()
            self._inject(fault, duration)
            self.world.call_later(duration, self._schedule_next, fault, stream, mttr, mttf)

        self.world.call_later(gap, arrive)

    # --- applying one fault ---------------------------------------------------------
    def _inject(self, fault, duration_s: float | None) -> None:
        if self.stopped_at is not None:
            self.world.event(Ev.FAULT_CANCELLED, None, f"{fault.kind}: experiment stopped")
            return
        action = self._resolve(fault)
        if isinstance(action, str):
            self.world.event(Ev.FAULT_NOT_APPLICABLE, None, f"{fault.kind}: {action}")
            return
        scope, affected, apply, revert = action
        self._next_id += 1
        now = self.world.now
        end = None if duration_s is None else now + duration_s
        faults = self.world.rec.faults
        faults.append(
            Fault(self._next_id, fault.kind, scope, fault.disruption_class, now, end, affected)
        )
        apply()
        self.world.changed()
        if duration_s is not None:
            self._active[self._next_id] = (len(faults) - 1, revert)
            self.world.call_later(duration_s, self._revert, self._next_id)

    def _rng(self, name: str):
        return self.world.streams.generator(f"faults/{name}")

    def _revert(self, fault_id: int) -> None:
        active = self._active.pop(fault_id, None)
        if active is None:
            return  # already reverted by stop()
        active[1]()
        self.world.changed()

    def _resolve(self, fault):
        """``(scope, affected, apply, revert)``, or the reason the fault cannot apply."""
        reason = self.targets.not_applicable(fault)
        if reason is not None:
            return reason
        kind = fault.kind
        if kind in (Faults.NETWORK_PARTITION, Faults.ADDED_LATENCY):
            return self._path_action(fault)
        if kind in (Faults.SWITCHOVER, Faults.AZ_OUTAGE, Faults.REGION_OUTAGE):
            place = self.targets.place(fault.target)
            if place is None:
                return f"no {fault.target} in this design now"
            if kind == Faults.SWITCHOVER:
                return self._switchover_action(place)
            affected = (place,) if kind == Faults.AZ_OUTAGE else (place, *self.net.azs_of(place))
            return (f"{'az' if kind == 'az_outage' else 'region'}:{place}", affected,
                    lambda: self.net.set_down(place, True),
                    lambda: self.net.set_down(place, False))
        node = self.targets.node(fault.target, kind)
        if node is None:
            return f"no {fault.target} in this design now"
        return self._node_action(fault, node)

    def _path_action(self, fault):
        a, b = (self.targets.place(p) for p in fault.between)
        if a is None or b is None:
            missing = fault.between[0] if a is None else fault.between[1]
            return f"no {missing} in this design now"
        pairs = [(a, b)] if fault.one_way else [(a, b), (b, a)]
        scope = f"link:{a}{'->' if fault.one_way else '<->'}{b}"
        net = self.net

        def block(on: bool) -> None:
            for x, y in pairs:
                net.set_blocked(x, y, on)

        def degrade(on: bool) -> None:
            for x, y in pairs:
                net.degrade(x, y, fault.latency_ms, fault.loss, on)

        act = block if fault.kind == Faults.NETWORK_PARTITION else degrade
        return scope, (), partial(act, True), partial(act, False)

    def _switchover_action(self, place: str):
        target = self.targets.switchover_target(place)
        if target is None:
            return f"no secondary in {place}"
        return (f"region:{place}", (), lambda: self.targets.switch_over(target), lambda: None)

    def _node_action(self, fault, node: Node):
        kind = fault.kind
        scope = f"node:{node.name}"
        if kind == Faults.INSTANCE_CRASH:
            return scope, (), lambda: _bump(node, "crashed", 1), lambda: _bump(node, "crashed", -1)
        if kind == Faults.INSTANCE_HANG:
            return scope, (), lambda: _bump(node, "hung", 1), lambda: _bump(node, "hung", -1)
        if kind == Faults.STORAGE_LOSS:
            def lose() -> None:
                node.storage_lost = True
                node.storage_lost_at = self.world.now
                _bump(node, "crashed", 1)
            # the instance dies with its volume; only a replacement/restore brings it back
            return scope, (), lose, lambda: None
        if kind == Faults.LOGICAL_CORRUPTION:
            fault_id = self._next_id + 1
            detection = float(fault.detection_s.draw(self._rng("corruption"), 1)[0])
            decision = float(fault.decision_s.draw(self._rng("corruption"), 1)[0])
            return (f"data:{node.dataset}", (),
                    lambda: self.targets.corrupt(fault_id, detection, decision),
                    lambda: None)
        if kind == Faults.OPERATOR_ERROR:
            detection = float(fault.detection_s.draw(self._rng("operator"), 1)[0])
            decision = float(fault.decision_s.draw(self._rng("operator"), 1)[0])
            return (f"operator:{fault.action}", (),
                    lambda: self.targets.operator_error(fault.action, detection, decision),
                    lambda: None)
        if kind == Faults.BACKUP_FAILURE:
            return (f"backup:{node.dataset}", (), self.targets.fail_backup, lambda: None)
        if kind == Faults.CLOCK_SKEW:
            skew = fault.skew_ms / 1000.0

            return scope, (), lambda: node.skew_clock(skew), lambda: node.skew_clock(-skew)
        if kind == Faults.REPLICATION_BREAK:
            return (f"stream:{node.name}", (),
                    lambda: _bump(node, "inbound_broken", 1),
                    lambda: _bump(node, "inbound_broken", -1))
        raise ValueError(f"unknown fault kind {kind!r}")  # pragma: no cover - spec validates


def _bump(node: Node, attribute: str, delta: int) -> None:
    """Nested fault counters; a replacement may have reset one already."""
    setattr(node, attribute, max(0, getattr(node, attribute) + delta))
