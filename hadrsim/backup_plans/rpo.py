"""What a backup plan means for RPO: data lost if disaster strikes at a random time.

RPO at time t = t - the newest point in time a restore can reach at t. Two disasters:

- **corruption** (a bad write or delete that replicates everywhere, so replicas do not
  help): every recovery point counts, local or copied. With continuous backup the newest
  restorable time is the last log archive (every ``archive_interval_s``, 5 min, S5);
  otherwise it is the newest completed snapshot.
- **region_loss** (the design's home Region is gone with its vault): only points in
  another Region count, that is copies, each restorable once its copy job ended.

Over the measured window (after a warm-up) the figures are the worst case (supremum of
the sawtooth t - newest(t)) and the mean (its time average: the expected loss for a
disaster at a uniformly random time). If some part of the window has no restorable
point at all, worst and mean are infinite and ``covered`` says which share had one.
newest(t) comes from :class:`~hadrsim.backup_plans.catalog.PlanCatalog`: every point,
continuous or not, sits in the engine's restore service (``BackupCatalog``), which every
restore asks; the times where newest(t) may move come from it too (``archive_times``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from hadrsim.backup_plans.catalog import PlanCatalog
from hadrsim.backup_plans.jobs import BackupHistory, RecoveryPoint, home_region
from hadrsim.spec.backup_plans import BackupAuditSettings

if TYPE_CHECKING:
    from hadrsim.spec.study import Study

SCENARIOS = ("corruption", "region_loss")
_DAY_S = 86400.0


class RpoFigures(NamedTuple):
    resource: str
    scenario: str  # corruption, region_loss
    worst_s: float  # inf: some time in the window had no restorable point
    mean_s: float
    covered: float  # share of the window with a restorable point


def restorable_points(
    points: list[RecoveryPoint], resource: str, scenario: str, home: str
) -> list[RecoveryPoint]:
    """The points of ``resource`` that survive ``scenario``."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; one of {SCENARIOS}")
    mine = [p for p in points if p.resource == resource]
    if scenario == "region_loss":
        mine = [p for p in mine if p.region != home]
    return mine


def rpo_figures(
    points: list[RecoveryPoint],
    resource: str,
    scenario: str,
    home: str,
    window: tuple[float, float],
    archive_interval_s: float = 300.0,
) -> RpoFigures:
    """Worst-case and mean RPO of ``resource`` under ``scenario`` over ``window``."""
    start, end = window
    catalog = PlanCatalog(restorable_points(points, resource, scenario, home),
                          archive_interval_s)
    worst, area, covered = 0.0, 0.0, 0.0
    edges = catalog.steps(start, end)
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        # the newest point is constant on [a, b); ask in the middle, clear of rounding
        newest = catalog.latest_restorable_time((a + b) / 2)
        if newest is None:
            worst = math.inf
            continue
        worst = max(worst, b - newest)
        area += ((b - newest) ** 2 - (a - newest) ** 2) / 2
        covered += b - a
    length = end - start
    share = covered / length if length > 0 else 0.0
    mean = area / covered if covered > 0 and share >= 1.0 - 1e-12 else math.inf
    return RpoFigures(resource, scenario, worst, mean, share)


def plan_rpo(
    study: Study, history: BackupHistory, settings: BackupAuditSettings | None = None
) -> list[RpoFigures]:
    """RPO figures of every design selected by a plan, under both scenarios."""
    settings = settings or BackupAuditSettings()
    window = (settings.warmup_days * _DAY_S, history.horizon_s)
    resources = sorted({r for plan in study.backup_plans for r in plan.selection})
    rows = []
    for resource in resources:
        home = home_region(study.design(resource))
        for scenario in SCENARIOS:
            rows.append(rpo_figures(history.points, resource, scenario, home, window,
                                    settings.archive_interval_s))
    return rows
