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

The same catalog answers an AWS Backup plan's RPO (:mod:`hadrsim.backup_plans.catalog`):
there PITR covers only ``[pitr_from_s, pitr_until_s)`` (a continuous recovery point's
life), job snapshots and copies are explicit points (:meth:`BackupCatalog.add_point`),
each restorable from its job's end until its lifecycle deletes it, and there is no data
log (``log=None``): a plan asks for times, never for a position.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hadrsim.simulator.log import Log, Timeline
    from hadrsim.simulator.replication import ReplicationGroup

_DAY = 86400.0


class BackupCatalog:
    """The restore points of one dataset."""

    def __init__(
        self,
        log: Log | None,
        *,
        archive_interval_s: float,
        archive_phase_s: float,
        retention_days: float,
        snapshot_at_s: float,
        snapshot_every_s: float = _DAY,
        manual_every_s: float | None = None,
        pitr_from_s: float = -math.inf,
        pitr_until_s: float = math.inf,
    ):
        self.log = log  # None: no data log, so no positions (a backup plan's catalog)
        self.archive_interval_s = archive_interval_s
        self.archive_phase_s = archive_phase_s
        self.retention_s = retention_days * _DAY
        self.snapshot_at_s = snapshot_at_s
        self.snapshot_every_s = snapshot_every_s
        self.failed_snapshots: set[int] = set()  # indices of daily snapshots that failed
        self.manual_every_s = manual_every_s  # manual snapshots (kept until deleted)
        self.automated_deleted = False  # deleting an instance deletes its automated backups
        self.pitr_from_s = pitr_from_s  # PITR (log archives) only while from <= now < until
        self.pitr_until_s = pitr_until_s
        # explicit points (a plan's job snapshots, copies): (point_s, available_s, expires_s)
        self._points: list[tuple[float, float, float]] = []

    @property
    def pitr_enabled(self) -> bool:
        return self.retention_s > 0 and not self.automated_deleted

    def pitr_active(self, now: float) -> bool:
        """PITR is possible at ``now``: enabled, and inside its coverage."""
        return self.pitr_enabled and self.pitr_from_s <= now < self.pitr_until_s

    def add_point(self, point_s: float, available_s: float, expires_s: float = math.inf) -> None:
        """An explicit recovery point: data as of ``point_s``, restorable [available, expires)."""
        if available_s < point_s:
            raise ValueError(f"a recovery point is available ({available_s}) before its data "
                             f"time ({point_s})")
        insort(self._points, (point_s, available_s, expires_s), key=lambda p: p[0])

    def newest_point(self, wanted: float, now: float) -> float | None:
        """The newest explicit point at or before ``wanted`` restorable at ``now`` (None: none)."""
        # newest first: the first one available and not yet expired is the answer
        for i in range(bisect_right(self._points, wanted, key=lambda p: p[0]) - 1, -1, -1):
            point, available, expires = self._points[i]
            if available <= now < expires:
                return point
        return None

    def last_manual_snapshot(self, before: float) -> float | None:
        if self.manual_every_s is None or before < self.manual_every_s:
            return None
        return math.floor(before / self.manual_every_s) * self.manual_every_s

    def latest_restorable_time(self, now: float) -> float:
        """The last log-archive upload at or before ``now`` (S5: every 5 minutes)."""
        k = math.floor((now - self.archive_phase_s) / self.archive_interval_s)
        return self.archive_phase_s + k * self.archive_interval_s

    def archive_times(self, start: float, end: float) -> list[float]:
        """The log archives in (start, end) while PITR is active: where the LRT moves."""
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"archive_times needs a finite window, not ({start}, {end})")
        lo, hi = max(start, self.pitr_from_s), min(end, self.pitr_until_s)
        if not (self.pitr_enabled and lo < hi):
            return []
        phase, interval = self.archive_phase_s, self.archive_interval_s
        k = math.floor((lo - phase) / interval)
        times = []
        t = phase + k * interval
        while t < hi:
            if t > start and t >= lo:
                times.append(t)
            k += 1
            t = phase + k * interval
        return times

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
        with the instance, or outside PITR coverage) only manual snapshots remain:
        the newest before ``wanted``. An explicit point restorable at ``now`` is
        taken whenever it is closer to ``wanted`` than either.
        """
        explicit = self.newest_point(wanted, now)
        if self.pitr_active(now):
            point = min(wanted, self.latest_restorable_time(now))
            if point >= now - self.retention_s and (explicit is None or point >= explicit):
                base = _newest(self.last_snapshot(point), self.newest_point(point, now))
                return point, (base if base is not None else 0.0)
        else:
            explicit = _newest(self.last_manual_snapshot(wanted), explicit)
        return None if explicit is None else (explicit, explicit)

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
        if self.log is None:
            raise ValueError("this BackupCatalog has no data log (log=None, e.g. a backup "
                             "plan's catalog): it answers restore times, not positions")
        position = group.position_at(at)
        return position if position is not None else (self.log.root, 0)


def _newest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else max(a, b)
