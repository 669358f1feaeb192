"""AWS Backup plans as validated specs: plans, rules, lifecycles, copy actions.

A plan has rules (when to back up, how long to keep, where to copy) and a resource
selection (here: design names of the study). Every default names its source in
``calibration.md`` section 9 (S23 BackupRule API, S23b continuous backup, S24 Audit
Manager controls); "ASM" marks an assumption. Units are in field names; AWS's own
minute and day fields keep AWS's units.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hadrsim.spec.cron import Cron, parse_cron
from hadrsim.spec.distributions import Dist, lognormal
from hadrsim.spec.types import Integer, Number

_CONFIG = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
# S23: a recovery point moved to cold storage stays there at least 90 days.
COLD_STORAGE_MIN_DAYS = 90
# S23b: continuous backups (PITR) are kept 1-35 days.
CONTINUOUS_MAX_DAYS = 35


class LifecycleSpec(BaseModel):
    """When a recovery point moves to cold storage and when it is deleted (None: never)."""

    model_config = _CONFIG

    move_to_cold_storage_after_days: Integer | None = Field(None, ge=1)  # S23: optional
    delete_after_days: Integer | None = Field(None, ge=1)  # S23: optional; None keeps forever

    @model_validator(mode="after")
    def _cold_storage_minimum(self) -> LifecycleSpec:
        cold, delete = self.move_to_cold_storage_after_days, self.delete_after_days
        if cold is not None and delete is not None and delete < cold + COLD_STORAGE_MIN_DAYS:
            raise ValueError(
                f"@delete_after_days: {delete} is less than move_to_cold_storage_after_days "
                f"+ {COLD_STORAGE_MIN_DAYS} ({cold + COLD_STORAGE_MIN_DAYS}): points stay in "
                f"cold storage at least {COLD_STORAGE_MIN_DAYS} days (AWS Backup rule)"
            )
        return self


class CopyActionSpec(BaseModel):
    """Copy each new recovery point to a vault in another Region and/or account."""

    model_config = _CONFIG

    region: str = Field(min_length=1)
    account: str | None = Field(None, pattern=r"^\d{12}$")  # None: this account
    delete_after_days: Integer | None = Field(None, ge=1)  # S23: copy lifecycle; None: forever
    # ASM: a cross-Region snapshot copy of a ~100 GB database, 30 min median, p99 4 h; no
    # published rate (calibration 1 gives 5-20 min only for RDS log replication, S6).
    copy_delay_s: Dist = lognormal(1800.0, 4 * 3600.0)
    # ASM: as for backup jobs, 1 in 100 copy jobs fails.
    failure_probability: Number = Field(0.01, ge=0, le=1)


class BackupRuleSpec(BaseModel):
    """One rule of a plan: schedule, windows, lifecycle, continuous flag, copies (S23)."""

    model_config = _CONFIG

    name: str = Field(min_length=1)
    schedule: str = Field(description="AWS cron, UTC: cron(Minutes Hours DoM Month DoW Year)")
    start_window_min: Integer = Field(480, ge=60)  # S23: 8 h default; at least 60 min
    # S23: 7 days (the console's default; inferred); counted from the job's start.
    completion_window_min: Integer = Field(10080, ge=60)
    lifecycle: LifecycleSpec = LifecycleSpec()
    continuous: bool = False  # S23/S23b: continuous backup = point-in-time recovery
    copy_to: list[CopyActionSpec] = Field(default_factory=list)
    # ASM: a snapshot of a ~100 GB database, 30 min median, p99 2 h (incremental after
    # the first; no published figure).
    duration_s: Dist = lognormal(1800.0, 7200.0)
    # ASM: 1 in 100 backup jobs fails (no published rate).
    failure_probability: Number = Field(0.01, ge=0, le=1)

    @field_validator("schedule")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_cron(value)  # raises CronError (a ValueError) with the field and the reason
        return value

    @model_validator(mode="after")
    def _continuous_retention(self) -> BackupRuleSpec:
        if not self.continuous:
            return self
        delete = self.lifecycle.delete_after_days
        if delete is None or delete > CONTINUOUS_MAX_DAYS:
            raise ValueError(
                f"@lifecycle.delete_after_days: continuous backup keeps 1-{CONTINUOUS_MAX_DAYS} "
                f"days; set delete_after_days <= {CONTINUOUS_MAX_DAYS} (got {delete})"
            )
        if self.lifecycle.move_to_cold_storage_after_days is not None:
            raise ValueError("@lifecycle.move_to_cold_storage_after_days: continuous backups "
                             "cannot move to cold storage")
        return self

    @property
    def cron(self) -> Cron:
        return parse_cron(self.schedule)


class BackupPlanSpec(BaseModel):
    """A plan: its rules and the designs it protects (its resource selection)."""

    model_config = _CONFIG

    name: str = Field(min_length=1)
    rules: list[BackupRuleSpec] = Field(min_length=1)
    selection: list[str] = Field(default_factory=list, description="Design names.")

    @model_validator(mode="after")
    def _rule_names_unique(self) -> BackupPlanSpec:
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                raise ValueError(f"@rules.{i}.name: {rule.name!r} is used twice in the plan")
            seen.add(rule.name)
        return self


class BackupAuditSettings(BaseModel):
    """How jobs are simulated and which thresholds the controls apply."""

    model_config = _CONFIG

    # S24: Audit Manager's "minimum frequency and minimum retention" defaults: 1 day, 35 d.
    min_frequency_h: Number = Field(24.0, gt=0)
    min_retention_days: Number = Field(35.0, gt=0)
    # ASM: a month of jobs; long enough for daily plans to reach steady state.
    horizon_days: Number = Field(30.0, gt=0)
    # ASM: RPO is measured after a warm-up longer than a weekly schedule's gap.
    warmup_days: Number = Field(8.0, ge=0)
    # S5: continuous backup (PITR) archives transaction logs every 5 min.
    archive_interval_s: Number = Field(300.0, gt=0)
    # ASM: simulated time 0 is midnight UTC on a Thursday; cron fields read this calendar.
    epoch: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> BackupAuditSettings:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(f"@warmup_days: {self.warmup_days} must be below horizon_days "
                             f"({self.horizon_days})")
        return self


def check_backup_plans(
    plans: list[BackupPlanSpec], designs: list[str], regions: list[str]
) -> list[str]:
    """Problems with the study's names: unique plan names, selections, copy Regions."""
    errors: list[str] = []
    seen: set[str] = set()
    for p, plan in enumerate(plans):
        path = f"backup_plans.{p}"
        if plan.name in seen:
            errors.append(f"{path}.name: {plan.name!r} is used twice; names must be unique")
        seen.add(plan.name)
        for s, name in enumerate(plan.selection):
            if name not in designs:
                errors.append(f"{path}.selection.{s}: unknown design {name!r}; designs: {designs}")
        for r, rule in enumerate(plan.rules):
            for c, copy in enumerate(rule.copy_to):
                if copy.region not in regions:
                    errors.append(f"{path}.rules.{r}.copy_to.{c}.region: unknown region "
                                  f"{copy.region!r}; known: {regions}")
    return errors
