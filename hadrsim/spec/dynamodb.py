"""DynamoDB global table specs with calibrated defaults (calibration.md section 7).

S16 global tables how-it-works, S17 prescriptive guidance (last writer wins),
S29 SLA. "ASM" marks assumptions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hadrsim.spec.distributions import Dist, lognormal
from hadrsim.spec.kinds import NodeSlot
from hadrsim.spec.rds import HaArchitecture
from hadrsim.spec.types import Integer, Number


class DynamoDbGlobalTable(BaseModel):
    """A global table: MREC (multi-active, LWW) or MRSC (strongly consistent)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: Literal["dynamodb_global_table"]
    name: str = Field(min_length=1)
    ha_architecture: HaArchitecture | None = None
    regions: list[str] | None = Field(None, min_length=1, description="Default: all regions.")
    consistency: Literal["eventual", "strong"] = "eventual"  # MREC (default) / MRSC (S16)
    witness_region: str | None = Field(None, description="MRSC: 2 replicas + a witness.")
    # S16/S17: MREC replication "typically within one second", no SLA; 0.5 s (ASM shape).
    replication_lag_s: Dist = lognormal(0.5, 2.0)
    lag_regime_s: Number = Field(10.0, gt=0)
    # ASM: single-digit-millisecond local writes; an MRSC member's durable write of a
    # replicated item takes the same (calibration.md §7, S16: MRSC write = local + RTT
    # to the nearest member of the set).
    write_ms: Dist = lognormal(4.0, 15.0)
    # ASM: an eventually consistent read may miss writes of the last few milliseconds.
    read_staleness_s: Dist = lognormal(0.01, 0.1)
    consistent_reads: bool = False  # DynamoDB reads are eventually consistent by default
    # MRSC has no leader to fail over: each Region's write commits with its nearest
    # reachable member (calibration.md §7, S16), so there is no detection or promotion.
    table_gb: Number = Field(10.0, gt=0)
    # S18/S18b: PITR to any second, 1-35 days (default 35); latest restorable ~ now - 5 min.
    pitr_retention_days: Integer = Field(35, ge=0, le=35)
    # ASM: restoring to a new table; no published figure.
    restore_s: Dist = lognormal(1200.0, 3600.0)


def resolve_dynamodb_locations(design: DynamoDbGlobalTable, network, path: str):
    regions = [r.name for r in network.regions]
    chosen = list(design.regions or regions)
    errors = []
    for i, region in enumerate(chosen):
        if region not in regions:
            errors.append(f"{path}.regions.{i}: unknown region {region!r}; known: {regions}")
    if len(set(chosen)) != len(chosen):
        errors.append(f"{path}.regions: a Region is listed twice: {chosen}")
    if design.witness_region is not None:
        if design.consistency != "strong":
            errors.append(f"{path}.witness_region: a witness is only for consistency: strong")
        if design.witness_region not in regions:
            errors.append(f"{path}.witness_region: unknown region {design.witness_region!r}")
        if design.witness_region in chosen:
            errors.append(f"{path}.witness_region: must differ from the replica Regions")
    if design.consistency == "strong":
        members = len(chosen) + (1 if design.witness_region else 0)
        if members != 3:
            errors.append(f"{path}.regions: MRSC needs exactly 3 Regions (3 replicas, or 2 + "
                          f"witness_region), got {members} (S16)")
    return design.model_copy(update={"regions": chosen}), errors


def inventory(design: DynamoDbGlobalTable) -> list[NodeSlot]:
    """One Regional replica per Region (``-REGION``; the first takes writes first under
    MRSC), then an MRSC witness (``-witness``), which holds no table."""
    slots = [NodeSlot(f"{design.name}-{region}", "table", region, None)
             for region in design.regions or []]
    if design.witness_region:
        slots.append(NodeSlot(f"{design.name}-witness", "witness", design.witness_region, None))
    return slots
