"""Fault scenarios: what breaks, where, when and for how long.

Targets name roles and places symbolically so that one scenario applies to every
design: node faults take ``primary``, ``standby``, ``replica`` (first readable or
async follower) or ``node:NAME``; AZ outages take ``primary_az``, ``standby_az``
or an AZ name; Region outages ``primary_region``, ``replica_region`` or a Region
name; partitions and added latency take ``between: [A, B]`` of such places.
``switchover`` is a planned operation, not a fault: a managed switchover of a
global database to the secondary in ``target`` (``secondary_region`` or a name).
A stochastic class is a renewal process: after each repair the time to the next
failure is drawn from ``mttf_h`` and the repair time from ``mttr_h``. A plain number
for ``mttf_h`` is the mean of an exponential (as it always was: a constant time to
failure must be written ``{dist: constant, value: ...}``); a mapping is any family of
:mod:`hadrsim.spec.distributions`. The target is resolved when each fault arrives (the
primary then, not the primary at the start). A scheduled fault's ``duration_s`` is a
number of seconds or a distribution drawn once per run.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hadrsim.spec.distributions import (
    Dist,
    Distribution,
    DurationOrDist,
    MeanOrDist,
    exponential,
    lognormal,
)
from hadrsim.spec.types import Name, Number

FaultKind = Literal[
    "instance_crash",
    "instance_hang",
    "storage_loss",
    "az_outage",
    "region_outage",
    "network_partition",
    "added_latency",
    "replication_break",
    "switchover",
    "clock_skew",
    "logical_corruption",
    "backup_failure",
    "operator_error",
]
DisruptionClass = Literal["Software", "Hardware", "AZ", "Region"]


class Faults:
    """The fault kinds as names for code (``fault.kind == Faults.SWITCHOVER``): one
    spelling for the spec, the injector, applicability, checkers and exports."""

    INSTANCE_CRASH: Final = "instance_crash"
    INSTANCE_HANG: Final = "instance_hang"
    STORAGE_LOSS: Final = "storage_loss"
    AZ_OUTAGE: Final = "az_outage"
    REGION_OUTAGE: Final = "region_outage"
    NETWORK_PARTITION: Final = "network_partition"
    ADDED_LATENCY: Final = "added_latency"
    REPLICATION_BREAK: Final = "replication_break"
    SWITCHOVER: Final = "switchover"
    CLOCK_SKEW: Final = "clock_skew"
    LOGICAL_CORRUPTION: Final = "logical_corruption"
    BACKUP_FAILURE: Final = "backup_failure"
    OPERATOR_ERROR: Final = "operator_error"

NODE_FAULTS = {
    "instance_crash", "instance_hang", "storage_loss", "replication_break", "clock_skew",
    "logical_corruption", "backup_failure", "operator_error",
}
PATH_FAULTS = {Faults.NETWORK_PARTITION, Faults.ADDED_LATENCY}

# Resilience Hub's disruption classes, the default for each fault kind.
DEFAULT_DISRUPTION: dict[str, str] = {
    "instance_crash": "Hardware",
    "instance_hang": "Software",
    "storage_loss": "Hardware",
    "az_outage": "AZ",
    "region_outage": "Region",
    "network_partition": "AZ",
    "added_latency": "Software",
    "replication_break": "Software",
    "switchover": "Region",
    "clock_skew": "Software",
    "logical_corruption": "Software",
    "backup_failure": "Software",
    "operator_error": "Software",
}
NODE_TARGETS = ("primary", "standby", "replica")
AZ_TARGETS = ("primary_az", "standby_az", "replica_az")
REGION_TARGETS = ("primary_region", "replica_region", "secondary_region")


class _FaultBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: FaultKind
    target: str | None = Field(None, description="What fails; see the module docstring.")
    between: list[str] | None = Field(None, min_length=2, max_length=2)
    one_way: bool = Field(False, description="Partition only traffic from between[0].")
    latency_ms: Number = Field(0.0, ge=0, description="added_latency: extra one-way delay.")
    loss: Number = Field(0.0, ge=0, le=1, description="added_latency: packet loss probability.")
    skew_ms: Number = Field(0.0, description="clock_skew: how far the node's clock runs ahead.")
    # ASM (no published figure): someone notices bad data in ~30 min, decides in ~15.
    detection_s: Dist = Field(lognormal(1800.0, 14400.0),
                              description="logical_corruption: time until it is noticed.")
    action: Literal["delete_instance", "promote_wrong_replica"] = Field(
        "delete_instance", description="operator_error: what the operator got wrong.")
    decision_s: Dist = Field(lognormal(900.0, 3600.0),
                             description="logical_corruption: time to decide to restore.")
    disruption: DisruptionClass | None = None

    @model_validator(mode="after")
    def _target_fits_kind(self) -> _FaultBase:
        if self.kind in PATH_FAULTS:
            if self.between is None:
                raise ValueError(f"@between: required for {self.kind}: between: [A, B] "
                                 "(regions, AZs, primary_az, standby_az, primary_region, ...)")
            if self.target is not None:
                raise ValueError(f"@target: {self.kind} takes between: [A, B], not a target")
            return self
        if self.between is not None:
            raise ValueError(f"@between: only for {sorted(PATH_FAULTS)}, not {self.kind}")
        target = self.target or _default_target(self.kind)
        object.__setattr__(self, "target", target)
        if self.kind in NODE_FAULTS:
            ok = target in NODE_TARGETS or target.startswith("node:")
            allowed = f"one of {list(NODE_TARGETS)} or node:NAME"
        elif self.kind == Faults.AZ_OUTAGE:
            ok = not target.startswith("node:") and target not in NODE_TARGETS + REGION_TARGETS
            allowed = f"one of {list(AZ_TARGETS)} or an AZ name"
        else:
            ok = not target.startswith("node:") and target not in NODE_TARGETS + AZ_TARGETS
            allowed = f"one of {list(REGION_TARGETS)} or a region name"
        if not ok:
            raise ValueError(f"@target: value {target!r} does not fit {self.kind}: use {allowed}")
        return self

    @property
    def disruption_class(self) -> str:
        return self.disruption or DEFAULT_DISRUPTION[self.kind]


def _default_target(kind: str) -> str:
    if kind == Faults.AZ_OUTAGE:
        return "primary_az"
    if kind == Faults.REGION_OUTAGE:
        return "primary_region"
    if kind == Faults.SWITCHOVER:
        return "secondary_region"
    return "primary"


class ScheduledFault(_FaultBase):
    """One fault at ``at_s`` lasting ``duration_s`` (None: until replaced/repaired).

    A distribution is drawn once per run, when the fault starts (stream
    ``faults/scheduled/{index}/duration``); a number is that many seconds.
    """

    at_s: Number = Field(ge=0)
    duration_s: DurationOrDist | None = Field(
        None, description="Seconds, or a distribution drawn once per run; none: permanent.")

    @property
    def mean_duration_s(self) -> float | None:
        """The expected duration (None: permanent), for estimates that need a number."""
        duration = self.duration_s
        return duration if duration is None or isinstance(duration, float) else duration.mean


class StochasticFault(_FaultBase):
    """A failure class: a renewal process of times to failure ``mttf_h`` and repairs ``mttr_h``.

    A number for ``mttf_h`` is the mean of an exponential (memoryless arrivals).
    """

    mttf_h: MeanOrDist = Field(
        description="Time to failure after each repair, hours: a number is an exponential's "
        "mean (MTTF); or a distribution (e.g. {dist: weibull, shape: 1.5, mean: 17520}).")
    mttr_h: Dist

    @property
    def mean_mttf_h(self) -> float:
        """The mean time to failure in hours, whatever the law."""
        return self.mttf_h if isinstance(self.mttf_h, float) else self.mttf_h.mean

    @property
    def mttf_law(self) -> Distribution:
        """The time-to-failure law as a distribution (a number: its exponential)."""
        return exponential(self.mttf_h) if isinstance(self.mttf_h, float) else self.mttf_h


class FaultScenario(BaseModel):
    """A named set of faults applied to every design (designs x scenarios)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: Name
    description: str = ""
    horizon_s: Number | None = Field(None, gt=0, description="Overrides the study horizon.")
    scheduled: list[ScheduledFault] = Field(default_factory=list)
    stochastic: list[StochasticFault] = Field(default_factory=list)
    stop_conditions: list[str] = Field(
        default_factory=list,
        description="Names of the study's alarms that stop this fault schedule when they "
        "enter ALARM, as an AWS FIS experiment's stop conditions do: faults still active "
        "end at once, faults not yet started never start.")
