"""The recovery points of one design, asked through the engine's one restore service.

Every restore in hadrsim asks :class:`~hadrsim.simulator.backups.BackupCatalog` what it
can reach (an operator's PITR after corruption, a controller's restore after storage
loss, the "backup and restore" DR runbook). A backup plan's RPO asks the same question
-- the newest point a restore started now could reach -- so it goes through the same
object: one ``BackupCatalog`` per Region the design's points are in, holding them all.
A continuous recovery point is the catalog's PITR over its life (log archives every
``archive_interval_s`` from its start); job snapshots and copies are explicit points,
each restorable from its job's end until its lifecycle deletes it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hadrsim.simulator.backups import BackupCatalog

if TYPE_CHECKING:
    from hadrsim.backup_plans.jobs import RecoveryPoint


class PlanCatalog:
    """What a restore started at any time could reach, from a set of recovery points."""

    def __init__(self, points: Iterable[RecoveryPoint], archive_interval_s: float):
        points = list(points)
        self._catalogs = _catalogs(points, archive_interval_s)
        # where a point becomes restorable or is deleted (a continuous point's start is
        # also its first archive)
        self._edges = sorted({t for p in points for t in (p.available_s, p.expires_s)
                              if t < math.inf})

    def latest_restorable_time(self, now: float) -> float | None:
        """The newest point in time a restore started at ``now`` reaches (None: nothing)."""
        best = None
        for catalog in self._catalogs:
            choice = catalog.restore_time(now, now)
            if choice is not None and (best is None or choice[0] > best):
                best = choice[0]
        return best

    def steps(self, start: float, end: float) -> list[float]:
        """``start``, ``end`` and every time between where the answer may change, sorted."""
        cuts = {start, end}
        cuts.update(t for t in self._edges if start < t < end)
        for catalog in self._catalogs:
            cuts.update(catalog.archive_times(start, end))
        return sorted(cuts)


def _catalogs(points: list[RecoveryPoint], archive_interval_s: float) -> list[BackupCatalog]:
    """One catalog per Region, holding its points; its continuous point is its PITR.

    A second continuous point in one Region (two plans with continuous rules on one
    design) archives on its own grid, so it gets a catalog of its own.
    """
    catalogs = []
    for region in dict.fromkeys(p.region for p in points):
        here = [p for p in points if p.region == region]
        continuous = [p for p in here if p.kind == "continuous"]
        catalog = _catalog(continuous[0] if continuous else None, archive_interval_s)
        for p in here:
            if p.kind != "continuous":
                catalog.add_point(p.point_s, p.available_s, p.expires_s)
        catalogs.append(catalog)
        catalogs.extend(_catalog(p, archive_interval_s) for p in continuous[1:])
    return catalogs


def _catalog(continuous: RecoveryPoint | None, archive_interval_s: float) -> BackupCatalog:
    """A catalog without a data log; PITR over ``continuous``'s life, or none at all."""
    if continuous is None:
        return BackupCatalog(None, archive_interval_s=archive_interval_s, archive_phase_s=0.0,
                             retention_days=0.0,  # no continuous backup: no PITR
                             snapshot_at_s=math.inf)
    return BackupCatalog(
        None,
        archive_interval_s=archive_interval_s,
        archive_phase_s=continuous.available_s,  # the first archive: coverage starts
        retention_days=math.inf,  # the point is deleted as a whole at its expiry
        snapshot_at_s=math.inf,  # no daily grid: base snapshots are the explicit points
        pitr_from_s=continuous.available_s,
        pitr_until_s=continuous.expires_s,
    )
