"""RDS design specs with calibrated defaults (every figure names its source).

Sources are the keys of ../shared/calibration.md: S1 Multi-AZ instance, S2 Multi-AZ
DB cluster, S4/S5 backups and PITR, S7 read replicas, S8 Aurora HA (host
replacement), S11 endpoint TTL, S36 restore. "ASM" marks an assumption where no
figure is published, with the reason. Failover totals are published as one
number; the split into detection / promotion below is ours (ASM) and is chosen so
the total lands on the published figure.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from hadrsim.spec.distributions import Dist, lognormal, uniform
from hadrsim.spec.kinds import NodeSlot
from hadrsim.spec.route53 import Route53Spec
from hadrsim.spec.types import Integer, Number

# calibration.md §1, S36 (ASM): restore (snapshot/PITR) to "available" 15 min, 10-40 min;
# lognormal median 15 min, p99 25 min: ~97% of draws inside 10-40 min (issue 11, item 14).
RESTORE_S = lognormal(900.0, 1500.0)

HaArchitecture = Literal["BackupAndRestore", "PilotLight", "WarmStandby", "MultiSite"]


class HealthCheckSpec(BaseModel):
    """A failure detector: probe every ``interval_s``; down after ``failure_threshold``."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    interval_s: Number = Field(5.0, gt=0)  # ASM: RDS monitoring cadence is not published
    failure_threshold: Integer = Field(3, ge=1, le=100)
    timeout_s: Number = Field(2.0, gt=0)


class ReplicaSpec(BaseModel):
    """An asynchronous read replica, same or another Region; promoted by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str | None = None
    region: str | None = Field(None, description="Default: the design's region.")
    az: str | None = Field(None, description="Default: an AZ of the replica's region.")
    # S7 (ASM shape): ReplicaLag 0.5 s same Region, lognormal tail, p99 10 s.
    lag_s: Dist = lognormal(0.5, 10.0)
    # ASM: lag drifts; a new level is drawn every lag_regime_s, so batches stay in order.
    lag_regime_s: Number = Field(30.0, gt=0)
    # S7: promotion reboots the replica, "a few minutes"; 5 min median (ASM tail).
    promotion_s: Dist = lognormal(300.0, 900.0)
    readable: bool = True


class BackupSpec(BaseModel):
    """Automated backups and point-in-time restore (S4, S5)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # S4: retention 0-35 days (0 = automated backups and PITR off); console default 7.
    retention_days: Integer = Field(7, ge=0, le=35)
    # S4: a daily 30-min window in an 8-hour regional block; start drawn per run.
    window_start_s: Dist = uniform(0.0, 8 * 3600.0)
    # calibration 1 (ASM): PITR log replay at 10x real time (3-30x).
    replay_speedup: Number = Field(10.0, gt=0)
    # ASM: restores are near size-independent (S36, lazy loading); a small per-GB part.
    restore_per_gb_s: Number = Field(0.5, ge=0)
    # S6: automated backup replication to another Region; restorable time there lags
    # 10 min (ASM: 5-min log cadence + copy; 5-20).
    copy_to_region: str | None = None
    # S36: a restored volume loads blocks from S3 on first touch; initialisation runs at
    # 100-300 MiB/s, so for size / rate seconds reads and writes pay a cold-block penalty.
    hydration_mib_s: Number = Field(200.0, gt=0)
    cold_block_ms: Dist = lognormal(10.0, 50.0)  # ASM: an S3 fetch per cold block
    # manual snapshots are kept until deleted (S4), even when the instance is deleted
    manual_snapshot_every_s: Number | None = Field(None, gt=0)
    copy_lag_s: Dist = lognormal(600.0, 1200.0)


class _RdsBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    region: str | None = Field(None, description="Default: the first region of the network.")
    ha_architecture: HaArchitecture | None = Field(
        None, description="Resilience Hub's DR tier label, shown with the results."
    )
    instance_class: str = "db.r6g.large"
    allocated_storage_gb: Number = Field(100.0, gt=0)
    replicas: list[ReplicaSpec] = Field(default_factory=list, max_length=15)  # S7: <= 15
    # ASM: local WAL fsync on gp3, ~1 ms.
    commit_flush_ms: Dist = lognormal(1.0, 5.0)
    # calibration 1: replace failed host 10 min; 5-30 (ASM, S8 "<10 min"). None: never.
    replace_host_s: Dist | None = lognormal(600.0, 1800.0)
    restore_s: Dist = RESTORE_S  # calibration.md §1, S36 (ASM): 15 min, 10-40
    log_archive_interval_s: Number = Field(300.0, gt=0)  # S5: logs to S3 every 5 min
    backups: BackupSpec = BackupSpec()
    dns_ttl_s: Number = Field(5.0, ge=0)  # S11: RDS/Aurora endpoint TTL 5 s
    detection: HealthCheckSpec = HealthCheckSpec()
    route53: Route53Spec | None = Field(
        None, description="Route 53 failover records in front: primary endpoint, then the "
        "first cross-Region replica (needs one).",
    )


def inventory(design: _RdsBase) -> list[NodeSlot]:
    """The nodes a built RDS design has: instance ``-a`` (the first primary), a Multi-AZ
    instance's hidden standby ``-b`` or a cluster's readable standbys ``-b``/``-c``, then
    the read replicas (named by :func:`resolve_locations`; unnamed ones are left out)."""
    n, region = design.name, design.region
    if design.kind == "rds_single_az":
        slots = [NodeSlot(f"{n}-a", "instance", region, design.az)]
    elif design.kind == "rds_multi_az_instance":
        slots = [NodeSlot(f"{n}-a", "instance", region, design.primary_az),
                 NodeSlot(f"{n}-b", "hidden_standby", region, design.standby_az)]
    else:
        slots = [NodeSlot(f"{n}-{c}", "instance", region, az)
                 for c, az in zip("abc", design.azs or [None] * 3, strict=True)]
    return slots + [NodeSlot(r.name, "replica", r.region, r.az)
                    for r in design.replicas if r.name]


class RdsSingleAz(_RdsBase):
    """One instance in one AZ: a crash waits for host replacement; only backups protect data."""

    kind: Literal["rds_single_az"]
    az: str | None = None


class RdsMultiAzInstance(_RdsBase):
    """Primary + one synchronous, non-readable standby in another AZ (S1)."""

    kind: Literal["rds_multi_az_instance"]
    primary_az: str | None = None
    standby_az: str | None = None
    # S1: failover "typically 60-120 s", default 90 s total: detection ~15-20 s + this.
    promotion_s: Dist = lognormal(65.0, 100.0)
    # ASM: remote flush before the ack; one inter-AZ RTT + this = S1's "+2 ms" overhead.
    standby_flush_ms: Dist = lognormal(1.0, 5.0)
    # ASM: a silent standby is dropped from the synchronous set after this.
    sync_timeout_s: Number = Field(10.0, gt=0)
    # S1: the standby is kept by synchronous storage-level replication: a commit is never
    # acknowledged without it, even when its client cancels the wait.
    standby_replication: Literal["storage", "streaming"] = Field(
        "storage", description="storage: AWS's synchronous block-level replication (S1); "
        "streaming: PostgreSQL's synchronous streaming replication, as the emulator runs "
        "it, where a commit whose client cancels the wait is acknowledged without the "
        "standby (workload.cancel_after_s).",
    )

    @model_serializer(mode="wrap")
    def _omit_default_replication(self, handler: Any) -> Any:
        """The default dumps as before the field existed: results stores keyed by the
        study's JSON still recognise their study."""
        data = handler(self)
        if isinstance(data, dict) and self.standby_replication == "storage":
            data.pop("standby_replication", None)
        return data


class RdsMultiAzCluster(_RdsBase):
    """Writer + two readable standbys in 3 AZs, semi-synchronous (S2)."""

    kind: Literal["rds_multi_az_cluster"]
    azs: list[str] | None = Field(None, min_length=3, max_length=3)
    # S2: commit acknowledged by at least one reader.
    commit_quorum: Integer = Field(1, ge=1, le=2)
    # S3: "up to 2x faster" commits: readers ack on receipt (semi-sync), no remote flush.
    # S2: failover "typically under 35 s" (25 s default): detection ~6 s + this + TTL.
    detection: HealthCheckSpec = HealthCheckSpec(interval_s=2.0, failure_threshold=3)
    promotion_s: Dist = lognormal(12.0, 25.0)
    reader_apply_lag_s: Dist = lognormal(0.02, 1.0)  # calibration 3: 20 ms; 5 ms-2 min (ASM)
    sync_timeout_s: Number = Field(10.0, gt=0)  # ASM, as for the Multi-AZ instance


def resolve_locations(design: _RdsBase, network, path: str) -> tuple[_RdsBase, list[str]]:
    """Fill default region/AZs from the network and check every name exists.

    Returns the resolved copy and a list of ``"field.path: problem"`` messages.
    """
    errors: list[str] = []
    regions = [r.name for r in network.regions]
    region = design.region or regions[0]
    if region not in regions:
        errors.append(f"{path}.region: unknown region {region!r}; known: {regions}")
        return design, errors
    azs = network.azs_of(region)

    def az_in(field: str, value: str | None, default: str) -> str:
        if value is None:
            return default
        if value not in azs:
            errors.append(f"{path}.{field}: {value!r} is not an AZ of {region}; known: {azs}")
        return value

    update: dict = {"region": region}
    if isinstance(design, RdsSingleAz):
        update["az"] = az_in("az", design.az, azs[0])
    elif isinstance(design, RdsMultiAzInstance):
        if len(azs) < 2:
            errors.append(f"{path}.region: Multi-AZ needs a region with >= 2 AZs, {region} has 1")
            return design, errors
        update["primary_az"] = az_in("primary_az", design.primary_az, azs[0])
        update["standby_az"] = az_in("standby_az", design.standby_az, azs[1])
        if update["primary_az"] == update["standby_az"]:
            same = update["primary_az"]
            errors.append(f"{path}.standby_az: must differ from primary_az ({same})")
    elif isinstance(design, RdsMultiAzCluster):
        if design.azs is None and len(azs) < 3:
            errors.append(
                f"{path}.region: a Multi-AZ DB cluster needs 3 AZs, {region} has {len(azs)}"
            )
            return design, errors
        chosen = [az_in(f"azs.{i}", az, az) for i, az in enumerate(design.azs or azs[:3])]
        if len(set(chosen)) != 3:
            errors.append(f"{path}.azs: the three AZs must differ, got {chosen}")
        update["azs"] = chosen
    replicas = []
    for i, replica in enumerate(design.replicas):
        rpath = f"{path}.replicas.{i}"
        r_region = replica.region or region
        if r_region not in regions:
            errors.append(f"{rpath}.region: unknown region {r_region!r}; known: {regions}")
            continue
        r_azs = network.azs_of(r_region)
        r_az = replica.az or r_azs[min(2, len(r_azs) - 1) if r_region == region else 0]
        if r_az not in r_azs:
            errors.append(f"{rpath}.az: {r_az!r} is not an AZ of {r_region}; known: {r_azs}")
        name = replica.name or f"{design.name}-replica{i + 1}"
        replicas.append(replica.model_copy(update={"region": r_region, "az": r_az, "name": name}))
    update["replicas"] = replicas
    copy_region = design.backups.copy_to_region
    if copy_region is not None:
        if copy_region not in regions:
            errors.append(f"{path}.backups.copy_to_region: unknown region {copy_region!r}; "
                          f"known: {regions}")
        elif copy_region == region:
            errors.append(f"{path}.backups.copy_to_region: must be another Region than "
                          f"the instance's ({region})")
    if design.route53 is not None:
        if not any(r.region != region for r in replicas):
            errors.append(f"{path}.route53: DNS failover needs a replica in another Region "
                          "to fail over to")
        errors += check_route53(design.route53, network, f"{path}.route53")
    return design.model_copy(update=update), errors


def check_route53(spec, network, path: str) -> list[str]:
    """Problems with a Route 53 block's checker Regions."""
    regions = [r.name for r in network.regions]
    return [
        f"{path}.checker_regions.{i}: unknown region {region!r}; known: {regions}"
        for i, region in enumerate(spec.checker_regions or []) if region not in regions
    ]
