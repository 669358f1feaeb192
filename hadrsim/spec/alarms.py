"""CloudWatch-style alarms a study declares (``alarms:``); evaluated by
:mod:`hadrsim.experiments.monitoring` over the recorded metric series."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hadrsim.spec.types import Integer, Number

__all__ = ["AlarmSpec", "MetricName"]

MetricName = Literal[
    "write_error_rate", "read_error_rate", "commit_latency_p99_ms", "write_availability",
    "replica_lag_s",
]
class AlarmSpec(BaseModel):
    """A CloudWatch metric alarm on one of the series above."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    metric: MetricName
    threshold: Number
    comparison: Literal["GreaterThanThreshold", "GreaterThanOrEqualToThreshold",
                        "LessThanThreshold", "LessThanOrEqualToThreshold"] = (
        "GreaterThanThreshold")
    period_s: Number = Field(60.0, gt=0)  # CloudWatch standard resolution: 60 s
    evaluation_periods: Integer = Field(1, ge=1)
    datapoints_to_alarm: Integer | None = Field(None, ge=1)
    treat_missing_data: Literal["missing", "breaching", "notBreaching", "ignore"] = "missing"
