"""Failover: a managed controller (RDS-style) and an operator's promotion runbook.

:class:`FailoverController` watches the active primary from the control plane in
its Region (a Region outage takes the control plane too). On detection it
promotes the most advanced *in-sync* follower; with none, it replaces the failed
host. When the storage is gone it restores through the design's backups, by the
same rules as any restore (:meth:`BackupCatalog.restore_point`): with automated
backups off there is no restore point, the data is gone and the instance stays
down (``restore_impossible``). After a failover the old primary is replaced too
and rejoins as a follower, unless it was deleted (:meth:`fail_over_now`). With
``relocate`` set (shared storage that survives an AZ), a writer whose AZ is down
and that nobody replaced is recreated in another AZ of its Region after that
delay instead of waiting for the AZ.

:class:`PromotionRunbook` is the human (or script) path for asynchronous
replicas: paged on detection, it waits an operator delay, checks that the writer
is still down, promotes the most advanced replica into a new standalone group,
fences the old controller off and repoints the endpoints (DNS propagation
included). What this loses is whatever the replica had not received.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from hadrsim.simulator.detector import FailureDetector
from hadrsim.simulator.node import PROMOTING
from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.backups import BackupCatalog
    from hadrsim.simulator.log import Timeline
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.service import Service
    from hadrsim.simulator.world import World


def most_advanced(nodes: Iterable[Node]) -> Node | None:
    """The responsive node with the newest durable log (first one on ties)."""
    best = None
    for node in nodes:
        if node.responsive and (best is None or node.lsn > best.lsn):
            best = node
    return best


class FailoverController:
    """Managed automatic failover and host replacement for one group."""

    def __init__(
        self,
        world: World,
        net: Network,
        service: Service,
        group: ReplicationGroup,
        *,
        name: str,
        detection,
        promotion: Sampler | None,
        replace: Sampler | None,
        restore: Sampler,
        archive_interval_s: float,
        candidate: Callable[[ReplicationGroup], Node | None] | None = None,
        recovery_point: Callable[[], tuple[Timeline, int] | None] | None = None,
        observer: Callable[[], str] | None = None,
        confirm: Callable[[], bool] | None = None,
        backups: BackupCatalog | None = None,
        relocate: Sampler | None = None,
    ):
        """``candidate`` overrides whom to promote (default: the most advanced in-sync
        quorum follower); ``recovery_point`` gives the dataset's durable position
        for shared-storage designs, where the promoted node's own log is not the
        data (None from it means the storage cannot be read: no promotion);
        ``observer`` where the detector probes from; ``confirm`` a consensus vote
        (False: a majority still reaches the primary, so it is not replaced);
        ``relocate`` the time to recreate a host in another AZ when its own is down.
        """
        self.world = world
        self._confirm = confirm
        self._choose = candidate
        self._recovery_point = recovery_point
        self.net = net
        self.service = service
        self.group = group
        self.name = name
        self.promotion = promotion
        self.replace = replace
        self.restore = restore
        # the design's own backups (None: it has none); ``archive_interval_s`` is theirs
        self.backups = backups
        self.relocate = relocate
        self.active = True
        self.busy = False
        self._replacing: set[str] = set()
        self._relocating: set[str] = set()
        self.detector = FailureDetector(
            world, net, f"control/{name}",
            observer=observer or (lambda: self.group.primary.region),
            target=lambda: self.group.primary if self.active and not self.busy else None,
            on_down=self._on_down,
            interval_s=detection.interval_s,
            failure_threshold=detection.failure_threshold,
            timeout_s=detection.timeout_s,
        )

    def can_recover(self) -> bool:
        """Whether this controller is recovering, or could: its control plane is up and
        it is promoting, replacing a host, or has a follower to promote."""
        if not self.active or not self.net.is_up(self.detector.observer()):
            return False
        if self.busy or self._replacing:
            return True
        return self.promotion is not None and self._candidate() is not None

    def retire(self) -> None:
        """Stop acting: another controller now owns the endpoints (after DR)."""
        self.active = False
        self.detector.enabled = False

    def _on_down(self, node: Node) -> None:
        if not self.active or self.busy:
            return
        self.world.event(Ev.FAILURE_DETECTED, node.name, self.name)
        if self._confirm is not None and not self._confirm():
            self.world.event(Ev.FAILOVER_VETOED, node.name, "a majority still reaches it")
            self.detector.reset()
            return
        candidate = self._candidate() if self.promotion is not None else None
        if candidate is not None:
            self._promote(candidate)
        elif self.replace is not None:
            self._replace(node)

    def fail_over_now(self, why: str) -> bool:
        """A failover the control plane starts itself, with no detection delay (the
        writer instance is being deleted). False: nobody to promote."""
        if not self.active or self.busy or self.promotion is None:
            return False
        candidate = self._candidate()
        if candidate is None:
            return False
        self.world.event(Ev.FAILURE_DETECTED, self.group.primary.name, why)
        self._promote(candidate)
        return True

    def _candidate(self) -> Node | None:
        if self._choose is not None:
            return self._choose(self.group)
        return most_advanced(
            link.follower for link in self.group.links.values()
            if link.in_sync and link.counts_for_commit
        )

    def _promote(self, candidate: Node) -> None:
        if self.promotion is None:  # callers check first: a controller without one replaces
            raise RuntimeError(f"{self.name}: this controller does not promote")
        self.busy = True
        self.world.event(Ev.PROMOTION_STARTED, candidate.name, self.name)
        candidate.set_role(PROMOTING)
        self.world.call_later(self.promotion(), self._finish_promotion, candidate)

    def _finish_promotion(self, candidate: Node) -> None:
        self.busy = False
        if not self.active:
            return
        if not candidate.responsive:
            self.world.event(Ev.FAILOVER_ABORTED, candidate.name, "candidate failed")
            self.detector.reset()
            return
        old = self.group.primary
        if self._recovery_point is not None:
            point = self._recovery_point()
            if point is None:
                self.world.event(Ev.FAILOVER_ABORTED, candidate.name, "storage unreadable")
                self.detector.reset()
                return
            candidate.adopt(*point)
        timeline = self.service.log.branch(candidate.timeline, candidate.lsn)
        self.group.switch_primary(candidate, timeline)
        if old.deleted:
            self.group.remove(old)  # a deleted instance does not rejoin
        self.world.event(Ev.PROMOTION_COMPLETED, candidate.name, self.name)
        self.service.writer.repoint([candidate])
        self.service.reader.repoint(self.service.local_readers())
        self.detector.reset()
        self.world.changed()
        if not old.responsive and self.replace is not None:
            self._replace(old)

    # --- host replacement -----------------------------------------------------------
    def _replace(self, node: Node) -> None:
        if node.name in self._replacing or node.deleted:
            return
        self._replacing.add(node.name)
        self._start_replacement_when_possible(node)

    def _start_replacement_when_possible(self, node: Node) -> None:
        if not self.active:
            self._replacing.discard(node.name)
            return
        if node.responsive:
            self._replacing.discard(node.name)  # it came back by itself
            return
        if not (self.net.is_up(node.az) and self.net.is_up(node.region)):
            # the AZ (or Region) is down: wait for it, or recreate the writer elsewhere
            relocate = self.relocate
            if (relocate is not None and node is self.group.primary
                    and node.name not in self._relocating):
                self._relocating.add(node.name)
                self.world.call_later(relocate(), self._relocate, node)

            def retry() -> bool:
                self._start_replacement_when_possible(node)
                return True  # a one-shot wait

            self.world.on_change(retry)
            return
        restoring = node.storage_lost
        if restoring and not self._restorable(node):
            self._replacing.discard(node.name)
            self.world.event(Ev.RESTORE_IMPOSSIBLE, node.name,
                             "storage lost and no backup to restore from (automated "
                             "backups off): the data is gone")
            return
        self.world.event(Ev.RESTORE_STARTED if restoring else "replacement_started", node.name)
        duration = self.restore if restoring else self.replace
        if duration is None:  # _replace is only called with a replacement configured
            raise RuntimeError(f"{self.name}: no host replacement configured")
        self.world.call_later(duration(), self._finish_replacement, node, restoring)

    def _relocate(self, node: Node) -> None:
        """The writer is recreated in another AZ of its Region (its own is still down)."""
        self._relocating.discard(node.name)
        if not self.active or node.name not in self._replacing or node.responsive:
            return
        if node is not self.group.primary:
            return  # someone else writes now: this host waits for its AZ like any other
        if self.net.is_up(node.az) or not self.net.is_up(node.region):
            return  # its AZ is back (the normal replacement runs), or the Region is down
        elsewhere = next((az for az in self.net.azs_of(node.region) if self.net.is_up(az)),
                         None)
        if elsewhere is None:
            return
        self.world.event(Ev.INSTANCE_RELOCATED, node.name, f"{node.az} -> {elsewhere}")
        node.az = elsewhere
        self._finish_replacement(node, node.storage_lost)

    def _finish_replacement(self, node: Node, restoring: bool) -> None:
        self._replacing.discard(node.name)
        if not self.active:
            return
        node.crashed = 0
        node.hung = 0
        if restoring and self._recovery_point is None:
            node.storage_lost = False
            if node is self.group.primary:
                self._restore_from_archive(node)
            else:
                node.adopt(self.service.log.root, 0)  # empty: it resyncs from the primary
        elif self._recovery_point is not None and node is self.group.primary:
            # a new instance on the shared volume: it starts from the durable point
            node.storage_lost = False
            point = self._recovery_point()
            if point is not None:
                timeline, lsn = point
                node.adopt(self.service.log.branch(timeline, lsn), lsn)
        self.world.event(Ev.RESTORE_COMPLETED if restoring else "replacement_completed", node.name)
        self.service.reader.repoint(self.service.local_readers())
        self.detector.reset()
        self.world.changed()

    def _restorable(self, node: Node) -> bool:
        """Whether a node whose storage is lost can come back with the data.

        Shared storage and followers (refilled from the primary) always can; a
        primary's own volume only from a restore point of the design's backups.
        """
        if self._recovery_point is not None or node is not self.group.primary:
            return True
        return self._archive_point(node) is not None

    def _archive_point(self, node: Node):
        """The restore point nearest the loss: backups stopped when the storage died."""
        if self.backups is None:
            return None
        lost_at = node.storage_lost_at
        return self.backups.restore_point(self.group, lost_at, lost_at)

    def _restore_from_archive(self, node: Node) -> None:
        """Point-in-time restore to the last archived log position before the loss."""
        point, _base, (timeline, lsn) = self._archive_point(node)
        node.adopt(timeline, lsn)
        node.adopt(self.service.log.branch(timeline, lsn), lsn)
        self.world.event(Ev.RESTORED_TO, node.name, f"t={point:.3f} lsn {lsn}")


_RECHECK_S = 30.0


def dr_candidate(group: ReplicationGroup, names: Iterable[str]) -> Node | None:
    """The replica a DR promotion takes now: the most advanced responsive follower of
    ``group`` among ``names``. One decision for the runbook and the DNS failover
    record (its secondary asks :meth:`PromotionRunbook.target`), so clients are sent
    to the replica that is promoted, not to another, read-only one."""
    wanted = set(names)
    followers = (link.follower for link in group.links.values())
    return most_advanced(node for node in followers if node.name in wanted)


class DisasterRunbook:
    """An operator's (or a script's) DR runbook: paged when the writer is unreachable
    from another Region, it waits the operator delay, stands down if the writer is
    back, defers while the Region's own HA can still recover, and otherwise acts
    (:meth:`_act`: promote a replica, or restore from backups)."""

    def __init__(
        self,
        world: World,
        net: Network,
        service: Service,
        *,
        controller: FailoverController,
        observer_region: str,
        detection,
        operator_delay: Sampler | None,
        name: str = "operator",
    ):
        self.world = world
        self.net = net
        self.service = service
        self.controller = controller
        self.operator_delay = operator_delay
        self.done = False
        self.busy = False
        self.detector = FailureDetector(
            world, net, name,
            observer=lambda: observer_region,
            target=lambda: None if (self.done or self.busy) else service.group.primary,
            on_down=self._on_down,
            interval_s=detection.interval_s,
            failure_threshold=detection.failure_threshold,
            timeout_s=detection.timeout_s,
        )

    def retire(self) -> None:
        """Stop acting: the dataset it watched was replaced (a restore)."""
        self.done = True
        self.detector.enabled = False

    def _on_down(self, node: Node) -> None:
        if self.done or self.busy:
            return
        self.busy = True
        self.world.event(Ev.OPERATOR_PAGED, node.name)
        delay = self.operator_delay() if self.operator_delay is not None else 0.0
        self.world.call_later(delay, self._decide)

    def _decide(self) -> None:
        writer = self.service.group.primary
        if writer.responsive:
            self.world.event(Ev.FAILOVER_ABORTED, writer.name, "writer healthy again")
            self._stand_down()
            return
        if self.controller.can_recover():
            # the Region's own HA is at work: a DR runbook acts only when it cannot
            self.world.event(Ev.DR_DEFERRED, writer.name, "in-Region recovery under way")
            self.world.call_later(_RECHECK_S, self._decide)
            return
        self._act()

    def _act(self) -> None:  # pragma: no cover - subclasses act
        raise NotImplementedError

    def _stand_down(self) -> None:
        self.busy = False
        self.detector.reset()


class PromotionRunbook(DisasterRunbook):
    """Promote an asynchronous replica when the writer stays down (manual DR)."""

    def __init__(
        self,
        world: World,
        net: Network,
        service: Service,
        *,
        controller: FailoverController,
        observer_region: str,
        detection,
        operator_delay: Sampler | None,
        promotion: dict[str, Sampler],
        repoint: Sampler,
        new_controller: Callable[[ReplicationGroup], FailoverController],
        new_group: Callable[[Node], ReplicationGroup],
    ):
        super().__init__(world, net, service, controller=controller,
                         observer_region=observer_region, detection=detection,
                         operator_delay=operator_delay)
        self.promotion = promotion
        self.repoint = repoint
        self.new_controller = new_controller
        self.new_group = new_group
        self.chosen: Node | None = None  # the replica being (or last) promoted
        service.set_dr_target(self.target)

    def add_candidate(self, name: str, promotion: Sampler) -> None:
        """``name`` may be promoted from now on, taking ``promotion`` seconds (a
        switchover turned the old primary into a secondary)."""
        self.promotion[name] = promotion

    def _candidate(self) -> Node | None:
        return dr_candidate(self.service.group, self.promotion)

    def target(self) -> Node | None:
        """Where DR sends writers: the replica chosen for promotion once the runbook
        acted, else the one it would choose now."""
        return self.chosen if self.chosen is not None else self._candidate()

    def promote_now(self, candidate: Node) -> None:
        """Operator error: promote this replica now, whatever the writer's health."""
        if self.done or candidate.name not in self.promotion:
            return
        self.busy = True
        self._promote(candidate, "operator error")

    def _act(self) -> None:
        candidate = self._candidate()
        if candidate is None:
            self.world.event(Ev.FAILOVER_ABORTED, None, "no replica to promote")
            self._stand_down()
            return
        self._promote(candidate, "operator")

    def _promote(self, candidate: Node, why: str) -> None:
        self.chosen = candidate
        self.world.event(Ev.PROMOTION_STARTED, candidate.name, why)
        self.service.group.remove(candidate)
        candidate.set_role(PROMOTING)
        self.world.call_later(self.promotion[candidate.name](), self._finish, candidate)

    def _finish(self, candidate: Node) -> None:
        if not candidate.responsive:
            self.world.event(Ev.FAILOVER_ABORTED, candidate.name, "replica failed")
            self.chosen = None
            self._stand_down()
            return
        self.done = True
        self.detector.enabled = False
        candidate.adopt(self.service.log.branch(candidate.timeline, candidate.lsn), candidate.lsn)
        self.controller.retire()
        group = self.new_group(candidate)
        self.service.activate(group)
        self.new_controller(group)
        self.world.event(Ev.PROMOTION_COMPLETED, candidate.name, "operator")
        after = self.repoint()
        if self.service.front is None:
            # without DNS failover records the operator repoints the writer name;
            # with them, the record's health checks send clients to the replica
            self.service.writer.repoint([candidate], after_s=after)
        self.service.reader.repoint([candidate], after_s=after)
        self.world.changed()



class BackupRestoreRunbook(DisasterRunbook):
    """Restore from backups copied to another Region when the primary Region is lost."""

    def __init__(self, world: World, net: Network, service: Service, *,
                 controller: FailoverController, observer_region: str, detection,
                 operator_delay: Sampler | None, restore: Callable[[], bool]):
        super().__init__(world, net, service, controller=controller,
                         observer_region=observer_region, detection=detection,
                         operator_delay=operator_delay, name="operator/restore")
        self.restore = restore

    def _act(self) -> None:
        self.done = self.restore()
        if self.done:
            self.detector.enabled = False
        else:
            self._stand_down()
