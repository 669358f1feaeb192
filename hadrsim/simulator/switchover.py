"""A planned switchover: move the writer to a follower without losing anything.

As Aurora Global Database's managed switchover does (S15): writes are fenced on
the old primary, the target catches up on every committed write, and only then
is it promoted; the old primary follows the new one. Clients see a brief
outage (the fence, the promotion, the DNS change) and no data loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hadrsim.simulator.node import PROMOTING
from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.service import Service
    from hadrsim.simulator.world import World

_POLL_S = 0.05


class PlannedSwitchover:
    """Fence, drain, promote, follow: one switchover to ``target``."""

    def __init__(
        self,
        world: World,
        service: Service,
        *,
        promotion: Sampler,
        new_group: Callable[[Node], ReplicationGroup],
        on_promoted: Callable[[ReplicationGroup, ReplicationGroup], None],
        timeout_s: float = 600.0,
    ):
        self.world = world
        self.service = service
        self.promotion = promotion
        self.new_group = new_group
        self.on_promoted = on_promoted
        self.timeout_s = timeout_s

    def start(self, target: Node) -> None:
        group = self.service.group
        if target.group is not group or target is group.primary:
            self.world.event(Ev.SWITCHOVER_SKIPPED, target.name, "not a follower of the writer")
            return
        self.world.event(Ev.SWITCHOVER_STARTED, target.name)
        group.fenced = True  # the old primary refuses new writes from now on
        self._wait(group, target, self.world.now + self.timeout_s)

    def _wait(self, group: ReplicationGroup, target: Node, give_up_at: float) -> None:
        primary = group.primary
        caught_up = target.timeline is primary.timeline and target.lsn >= primary.lsn
        if caught_up and not group.has_pending():
            self.world.event(Ev.PROMOTION_STARTED, target.name, "switchover")
            group.remove(target)
            target.set_role(PROMOTING)
            self.world.call_later(self.promotion(), self._finish, group, target)
        elif self.world.now >= give_up_at or not target.responsive:
            group.fenced = False
            self.world.event(Ev.SWITCHOVER_ABORTED, target.name, "target did not catch up")
        else:
            self.world.call_later(_POLL_S, self._wait, group, target, give_up_at)

    def _finish(self, old: ReplicationGroup, target: Node) -> None:
        target.adopt(self.service.log.branch(target.timeline, target.lsn), target.lsn)
        group = self.new_group(target)
        self.service.activate(group)
        old.fenced = False
        self.on_promoted(old, group)
        self.world.event(Ev.PROMOTION_COMPLETED, target.name, "switchover")
        self.world.event(Ev.SWITCHOVER_COMPLETED, target.name)
        self.world.changed()
