"""Route 53 DNS failover spec with calibrated defaults (every figure names its source).

Sources are the keys of ../shared/calibration.md section 8: S19 how Route 53
decides an endpoint is healthy, S20 the HealthCheckConfig API, S21 failover
records, S22 the Route 53 FAQ. Defaults are AWS's own, so a design that says only
"Route 53 failover" gets the detection time AWS describes (§8, S19: checkers do not
coordinate, each needs ``failure_threshold`` consecutive failures, the endpoint is
unhealthy when <= 18% report healthy): (threshold - 1) x interval + the time until
> 82% of the checkers saw a first failure (~0.82 x interval with many checkers) +
the timeout, i.e. 64-94 s, mean ~87 s, at 30 s x 3 (24-34 s at 10 s x 3); then
propagation and the record TTL. The record names the writer endpoint, so an
in-Region failover costs that endpoint's TTL, not the record's.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hadrsim.spec.distributions import Dist, constant
from hadrsim.spec.types import Integer, Number


class Route53Spec(BaseModel):
    """A health-checked failover record pair: primary while healthy, else secondary."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    request_interval_s: Number = 30.0  # S19/S20: 30 s standard, 10 s "fast"; nothing else
    failure_threshold: Integer = Field(3, ge=1, le=10)  # S20: default 3, 1-10
    # S19/S20: None = checkers in every Region (here: every Region of the study);
    # when chosen, at least 3.
    checker_regions: list[str] | None = Field(None, min_length=3)
    healthy_fraction: Number = Field(0.18, ge=0, lt=1)  # S19: healthy if >18% of checkers say so
    timeout_s: Number = Field(4.0, gt=0)  # S19: HTTP(S) connect within 4 s
    ttl_s: Number = Field(60.0, ge=0)  # S21: failover-record TTL, <= 60 s advised
    propagation_s: Dist = constant(30.0)  # S22: changes reach all servers "within 60 seconds"

    @field_validator("request_interval_s")
    @classmethod
    def _standard_or_fast(cls, value: float) -> float:
        if value not in (10.0, 30.0):
            raise ValueError(f"must be 10 (fast) or 30 (standard), got {value:g}")
        return value

    @field_validator("checker_regions")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError(f"checker regions must be distinct, got {value}")
        return value

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> Route53Spec:
        if self.timeout_s > self.request_interval_s:
            raise ValueError(
                f"timeout_s ({self.timeout_s:g}) must not exceed "
                f"request_interval_s ({self.request_interval_s:g})"
            )
        return self
