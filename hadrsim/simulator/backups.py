"""Backups and point-in-time recovery: what can be restored, and to when.

RDS-style automated backups (S4, S5): a daily snapshot in a backup window and a
transaction-log archive every ``archive_interval_s`` (5 min), so the *latest
restorable time* (LRT) lags now by up to one interval; restores are possible
to any second between ``now - retention`` and the LRT. Retention 0 turns
automated backups off altogether (S4: "setting the backup retention period to 0
disables automated backups"): no daily snapshot and no log archive, so only
manual snapshots remain and a restore goes back to the last one, or is impossible.
Deleting an instance deletes its automated backups the same way.
Every restore, an operator's PITR or a controller's after storage loss, asks
:meth:`BackupCatalog.restore_point`: one set of rules for what can be restored.
Positions are read from the primary's commit history (``group.positions``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hadrsim.simulator.log import Log, Timeline
    from hadrsim.simulator.replication import ReplicationGroup

_DAY = 86400.0


class BackupCatalog:
    """The restore points of one dataset."""

    def __init__(
        self,
        log: Log,
        *,
        archive_interval_s: float,
        archive_phase_s: float,
        retention_days: float,
        snapshot_at_s: float,
        snapshot_every_s: float = _DAY,
        manual_every_s: float | None = None,
    ):
        self.log = log
        self.archive_interval_s = archive_interval_s
        self.archive_phase_s = archive_phase_s
        self.retention_s = retention_days * _DAY
        self.snapshot_at_s = snapshot_at_s
        self.snapshot_every_s = snapshot_every_s
        self.failed_snapshots: set[int] = set()  # indices of daily snapshots that failed
        self.manual_every_s = manual_every_s  # manual snapshots (kept until deleted)
        self.automated_deleted = False  # deleting an instance deletes its automated backups

    @property
    def pitr_enabled(self) -> bool:
        return self.retention_s > 0 and not self.automated_deleted

    def last_manual_snapshot(self, before: float) -> float | None:
        if self.manual_every_s is None or before < self.manual_every_s:
            return None
        return math.floor(before / self.manual_every_s) * self.manual_every_s

    def latest_restorable_time(self, now: float) -> float:
        """The last log-archive upload at or before ``now`` (S5: every 5 minutes)."""
        k = math.floor((now - self.archive_phase_s) / self.archive_interval_s)
        return self.archive_phase_s + k * self.archive_interval_s

    def last_snapshot(self, before: float) -> float | None:
        """Time of the newest successful snapshot at or before ``before`` (None: none)."""
        if before < self.snapshot_at_s:
            return None
        k = math.floor((before - self.snapshot_at_s) / self.snapshot_every_s)
        while k in self.failed_snapshots:
            k -= 1
        return None if k < 0 else self.snapshot_at_s + k * self.snapshot_every_s

    def fail_next_snapshot(self, after: float) -> float:
        """A backup job failure: the first snapshot due after ``after`` is not taken."""
        k = max(0, math.ceil((after - self.snapshot_at_s) / self.snapshot_every_s))
        self.failed_snapshots.add(k)
        return self.snapshot_at_s + k * self.snapshot_every_s

    def restore_time(self, wanted: float, now: float) -> tuple[float, float] | None:
        """``(restore point, base snapshot time)`` closest to ``wanted`` that ``now`` allows.

        With PITR: ``wanted`` clipped to [now - retention, LRT]; the base snapshot
        (from which the log is replayed) is the newest one before the point, or the
        start of the history. Without automated backups (retention 0, or deleted
        with the instance) only manual snapshots remain: the newest before ``wanted``.
        """
        if self.pitr_enabled:
            point = min(wanted, self.latest_restorable_time(now))
            if point < now - self.retention_s:
                return None
            base = self.last_snapshot(point)
            return point, (base if base is not None else 0.0)
        snapshot = self.last_manual_snapshot(wanted)
        return None if snapshot is None else (snapshot, snapshot)

    def restore_point(
        self, group: ReplicationGroup, wanted: float, shipped_until: float
    ) -> tuple[float, float, tuple[Timeline, int]] | None:
        """``(point, base snapshot time, position)`` of a restore aiming at ``wanted``.

        ``shipped_until``: backups newer than this never left the instance (the
        primary stopped answering, or its storage died) or were not yet copied.
        None: no restore point at all (the data is gone).
        """
        choice = self.restore_time(min(wanted, shipped_until), shipped_until)
        if choice is None:
            return None
        point, base = choice
        return point, base, self.position(group, point)

    def position(self, group: ReplicationGroup, at: float) -> tuple[Timeline, int]:
        """The dataset's committed position at time ``at`` (empty before any commit)."""
        position = group.position_at(at)
        return position if position is not None else (self.log.root, 0)
