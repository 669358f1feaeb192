"""Compliance of a study's backup plans, in the spirit of AWS Backup Audit Manager (S24).

Each control gives PASS or FAIL with a one-line reason, per plan or per design:

- ``backup-plan-min-frequency-and-min-retention`` (per plan): the plan has a rule that
  backs up at least every ``min_frequency_h`` (the cron's longest gap; continuous backup
  counts as every archive interval) and keeps points ``min_retention_days`` or longer.
- ``backup-resources-protected-by-backup-plan`` (per design): a plan selects it.
- ``backup-recovery-point-minimum-retention`` (per design): every recovery point its
  plans make, copies included, is kept at least ``min_retention_days``.
- ``backup-resources-protected-by-cross-region`` (per design): a rule copies its points
  to a Region other than the design's home Region.
- ``backup-resources-protected-by-continuous-backup`` (per design): a rule has
  continuous backup (point-in-time recovery).

The controls read the plans, not the simulated jobs, as Audit Manager reads
configuration; the simulated jobs give the RPO figures (:mod:`hadrsim.backup_plans.rpo`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from hadrsim.backup_plans.jobs import BackupHistory, home_region, simulate_backups
from hadrsim.backup_plans.rpo import RpoFigures, plan_rpo
from hadrsim.spec.backup_plans import BackupAuditSettings, BackupPlanSpec, BackupRuleSpec

if TYPE_CHECKING:
    from hadrsim.spec.study import Study

MIN_FREQUENCY_AND_RETENTION = "backup-plan-min-frequency-and-min-retention"
PROTECTED_BY_PLAN = "backup-resources-protected-by-backup-plan"
POINT_MIN_RETENTION = "backup-recovery-point-minimum-retention"
CROSS_REGION_COPY = "backup-resources-protected-by-cross-region"
CONTINUOUS_BACKUP = "backup-resources-protected-by-continuous-backup"
CONTROLS = (MIN_FREQUENCY_AND_RETENTION, PROTECTED_BY_PLAN, POINT_MIN_RETENTION,
            CROSS_REGION_COPY, CONTINUOUS_BACKUP)


class ControlResult(NamedTuple):
    control: str
    resource: str  # a plan name (plan controls) or a design name
    passed: bool
    reason: str


class BackupReport(NamedTuple):
    """Controls, RPO figures and the simulated history behind them."""

    controls: list[ControlResult]
    rpo: list[RpoFigures]
    history: BackupHistory
    settings: BackupAuditSettings

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.controls)

    def to_dict(self) -> dict:
        """A JSON-ready document (infinite RPO stays ``inf``; strict writers make it null)."""
        return {
            "seed": self.history.seed,
            "run_index": self.history.run_index,
            "horizon_days": self.settings.horizon_days,
            "warmup_days": self.settings.warmup_days,
            "passed": self.passed,
            "controls": [c._asdict() for c in self.controls],
            "rpo": [r._asdict() for r in self.rpo],
        }


def audit(study: Study, settings: BackupAuditSettings | None = None) -> list[ControlResult]:
    """Every control on every plan (plan controls) and every design (resource controls)."""
    settings = settings or BackupAuditSettings()
    results = [_min_frequency_and_retention(plan, settings) for plan in study.backup_plans]
    for design in study.designs:
        plans = [p for p in study.backup_plans if design.name in p.selection]
        home = home_region(design)
        results += [
            _protected(design.name, plans),
            _point_retention(design.name, plans, settings),
            _cross_region(design.name, plans, home),
            _continuous(design, plans),
        ]
    return results


def backup_report(
    study: Study, settings: BackupAuditSettings | None = None, run_index: int = 0
) -> BackupReport:
    """Audit the plans and simulate their jobs for the RPO figures."""
    settings = settings or BackupAuditSettings()
    history = simulate_backups(study, settings, run_index)
    return BackupReport(audit(study, settings), plan_rpo(study, history, settings), history,
                        settings)


def _interval_s(rule: BackupRuleSpec, settings: BackupAuditSettings) -> float:
    if rule.continuous:
        return settings.archive_interval_s
    return rule.cron.max_interval_s(settings.epoch)


def _days(days: float | None) -> str:
    return "forever" if days is None or math.isinf(days) else f"{days:g} d"


def _every(seconds: float) -> str:
    if math.isinf(seconds):
        return "fires less than twice a year"
    return f"every {seconds / 3600:g} h" if seconds >= 3600 else f"every {seconds / 60:g} min"


def _min_frequency_and_retention(plan: BackupPlanSpec, s: BackupAuditSettings) -> ControlResult:
    described = []
    for rule in plan.rules:
        interval = _interval_s(rule, s)
        keep = rule.lifecycle.delete_after_days
        ok_freq = interval <= s.min_frequency_h * 3600.0 + 1e-6
        ok_keep = keep is None or keep >= s.min_retention_days
        text = f"rule {rule.name!r} {_every(interval)}, keeps {_days(keep)}"
        if ok_freq and ok_keep:
            return ControlResult(MIN_FREQUENCY_AND_RETENTION, plan.name, True, text)
        described.append(text)
    return ControlResult(
        MIN_FREQUENCY_AND_RETENTION, plan.name, False,
        f"no rule backs up at least every {s.min_frequency_h:g} h and keeps "
        f">= {s.min_retention_days:g} d: " + "; ".join(described),
    )


def _names(plans: list[BackupPlanSpec]) -> str:
    return ", ".join(repr(p.name) for p in plans)


def _protected(name: str, plans: list[BackupPlanSpec]) -> ControlResult:
    if plans:
        return ControlResult(PROTECTED_BY_PLAN, name, True, f"selected by plan {_names(plans)}")
    return ControlResult(PROTECTED_BY_PLAN, name, False, "no backup plan selects it")


def _point_retention(name: str, plans: list[BackupPlanSpec],
                     s: BackupAuditSettings) -> ControlResult:
    if not plans:
        return ControlResult(POINT_MIN_RETENTION, name, False, "no recovery points: in no plan")
    kept = []  # (days or inf, description)
    for plan in plans:
        for rule in plan.rules:
            where = f"plan {plan.name!r} rule {rule.name!r}"
            days = rule.lifecycle.delete_after_days
            kind = "continuous" if rule.continuous else "snapshots"
            kept.append((math.inf if days is None else days, f"{where}: {kind}"))
            for copy in rule.copy_to:
                days = copy.delete_after_days
                kept.append((math.inf if days is None else days, f"{where}: copy to {copy.region}"))
    days, where = min(kept, key=lambda k: k[0])
    if days >= s.min_retention_days:
        return ControlResult(POINT_MIN_RETENTION, name, True,
                             f"shortest retention {_days(days)}: {where}")
    return ControlResult(POINT_MIN_RETENTION, name, False,
                         f"{where} kept {_days(days)} < {s.min_retention_days:g} d")


def _cross_region(name: str, plans: list[BackupPlanSpec], home: str) -> ControlResult:
    if not plans:
        return ControlResult(CROSS_REGION_COPY, name, False, "no cross-Region copy: in no plan")
    for plan in plans:
        for rule in plan.rules:
            for copy in rule.copy_to:
                if copy.region != home:
                    return ControlResult(
                        CROSS_REGION_COPY, name, True,
                        f"plan {plan.name!r} rule {rule.name!r} copies to {copy.region}")
    return ControlResult(CROSS_REGION_COPY, name, False,
                         f"plan {_names(plans)} has no rule copying to a Region other than "
                         f"{home} (the design's Region)")


def _continuous(design, plans: list[BackupPlanSpec]) -> ControlResult:
    for plan in plans:
        for rule in plan.rules:
            if rule.continuous:
                return ControlResult(
                    CONTINUOUS_BACKUP, design.name, True,
                    f"plan {plan.name!r} rule {rule.name!r}: continuous backup, "
                    f"{_days(rule.lifecycle.delete_after_days)}")
    where = f"plan {_names(plans)} has no continuous rule" if plans else "in no plan"
    backups = getattr(design, "backups", None)
    if backups is not None and backups.retention_days > 0:
        where += (f" (RDS automated backups still give PITR for {backups.retention_days} d, "
                  "outside AWS Backup)")
    return ControlResult(CONTINUOUS_BACKUP, design.name, False, where)
