"""The built-in design kinds' spec-layer parts: RDS, Aurora and DynamoDB global tables.

What each kind has for fault applicability (:class:`~hadrsim.spec.kinds.Traits`) and which
AWS DR tier it is (:func:`dr_tier`) are decided here, per kind, from the resolved spec; the
models and aws layers extend the same registry entries with their hooks.
"""

from __future__ import annotations

from typing import Any, get_args

from hadrsim.spec import aurora, dynamodb, rds
from hadrsim.spec.kinds import DesignKind, Traits, register_kind

_NO_PROMOTE = "no replica to promote (no read replica or global secondary)"


def _rds_traits(design: rds._RdsBase) -> Traits:
    replica = bool(design.replicas)
    return Traits(
        no_standby="no standby (a single instance)" if design.kind == "rds_single_az" else None,
        no_replica=None if replica else "no replica",
        no_backup_job=None if design.backups.retention_days else "no automated backups",
        no_replica_to_promote=None if replica else _NO_PROMOTE,
    )


def _aurora_traits(design: aurora._AuroraBase) -> Traits:
    secondaries = tuple(s.region for s in getattr(design, "secondaries", []))
    is_global = design.kind == "aurora_global"
    return Traits(
        no_standby=None,
        no_replica=None if is_global or design.readers else "no replica",
        no_backup_job=None if design.backups.retention_days else "no automated backups",
        # a reader is promoted by Aurora's own failover, not by an operator
        no_replica_to_promote=None if is_global else _NO_PROMOTE,
        global_secondaries=secondaries if is_global else None,
    )


def _dynamodb_traits(design: dynamodb.DynamoDbGlobalTable) -> Traits:
    return Traits(
        no_standby="no standby: a table's replica spans every AZ of its Region",
        no_replica=None if len(design.regions or []) > 1 else "no replica",
        no_hosts="a Regional managed table has no host to fail",
        no_backup_job="no backup job (PITR backs up continuously)",
        no_replication_stream=("no replication stream to break: the service replicates a "
                               "multi-active table") if design.consistency == "eventual" else None,
        no_instance_to_delete="no instance to delete (a DynamoDB table)",
        no_replica_to_promote=("no replica to promote: the service manages a global table's "
                               "replicas"),
    )


def _single_region_copy_tier(design: Any) -> tuple[str | None, str]:
    """A cross-Region read replica promoted by a runbook -> PilotLight; only backups copied
    to another Region -> BackupAndRestore; nothing outside the Region -> single-Region."""
    home = design.region
    if any((r.region or home) != home for r in getattr(design, "replicas", [])):
        return "PilotLight", "inferred"
    if design.backups.copy_to_region not in (None, home):
        return "BackupAndRestore", "inferred"
    return None, "single-Region"


def _aurora_tier(design: aurora._AuroraBase) -> tuple[str | None, str]:
    if getattr(design, "secondaries", None):
        return "WarmStandby", "inferred"  # a running secondary cluster
    return _single_region_copy_tier(design)


def _dynamodb_tier(design: dynamodb.DynamoDbGlobalTable) -> tuple[str | None, str]:
    if len(design.regions or []) > 1:
        return "MultiSite", "inferred"  # several active Regions
    return None, "single-Region"


def _kind_name(spec: type) -> str:
    return get_args(spec.model_fields["kind"].annotation)[0]


def register() -> None:
    """Register the six built-in kinds (called once by the registry's first read)."""
    for spec in (rds.RdsSingleAz, rds.RdsMultiAzInstance, rds.RdsMultiAzCluster):
        register_kind(DesignKind(
            name=_kind_name(spec), spec=spec,
            inventory=rds.inventory, resolve_locations=rds.resolve_locations,
            traits=_rds_traits, dr_tier=_single_region_copy_tier))
    for spec in (aurora.Aurora, aurora.AuroraGlobal):
        register_kind(DesignKind(
            name=_kind_name(spec), spec=spec,
            inventory=aurora.inventory, resolve_locations=aurora.resolve_aurora_locations,
            traits=_aurora_traits, dr_tier=_aurora_tier))
    register_kind(DesignKind(
        name="dynamodb_global_table", spec=dynamodb.DynamoDbGlobalTable,
        inventory=dynamodb.inventory, resolve_locations=dynamodb.resolve_dynamodb_locations,
        traits=_dynamodb_traits, dr_tier=_dynamodb_tier, engine="dynamodb"))
