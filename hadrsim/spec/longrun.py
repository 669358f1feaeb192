"""The ``longrun:`` block: defaults of the long-run view (``hadrsim longrun``).

The long-run view answers per-year questions (availability, downtime, SLA months,
lost writes) from an *episode library* of fault impacts measured by the full model
and a renewal Monte Carlo over many years. Everything here has a command-line
override; the costs turn expected downtime and loss into money next to the
monthly price.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hadrsim.spec.types import Integer, Name, Number


class LibrarySpec(BaseModel):
    """How many episodes of each fault class the library simulates.

    Episodes are run in rounds of ``min_episodes`` until the 95% interval of the
    class's mean client-observed downtime is within ``rel_precision`` of the mean
    (or within ``abs_precision_s``), at most ``max_episodes``: a class whose
    impact barely varies stops early, a heavy-tailed one runs longer.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    min_episodes: Integer = Field(10, ge=2, le=10_000, strict=True)
    max_episodes: Integer = Field(80, ge=2, le=100_000, strict=True)
    rel_precision: Number = Field(0.2, gt=0, le=1)
    abs_precision_s: Number = Field(1.0, ge=0)
    max_compound: Integer = Field(
        60, ge=1, le=10_000, strict=True,
        description="Overlapping-fault groups simulated in full (a random sample of "
        "those the Monte Carlo drew, at least one per combination of classes).")

    @model_validator(mode="after")
    def _max_not_below_min(self) -> LibrarySpec:
        if self.max_episodes < self.min_episodes:
            raise ValueError(f"max_episodes ({self.max_episodes}) must be >= min_episodes "
                             f"({self.min_episodes})")
        return self


class LongRunSpec(BaseModel):
    """Defaults for ``hadrsim longrun``; the command line overrides each."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    scenario: Name | None = Field(
        None, description="The scenario whose stochastic faults are the fault classes "
        "(default: the only scenario with stochastic faults).")
    years: Number = Field(10.0, gt=0, le=1000, description="Years per simulated history.")
    runs: Integer = Field(2000, ge=20, le=10_000_000, strict=True,
                          description="Independent histories of `years` years each.")
    sla_pct: Number | None = Field(
        None, gt=0, lt=100, description="Monthly uptime SLA in percent; default: the "
        "design's own AWS SLA (calibration 11).")
    downtime_cost_usd_per_min: Number | None = Field(None, ge=0)
    lost_write_cost_usd: Number | None = Field(None, ge=0)
    library: LibrarySpec = LibrarySpec()
