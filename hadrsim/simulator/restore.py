"""Recovery from logical corruption by point-in-time restore (PITR).

A bad write or delete replicates to every copy, so failover does not help:
someone must notice (detection delay), decide (decision delay), and restore the
dataset to just before the corruption into a *new* instance, then point the
clients at it (DNS or configuration change). The restore takes the fixed
restore time, a size-dependent part, and a log replay from the base snapshot
to the restore point at ``replay_speedup`` times real time. Without PITR the
restore goes back to the last snapshot, losing everything since.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hadrsim.simulator.policies import ColdStart
from hadrsim.simulator.records import corrupt_write_id
from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.backups import BackupCatalog
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.service import Service
    from hadrsim.simulator.world import World



class PointInTimeRestore:
    """Corrupt a dataset's observed keys, then recover it by PITR into a new instance."""

    def __init__(
        self,
        world: World,
        service: Service,
        catalog: BackupCatalog,
        *,
        restore: Sampler,
        size_s: float,
        replay_speedup: float,
        repoint: Sampler,
        new_node: Callable[[str, str | None], Node],
        new_group: Callable[[Node], ReplicationGroup],
        on_restored: Callable[[ReplicationGroup], None],
        keys: range,
        hydration_s: float = 0.0,
        cold_penalty: Sampler | None = None,
    ):
        self.world = world
        self.service = service
        self.catalog = catalog
        self.restore = restore
        self.size_s = size_s
        self.replay_speedup = replay_speedup
        self.repoint = repoint
        self.new_node = new_node
        self.new_group = new_group
        self.on_restored = on_restored
        self.keys = keys
        self.hydration_s = hydration_s
        self.cold_penalty = cold_penalty
        self._restores = 0
        self._down_since: float | None = None  # when the primary stopped answering
        world.on_change(self._watch_primary)

    def _watch_primary(self) -> None:
        # log archiving (and its copies) stops while the primary is down
        if self.service.group.primary.responsive:
            self._down_since = None
        elif self._down_since is None:
            self._down_since = self.world.now

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> None:
        """A bad write to every observed key, through the normal write path."""
        group = self.service.group
        if not group.primary.responsive:
            self.world.event(Ev.CORRUPTION_SKIPPED, group.primary.name, "primary down")
            return
        at = self.world.now
        for key in self.keys:
            group.commit(key, corrupt_write_id(fault_id, key), _ignore_reply)
        self.world.event(Ev.CORRUPTION_WRITTEN, group.primary.name, f"{len(self.keys)} keys")
        self.world.call_later(detection_s, self._detected, at, decision_s)

    def delete_instance(self, detection_s: float, decision_s: float) -> None:
        """Operator error: the instance is deleted without a final snapshot.

        Its storage and automated backups go with it; only manual snapshots (and
        nothing newer) can bring the data back, after someone notices and decides.
        """
        group = self.service.group
        for node in group.members():
            node.storage_lost = True
            node.crashed += 1
        self.catalog.automated_deleted = True
        self.world.event(Ev.INSTANCE_DELETED, group.primary.name, "no final snapshot")
        self.world.call_later(detection_s + decision_s, self.start_restore, self.world.now)

    def _detected(self, corrupted_at: float, decision_s: float) -> None:
        self.world.event(Ev.CORRUPTION_DETECTED, None, f"at t={corrupted_at:.3f}")
        self.world.call_later(decision_s, self._start, corrupted_at)

    def _start(self, corrupted_at: float) -> None:
        self.start_restore(corrupted_at - 1e-3)

    def start_restore(self, wanted: float, az: str | None = None,
                      copy_lag_s: float = 0.0) -> bool:
        """Restore to the point nearest ``wanted`` that the backups allow now.

        ``az`` places the new instance (default: the primary's AZ); backups copied
        to another Region are ``copy_lag_s`` behind (S6). False: nothing to restore.
        """
        now = self.world.now
        # archives are uploaded (and copied) only while the primary answers
        shipped = now - copy_lag_s
        if self._down_since is not None:
            shipped = min(shipped, self._down_since)
        choice = self.catalog.restore_point(self.service.group, wanted, shipped)
        if choice is None:
            self.world.event(Ev.RESTORE_IMPOSSIBLE, None, "no restore point")
            return False
        point, base, position = choice
        duration = self.restore() + self.size_s + max(0.0, point - base) / self.replay_speedup
        self.world.event(Ev.RESTORE_STARTED, None, f"to t={point:.3f}")
        self.world.call_later(duration, self._finish, position, point, az)
        return True

    def _finish(self, position, point: float, az: str | None = None) -> None:
        self._restores += 1
        old = self.service.group
        node = self.new_node(f"restored{self._restores}", az)
        timeline, lsn = position
        node.adopt(self.service.log.branch(timeline, lsn), lsn)
        if self.hydration_s > 0:
            node.reconfigure(cold_start=ColdStart(self.world.now + self.hydration_s,
                                                  self.cold_penalty))
            self.world.event(Ev.HYDRATION_STARTED, node.name, f"{self.hydration_s:.0f} s")
        group = self.new_group(node)
        old.fenced = True  # the corrupt instance is renamed away: its sessions end
        self.service.activate(group)
        self.service.add_node(node)
        self.on_restored(group)
        self.world.event(Ev.RESTORE_COMPLETED, node.name, f"to t={point:.3f}")
        after = self.repoint()
        self.service.writer.repoint([node], after_s=after)
        self.service.reader.repoint([node], after_s=after)
        self.world.changed()


class RestoreRunbook:
    """The DR tier "backup and restore": when the primary Region is lost, restore the
    replicated backups into the DR Region (an action for a DisasterRunbook)."""

    def __init__(self, restorer: PointInTimeRestore, az: str, copy_lag: Sampler):
        self.restorer = restorer
        self.az = az
        self.copy_lag = copy_lag

    def __call__(self) -> bool:
        now = self.restorer.world.now
        return self.restorer.start_restore(now, self.az, self.copy_lag())


def _ignore_reply(*_args) -> None:
    """The corrupting writer is not an observed client: its acknowledgements are unused."""
