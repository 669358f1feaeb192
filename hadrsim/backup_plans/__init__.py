"""AWS Backup plans: specs, simulated backup and copy jobs, RPO, compliance controls.

::

    from hadrsim.backup_plans import backup_report
    report = backup_report(study)          # controls + RPO figures + job history
    report.passed, report.controls, report.rpo
    report.history.frames()["jobs"]        # tidy records as DataFrames

This package must not import :mod:`hadrsim.spec.study` at import time: the study
imports the plan specs from here.
"""

from hadrsim.backup_plans.audit import (
    CONTINUOUS_BACKUP,
    CONTROLS,
    CROSS_REGION_COPY,
    MIN_FREQUENCY_AND_RETENTION,
    POINT_MIN_RETENTION,
    PROTECTED_BY_PLAN,
    BackupReport,
    ControlResult,
    audit,
    backup_report,
)
from hadrsim.backup_plans.cron import Cron, CronError, parse_cron
from hadrsim.backup_plans.jobs import (
    BackupHistory,
    BackupJob,
    CopyJob,
    RecoveryPoint,
    home_region,
    simulate_backups,
)
from hadrsim.backup_plans.rpo import RpoFigures, plan_rpo, rpo_figures
from hadrsim.backup_plans.spec import (
    BackupAuditSettings,
    BackupPlanSpec,
    BackupRuleSpec,
    CopyActionSpec,
    LifecycleSpec,
    check_backup_plans,
)

__all__ = [
    "CONTINUOUS_BACKUP",
    "CONTROLS",
    "CROSS_REGION_COPY",
    "MIN_FREQUENCY_AND_RETENTION",
    "POINT_MIN_RETENTION",
    "PROTECTED_BY_PLAN",
    "BackupAuditSettings",
    "BackupHistory",
    "BackupJob",
    "BackupPlanSpec",
    "BackupReport",
    "BackupRuleSpec",
    "ControlResult",
    "CopyActionSpec",
    "CopyJob",
    "Cron",
    "CronError",
    "LifecycleSpec",
    "RecoveryPoint",
    "RpoFigures",
    "audit",
    "backup_report",
    "check_backup_plans",
    "home_region",
    "parse_cron",
    "plan_rpo",
    "rpo_figures",
    "simulate_backups",
]
