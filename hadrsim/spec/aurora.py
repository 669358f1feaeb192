"""Aurora and Aurora Global Database specs with calibrated defaults.

Sources (../shared/calibration.md section 5-6): S8 Aurora high availability,
S9 Aurora FAQ, S10 replication, S11 endpoint TTL, S12 quorum blog, S13 Aurora
paper, S14/S15 Global Database, S16b promotion tiers. "ASM" marks assumptions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hadrsim.spec.distributions import Dist, constant, lognormal
from hadrsim.spec.kinds import NodeSlot
from hadrsim.spec.rds import (
    RESTORE_S,
    BackupSpec,
    HaArchitecture,
    HealthCheckSpec,
    check_route53,
)
from hadrsim.spec.route53 import Route53Spec
from hadrsim.spec.types import Integer, Number

_CONFIG = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

# instance sizes, for "tie -> largest" in promotion (S8)
_SIZES = ["micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge",
          "12xlarge", "16xlarge", "24xlarge", "32xlarge"]


def instance_size(instance_class: str) -> int:
    """Rank of an instance class by size (db.r6g.2xlarge > db.r6g.large)."""
    size = instance_class.rsplit(".", 1)[-1]
    return _SIZES.index(size) if size in _SIZES else 0


class AuroraReaderSpec(BaseModel):
    """A reader instance: serves reads with lag, promoted by tier on failover."""

    model_config = _CONFIG

    name: str | None = None
    az: str | None = Field(None, description="Default: spread over the cluster's AZs.")
    promotion_tier: Integer = Field(1, ge=0, le=15)  # S8, S16b: 0-15, default 1
    instance_class: str = "db.r6g.large"


class _AuroraBase(BaseModel):
    model_config = _CONFIG

    name: str = Field(min_length=1)
    region: str | None = None
    ha_architecture: HaArchitecture | None = None
    instance_class: str = "db.r6g.large"
    allocated_storage_gb: Number = Field(100.0, gt=0)
    writer_az: str | None = None
    readers: list[AuroraReaderSpec] = Field(default_factory=list, max_length=15)  # S8: <= 15
    storage_azs: list[str] | None = Field(None, min_length=3, max_length=3)
    # S12: 6 copies, 2 per AZ in 3 AZs; write quorum 4/6, read quorum 3/6.
    write_quorum: Integer = Field(4, ge=1, le=6)
    read_quorum: Integer = Field(3, ge=1, le=6)
    # ASM: a storage node's write, ~1 ms; the 4th fastest ack sets commit latency.
    storage_write_ms: Dist = lognormal(0.8, 4.0)
    # S13: a 10 GB segment re-replicated in ~10 s at 10 Gbps.
    segment_repair_s: Dist = constant(10.0)
    # S10: reader lag 20 ms, "usually much less than 100 ms".
    reader_lag_s: Dist = lognormal(0.02, 0.1)
    # S9: failover to a replica "typically within 30 s": detection ~6 s + this + TTL.
    detection: HealthCheckSpec = HealthCheckSpec(interval_s=2.0, failure_threshold=3)
    promotion_s: Dist = lognormal(18.0, 60.0)
    # S8: no replica: the primary is recreated, "typically less than 10 minutes".
    recreate_writer_s: Dist = lognormal(480.0, 900.0)
    # calibration.md §5 (ASM, S8): AZ lost with no reader in another AZ: an operator
    # creates a writer in another AZ on the surviving volume, 15 min + the operator's
    # delay (the study's failover.operator_delay_s when failover.mode is manual).
    recreate_elsewhere_s: Dist = lognormal(900.0, 2400.0)
    # S8b: continuous backups (PITR), retention 1-35 days; restores create a new cluster
    # (time non-linear in size, S37; the fixed restore time is an assumption).
    backups: BackupSpec = BackupSpec(retention_days=1)
    restore_s: Dist = RESTORE_S  # calibration.md §1, S36 (ASM): 15 min, 10-40
    dns_ttl_s: Number = Field(5.0, ge=0)  # S11


class Aurora(_AuroraBase):
    """An Aurora cluster in one Region: a writer, readers, a shared 6-copy volume."""

    kind: Literal["aurora"]


class AuroraSecondarySpec(BaseModel):
    """A secondary Region of a global database: its volume and readers."""

    model_config = _CONFIG

    region: str
    az: str | None = None
    # S14: storage-level replication "typically under a second".
    lag_s: Dist = lognormal(0.5, 2.0)
    lag_regime_s: Number = Field(10.0, gt=0)
    # S14: promoting a secondary "under a minute" (RTO 60 s).
    promotion_s: Dist = lognormal(45.0, 75.0)


class AuroraGlobal(_AuroraBase):
    """Aurora Global Database: a primary cluster and asynchronous secondary Regions."""

    kind: Literal["aurora_global"]
    secondaries: list[AuroraSecondarySpec] = Field(min_length=1, max_length=10)  # S14: <= 10
    # S15: rds.global_db_rpo, unset by default; 20 s to 2,147,483,647 s when set.
    rpo_limit_s: Number | None = Field(None, ge=20, le=2_147_483_647)
    # S14: write forwarding from secondaries (cross-Region RTT + commit).
    write_forwarding: bool = False
    # S15: client DNS cache of the global writer endpoint ~5 s.
    global_endpoint_ttl_s: Number = Field(5.0, ge=0)
    route53: Route53Spec | None = None  # failover records: primary, then first secondary
    # S15: a managed switchover waits for secondaries, then promotes (brief outage).
    switchover_promotion_s: Dist = lognormal(30.0, 60.0)


def resolve_aurora_locations(design: _AuroraBase, network, path: str):
    """Fill default Region/AZs from the network and check every name; (copy, problems)."""
    errors: list[str] = []
    regions = [r.name for r in network.regions]
    region = design.region or regions[0]
    if region not in regions:
        return design, [f"{path}.region: unknown region {region!r}; known: {regions}"]
    azs = network.azs_of(region)
    if design.storage_azs is None and len(azs) < 3:
        return design, [f"{path}.region: Aurora storage needs 3 AZs, {region} has {len(azs)}"]
    storage = list(design.storage_azs or azs[:3])
    for i, az in enumerate(storage):
        if az not in azs:
            errors.append(f"{path}.storage_azs.{i}: {az!r} is not an AZ of {region}; known: {azs}")
    if len(set(storage)) != 3:
        errors.append(f"{path}.storage_azs: the three AZs must differ, got {storage}")
    if design.read_quorum + design.write_quorum <= 6:
        errors.append(f"{path}.read_quorum: read + write quorum must exceed 6 copies "
                      f"({design.read_quorum} + {design.write_quorum}) or reads may miss writes")
    writer_az = design.writer_az or storage[0]
    if writer_az not in azs:
        errors.append(f"{path}.writer_az: {writer_az!r} is not an AZ of {region}; known: {azs}")
    readers = []
    for i, reader in enumerate(design.readers):
        az = reader.az or storage[(i + 1) % 3]
        if az not in azs:
            errors.append(f"{path}.readers.{i}.az: {az!r} is not an AZ of {region}; known: {azs}")
        readers.append(reader.model_copy(
            update={"az": az, "name": reader.name or f"{design.name}-r{i + 1}"}
        ))
    update = {"region": region, "storage_azs": storage, "writer_az": writer_az,
              "readers": readers}
    if isinstance(design, AuroraGlobal):
        secondaries, seen = [], {region}
        for i, secondary in enumerate(design.secondaries):
            spath = f"{path}.secondaries.{i}"
            if secondary.region not in regions:
                errors.append(f"{spath}.region: unknown region {secondary.region!r}; "
                              f"known: {regions}")
                continue
            if secondary.region in seen:
                errors.append(f"{spath}.region: {secondary.region!r} is already the primary or "
                              "another secondary Region")
            seen.add(secondary.region)
            s_azs = network.azs_of(secondary.region)
            az = secondary.az or s_azs[0]
            if az not in s_azs:
                errors.append(f"{spath}.az: {az!r} is not an AZ of {secondary.region}")
            if len(s_azs) < 3:
                errors.append(f"{spath}.region: a secondary volume needs 3 AZs, "
                              f"{secondary.region} has {len(s_azs)}")
            secondaries.append(secondary.model_copy(update={"az": az}))
        update["secondaries"] = secondaries
        if design.route53 is not None:
            errors += check_route53(design.route53, network, f"{path}.route53")
    return design.model_copy(update=update), errors


def inventory(design: _AuroraBase) -> list[NodeSlot]:
    """The nodes a built Aurora design has: the writer ``-w``, the named readers, two
    storage copies in each of the three storage AZs (``-s1a`` ... ``-s3b``), then per
    global secondary Region its cluster (``-REGION``) and its volume's six copies
    (``-REGION-s1a`` ...)."""
    n, region = design.name, design.region
    slots = [NodeSlot(f"{n}-w", "writer", region, design.writer_az)]
    slots += [NodeSlot(r.name, "reader", region, r.az) for r in design.readers if r.name]
    storage = design.storage_azs or [None] * 3
    slots += [NodeSlot(f"{n}-s{i + 1}{c}", "storage", region, az)
              for i, az in enumerate(storage) for c in "ab"]
    for s in getattr(design, "secondaries", []):
        slots.append(NodeSlot(f"{n}-{s.region}", "secondary", s.region, s.az))
        # the secondary cluster's own volume: six copies over its Region's first three AZs
        slots += [NodeSlot(f"{n}-{s.region}-s{i}{c}", "storage", s.region, None)
                  for i in (1, 2, 3) for c in "ab"]
    return slots
