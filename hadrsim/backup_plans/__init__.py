"""AWS Backup plans: simulated backup and copy jobs, RPO, compliance controls.

::

    from hadrsim.backup_plans import backup_report
    report = backup_report(study)          # controls + RPO figures + job history
    report.passed, report.controls, report.rpo
    report.history.frames()["jobs"]        # tidy records as DataFrames
    run_backups(World(seed, run, horizon_s), study)  # the jobs on a World you hold

The plan specs live in the spec layer (:mod:`hadrsim.spec.backup_plans`, with the cron
parser :mod:`hadrsim.spec.cron`) and are re-exported here. The jobs run on a
:class:`~hadrsim.simulator.world.World`, like every simulation (one engine).
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
from hadrsim.backup_plans.jobs import (
    BackupHistory,
    BackupJob,
    CopyJob,
    RecoveryPoint,
    home_region,
    run_backups,
    simulate_backups,
)
from hadrsim.backup_plans.rpo import RpoFigures, plan_rpo, rpo_figures
from hadrsim.spec.backup_plans import (
    BackupAuditSettings,
    BackupPlanSpec,
    BackupRuleSpec,
    CopyActionSpec,
    LifecycleSpec,
    check_backup_plans,
)
from hadrsim.spec.cron import Cron, CronError, parse_cron

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
    "run_backups",
    "simulate_backups",
]
