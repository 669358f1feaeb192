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

if TYPE_CHECKING:
    from hadrsim.simulator.backups import BackupCatalog
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.service import Service
    from hadrsim.simulator.world import World

CORRUPT_BASE = 1_000_000  # corrupt values are negative ids: -(fault id x base + key)


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
        new_node: Callable[[str], Node],
        new_group: Callable[[Node], ReplicationGroup],
        on_restored: Callable[[ReplicationGroup], None],
        keys: range,
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
        self._restores = 0

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> None:
        """A bad write to every observed key, through the normal write path."""
        group = self.service.group
        if not group.primary.responsive:
            self.world.event("corruption_skipped", group.primary.name, "primary down")
            return
        at = self.world.now
        for key in self.keys:
            group.commit(key, -(fault_id * CORRUPT_BASE + key), _ignore_reply)
        self.world.event("corruption_written", group.primary.name, f"{len(self.keys)} keys")
        self.world.call_later(detection_s, self._detected, at, decision_s)

    def _detected(self, corrupted_at: float, decision_s: float) -> None:
        self.world.event("corruption_detected", None, f"at t={corrupted_at:.3f}")
        self.world.call_later(decision_s, self._start, corrupted_at)

    def _start(self, corrupted_at: float) -> None:
        now = self.world.now
        choice = self.catalog.restore_time(corrupted_at - 1e-3, now)
        if choice is None:
            self.world.event("restore_impossible", None, "no restore point before the fault")
            return
        point, base = choice
        position = self.catalog.position(self.service.group, point)
        duration = self.restore() + self.size_s + max(0.0, point - base) / self.replay_speedup
        self.world.event("restore_started", None, f"to t={point:.3f}")
        self.world.call_later(duration, self._finish, position, point)

    def _finish(self, position, point: float) -> None:
        self._restores += 1
        old = self.service.group
        node = self.new_node(f"restored{self._restores}")
        timeline, lsn = position
        node.adopt(self.service.log.branch(timeline, lsn), lsn)
        group = self.new_group(node)
        old.fenced = True  # the corrupt instance is renamed away: its sessions end
        self.service.group = group
        self.service.nodes[node.name] = node
        self.on_restored(group)
        self.world.event("restore_completed", node.name, f"to t={point:.3f}")
        after = self.repoint()
        self.service.writer.repoint([node], after_s=after)
        self.service.reader.repoint([node], after_s=after)
        self.world.changed()


def _ignore_reply(*_args) -> None:
    """The corrupting writer is not an observed client: its acknowledgements are unused."""
