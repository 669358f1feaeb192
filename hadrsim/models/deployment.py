"""A built design: its nodes and service, and the names faults use for its parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hadrsim.simulator.failover import PromotionRunbook
from hadrsim.simulator.multileader import MultiActiveService
from hadrsim.simulator.node import Node
from hadrsim.simulator.restore import PointInTimeRestore
from hadrsim.simulator.service import Service
from hadrsim.simulator.switchover import PlannedSwitchover
from hadrsim.simulator.vocabulary import Ev
from hadrsim.spec.applicability import not_applicable
from hadrsim.spec.faults import Faults


@dataclass
class Deployment:
    """What a model builder returns; implements the fault injector's ``Targets``.

    Applicability is decided before a fault is recorded (:meth:`not_applicable`):
    the static rule of :mod:`hadrsim.spec.applicability` on the design's spec,
    then what only the running state can tell (no standby left after a restore).
    Once a fault is accepted, the actions below always act.
    """

    service: Service | MultiActiveService[Any]  # multi-active: no single-writer group
    nodes: dict[str, Node]
    controllers: list = field(default_factory=list)  # each has retire()
    dns_records: list = field(default_factory=list)  # Route 53 records: outlive restores
    switchover: PlannedSwitchover | None = None
    pitr: PointInTimeRestore | None = None
    design: Any = None  # the design spec (set by build_design): static applicability
    # operator_error action -> handler(detection_s, decision_s); a model may add or replace one
    operator_actions: dict[str, Callable[[float, float], None]] = field(default_factory=dict)

    def add_operator_action(self, action: str,
                            handler: Callable[[float, float], None]) -> None:
        """Handle operator error ``action`` with ``handler(detection_s, decision_s)``."""
        self.operator_actions[action] = handler

    def not_applicable(self, fault) -> str | None:
        """Why ``fault`` cannot apply to this design now (None: it applies)."""
        if self.design is not None:
            decline = not_applicable(self.design, fault)
            if decline is not None:
                return decline.reason
        return self._declines_now(fault)

    def _declines_now(self, fault) -> str | None:
        kind = fault.kind
        if kind == Faults.SWITCHOVER and self.switchover is None:
            return "no global database to switch over"
        if kind == Faults.OPERATOR_ERROR:
            if fault.action not in self._operator_handlers():
                return f"no {fault.action.replace('_', ' ')} in this design"
            if fault.action == "promote_wrong_replica" and self._runbook() is None:
                return "no replica to promote (no promotion runbook)"
            if fault.action == "promote_wrong_replica" and self._replica() is None:
                return "no replica to promote"
        if kind == Faults.BACKUP_FAILURE and self.pitr is None:
            return "no automated backups"
        if kind == Faults.LOGICAL_CORRUPTION and self.pitr is None:
            return "no data store to corrupt"
        return None

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> None:
        """Logical corruption of the dataset, then PITR when a restore point exists."""
        self.pitr.corrupt(fault_id, detection_s, decision_s)

    def operator_error(self, action: str, detection_s: float, decision_s: float) -> None:
        """Operator errors: dispatched by action (see :meth:`_operator_handlers`)."""
        self._operator_handlers()[action](detection_s, decision_s)

    def _operator_handlers(self) -> dict[str, Callable[[float, float], None]]:
        handlers: dict[str, Callable[[float, float], None]] = {
            "promote_wrong_replica": self._promote_wrong_replica,
        }
        if self.pitr is not None:
            handlers["delete_instance"] = self._delete_instance
        return {**handlers, **self.operator_actions}

    def _delete_instance(self, detection_s: float, decision_s: float) -> None:
        self.retire_controllers()  # a deleted instance is not replaced by RDS
        self.pitr.delete_instance(detection_s, decision_s)

    def _promote_wrong_replica(self, _detection_s: float, _decision_s: float) -> None:
        self._runbook().promote_now(self._replica())

    def _runbook(self):
        return next((c for c in self.controllers if isinstance(c, PromotionRunbook)), None)

    def fail_backup(self) -> None:
        """A failed backup job: the next daily snapshot is not taken."""
        at = self.pitr.catalog.fail_next_snapshot(self.service.world.now)
        self.service.world.event(Ev.BACKUP_FAILED, None, f"snapshot due at t={at:.0f}")

    def retire_controllers(self) -> None:
        """Stop every controller (a restore replaced the dataset they managed)."""
        for controller in self.controllers:
            controller.retire()

    def switchover_target(self, region: str) -> Node | None:
        """The global secondary in ``region`` a planned switchover would promote."""
        if self.switchover is None or self.service.group is None:
            return None
        for link in self.service.group.links.values():
            if link.follower.region == region and link.config.rpo_secondary:
                return link.follower
        return None

    def switch_over(self, target: Node) -> None:
        """Start a planned switchover to ``target`` (see :meth:`switchover_target`)."""
        self.switchover.start(target)

    def _standby(self) -> Node | None:
        for link in self.service.group.links.values():
            if link.counts_for_commit:
                return link.follower
        return None

    def _replica(self) -> Node | None:
        """The DR copy if there is one: a global secondary, then a cross-Region
        asynchronous replica, then any asynchronous or readable follower."""
        if self.service.group is None:
            return None  # a multi-active table: no single writer, no follower
        followers = list(self.service.group.links.values())
        region = self.service.group.primary.region
        for wanted in (
            lambda link: link.config.rpo_secondary,
            lambda link: link.config.mode == "async" and link.follower.region != region,
            lambda link: link.config.mode == "async",
            lambda link: link.follower.readable,
        ):
            for link in followers:
                if wanted(link):
                    return link.follower
        return None

    def node(self, target: str, kind: str | None = None) -> Node | None:
        if target == "primary":
            return self.service.group.primary
        if target == "standby":
            return self._standby()
        if target == "replica":
            return self._replica()
        if target.startswith("node:"):
            return self.nodes.get(target.removeprefix("node:"))
        return None

    def place(self, target: str) -> str | None:
        symbolic = {
            "primary_az": lambda: self.service.group.primary.az,
            "primary_region": lambda: self.service.group.primary.region,
            "standby_az": lambda: (n := self._standby()) and n.az,
            "replica_az": lambda: (n := self._replica()) and n.az,
            "replica_region": lambda: (n := self._replica()) and n.region,
            "secondary_region": lambda: (n := self._replica()) and n.region,
        }
        if target in symbolic:
            return symbolic[target]() or None
        return target
