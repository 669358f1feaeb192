"""The recovery points of one design, asked through the engine's one restore service.

Every restore in hadrsim asks :class:`~hadrsim.simulator.backups.BackupCatalog` what it
can reach (an operator's PITR after corruption, a controller's restore after storage
loss, the "backup and restore" DR runbook). A backup plan's RPO asks the same question
-- the newest point a restore started now could reach -- so it goes through the same
object: a continuous backup (PITR) *is* a ``BackupCatalog`` here, log archives every
``archive_interval_s`` from its coverage start, and its ``restore_time`` rule says how
far back a restore reaches.

Snapshot and copy points made by plan jobs each have their own availability and expiry,
which ``BackupCatalog`` cannot hold yet (it knows a regular daily grid and manual
snapshots). :class:`PlanCatalog` keeps them beside it until ``BackupCatalog`` grows
explicit points (the change is described in issue 13's notes); then this adapter
becomes one ``BackupCatalog`` per design and scenario.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hadrsim.simulator.backups import BackupCatalog

if TYPE_CHECKING:
    from hadrsim.backup_plans.jobs import RecoveryPoint


class _Continuous:
    """One continuous recovery point: a PITR ``BackupCatalog`` over its coverage."""

    def __init__(self, point: RecoveryPoint, archive_interval_s: float):
        self.from_s, self.until_s = point.available_s, point.expires_s
        self.interval_s = archive_interval_s
        # No data log: plan RPO asks for times, never for a position to restore to.
        self.catalog = BackupCatalog(
            None,  # type: ignore[arg-type]
            archive_interval_s=archive_interval_s,
            archive_phase_s=point.available_s,  # the first archive: coverage starts
            retention_days=math.inf,  # the point is deleted as a whole at ``until_s``
            snapshot_at_s=math.inf,  # base snapshots do not change the reachable point
        )

    def newest(self, now: float) -> float | None:
        if not self.from_s <= now < self.until_s:
            return None
        choice = self.catalog.restore_time(now, now)
        return None if choice is None else choice[0]

    def steps(self, start: float, end: float) -> list[float]:
        """The archive times in (start, end), where ``newest`` moves, and the expiry."""
        # the catalog's grid: archive_phase_s + k * archive_interval_s
        k = max(0, math.floor((start - self.from_s) / self.interval_s))
        cuts = []
        t = self.from_s + k * self.interval_s
        while t < min(end, self.until_s):
            if t > start:
                cuts.append(t)
            k += 1
            t = self.from_s + k * self.interval_s
        if start < self.until_s < end:
            cuts.append(self.until_s)
        return cuts


class PlanCatalog:
    """What a restore started at any time could reach, from a set of recovery points."""

    def __init__(self, points: Iterable[RecoveryPoint], archive_interval_s: float):
        points = list(points)
        self._continuous = [_Continuous(p, archive_interval_s) for p in points
                            if p.kind == "continuous"]
        explicit = [(p.point_s, p.available_s, p.expires_s) for p in points
                    if p.kind != "continuous"]
        self._edges, self._newest = _newest_timeline(explicit)

    def latest_restorable_time(self, now: float) -> float | None:
        """The newest point in time a restore started at ``now`` reaches (None: nothing)."""
        i = bisect_right(self._edges, now) - 1
        best = self._newest[i] if i >= 0 else None
        for pitr in self._continuous:
            t = pitr.newest(now)
            if t is not None and (best is None or t > best):
                best = t
        return best

    def steps(self, start: float, end: float) -> list[float]:
        """``start``, ``end`` and every time between where the answer may change, sorted."""
        cuts = {start, end}
        cuts.update(t for t in self._edges if start < t < end)
        for pitr in self._continuous:
            cuts.update(pitr.steps(start, end))
        return sorted(cuts)


def _newest_timeline(
    points: list[tuple[float, float, float]],
) -> tuple[list[float], list[float | None]]:
    """Piecewise-constant newest ``point_s`` among points available and not expired.

    ``(point_s, available_s, expires_s)`` in; out ``edges`` and ``newest`` such that
    on ``[edges[i], edges[i+1])`` the newest restorable point is ``newest[i]``.
    """
    edges = sorted({a for _, a, _ in points} | {x for _, _, x in points if x < math.inf})
    by_available = sorted(points, key=lambda p: p[1])
    heap: list[tuple[float, float]] = []  # (-point_s, expires_s): newest on top
    newest: list[float | None] = []
    i = 0
    for t in edges:
        while i < len(by_available) and by_available[i][1] <= t:
            heapq.heappush(heap, (-by_available[i][0], by_available[i][2]))
            i += 1
        while heap and heap[0][1] <= t:
            heapq.heappop(heap)
        newest.append(-heap[0][0] if heap else None)
    return edges, newest
