"""What a simulated DMS task is given: its settings, each default with its source, and its
faults (:mod:`hadrsim.dms.simulate` runs it). A spec whose task could never finish (writes
faster than CDC applies: cutover waits for the lag to fall) is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hadrsim.dms.sizing import TableSize
from hadrsim.spec.distributions import LogNormal, lognormal


class TaskFailure(BaseModel):
    """The DMS task stops with an error at ``at_s`` and is resumed ``restart_s`` later."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    kind: Literal["task_failure"] = "task_failure"
    at_s: float = Field(ge=0)
    restart_s: float = Field(default=60.0, ge=0)  # ASM: error noticed, task resumed


class SourceOutage(BaseModel):
    """The source is unreachable for the task from ``at_s`` for ``duration_s``."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    kind: Literal["source_outage"] = "source_outage"
    at_s: float = Field(ge=0)
    duration_s: float = Field(gt=0)
    app_writes: bool = True  # False: the database itself is down, nobody writes


class DmsTaskSpec(BaseModel):
    """Every parameter of the simulated task, each default with its source."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # Full load. ASM: per-thread rate of a mid-size replication instance; DMS publishes none.
    throughput_mb_s: float = Field(default=10.0, gt=0)
    per_row_us: float = Field(default=10.0, ge=0)  # ASM: ~100k small rows/s per thread
    # DMS default MaxFullLoadSubTasks (task settings, full load; range 1-49).
    max_full_load_subtasks: int = Field(default=8, ge=1, le=49)
    # Source changes during the migration. ASM: a small shop's order database.
    write_rate_per_s: float = Field(default=50.0, ge=0)
    tick_s: float = Field(default=1.0, gt=0)
    # CDC. Calibration 10 (S25): median 2 s (ASM), lognormal tail to minutes.
    cdc_latency_s: LogNormal = lognormal(2.0, 120.0)
    cdc_latency_period_s: float = Field(default=60.0, gt=0)  # CloudWatch metric period
    cdc_apply_rate_per_s: float = Field(default=1000.0, gt=0)  # ASM: catch-up rate
    cdc_s: float = Field(default=600.0, ge=0)  # replicate this long before cutover
    # Cutover. Calibration 10: 3 min, 1-10 min (ASM: stop writes, drain lag, switch); the
    # switch is drawn and kept in a range that leaves room for the drain.
    cutover_switch_s: LogNormal = lognormal(170.0, 480.0)
    # ASM: writes are stopped once CDCLatencyTarget is this low, so the drain is short.
    cutover_max_lag_s: float = Field(default=10.0, gt=0)
    cutover_switch_range_s: tuple[float, float] = (55.0, 540.0)
    # Validation (S26): DMS's default is off; the lab validates, as ``hadrsim migrate`` does.
    validation: bool = True
    validation_threads: int = Field(default=5, ge=1)  # S26 ThreadCount
    validation_rows_per_s: float = Field(default=20_000.0, gt=0)  # ASM, per thread
    validation_failure_max_count: int = Field(default=10_000, ge=0)  # S26 FailureMaxCount
    validation_table_failure_max_count: int = Field(default=1_000, ge=0)  # S26
    faults: tuple[TaskFailure | SourceOutage, ...] = ()

    @model_validator(mode="after")
    def _range(self) -> DmsTaskSpec:
        low, high = self.cutover_switch_range_s
        if not 0 <= low <= high:
            raise ValueError(f"cutover_switch_range_s {self.cutover_switch_range_s}: "
                             "need 0 <= low <= high")
        if self.write_rate_per_s >= self.cdc_apply_rate_per_s:
            # The lag would only grow: cutover waits for it to fall, so the run would never end.
            raise ValueError(f"write_rate_per_s {self.write_rate_per_s:g} must be below "
                             f"cdc_apply_rate_per_s {self.cdc_apply_rate_per_s:g}: "
                             "CDC could never catch up, and cutover never come")
        return self

    def load_seconds(self, table: TableSize) -> float:
        """One table's full load on one thread, without faults."""
        return table.bytes / (self.throughput_mb_s * 1e6) + table.rows * self.per_row_us * 1e-6


__all__ = ["DmsTaskSpec", "SourceOutage", "TaskFailure"]
