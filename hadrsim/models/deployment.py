"""A built design: its nodes and service, and the names faults use for its parts."""

from __future__ import annotations

from dataclasses import dataclass, field

from hadrsim.simulator.node import Node
from hadrsim.simulator.restore import PointInTimeRestore
from hadrsim.simulator.service import Service
from hadrsim.simulator.switchover import PlannedSwitchover


@dataclass
class Deployment:
    """What a model builder returns; implements the fault injector's ``Targets``."""

    service: Service
    nodes: dict[str, Node]
    controllers: list = field(default_factory=list)  # each has retire()
    dns_records: list = field(default_factory=list)  # Route 53 records: outlive restores
    switchover: PlannedSwitchover | None = None
    pitr: PointInTimeRestore | None = None

    def can_corrupt(self) -> bool:
        return self.pitr is not None

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> bool:
        """Logical corruption of the dataset, recovered by PITR when the design can."""
        if self.pitr is None:
            return False
        self.pitr.corrupt(fault_id, detection_s, decision_s)
        return True

    def operator_error(self, action: str, detection_s: float, decision_s: float) -> bool:
        """Operator errors: delete the instance, or promote the wrong replica."""
        if action == "delete_instance" and self.pitr is not None:
            self.retire_controllers()  # a deleted instance is not replaced by RDS
            self.pitr.delete_instance(detection_s, decision_s)
            return True
        if action == "promote_wrong_replica":
            runbook = next((c for c in self.controllers if hasattr(c, "promote_now")), None)
            replica = self._replica()
            if runbook is not None and replica is not None:
                runbook.promote_now(replica)
                return True
        self.service.world.event("fault_skipped", None, f"operator_error {action}")
        return False

    def fail_backup(self) -> bool:
        """A failed backup job: the next daily snapshot is not taken."""
        if self.pitr is None:
            return False
        at = self.pitr.catalog.fail_next_snapshot(self.service.world.now)
        self.service.world.event("backup_failed", None, f"snapshot due at t={at:.0f}")
        return True

    def retire_controllers(self) -> None:
        """Stop every controller (a restore replaced the dataset they managed)."""
        for controller in self.controllers:
            controller.retire()

    def switch_over(self, region: str) -> bool:
        """Start a planned switchover to the follower in ``region``; False if none."""
        if self.switchover is None:
            return False
        for link in self.service.group.links.values():
            if link.follower.region == region and link.config.rpo_secondary:
                self.switchover.start(link.follower)
                return True
        return False

    def _standby(self) -> Node | None:
        for link in self.service.group.links.values():
            if link.counts_for_commit:
                return link.follower
        return None

    def _replica(self) -> Node | None:
        """The DR copy if there is one: a global secondary, then a cross-Region
        asynchronous replica, then any asynchronous or readable follower."""
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
