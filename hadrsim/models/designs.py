"""The union of every design kind a study file may name, and per-kind dispatch."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hadrsim.models import aurora_spec, dynamodb_spec, rds_spec
from hadrsim.models.aurora_spec import Aurora, AuroraGlobal
from hadrsim.models.dynamodb_spec import DynamoDbGlobalTable
from hadrsim.models.rds_spec import RdsMultiAzCluster, RdsMultiAzInstance, RdsSingleAz

DesignSpec = Annotated[
    RdsSingleAz | RdsMultiAzInstance | RdsMultiAzCluster | Aurora | AuroraGlobal
    | DynamoDbGlobalTable,
    Field(discriminator="kind"),
]
DESIGN_KINDS = ["rds_single_az", "rds_multi_az_instance", "rds_multi_az_cluster", "aurora",
                "aurora_global", "dynamodb_global_table"]


def resolve_locations(design, network, path: str):
    """The design with network-dependent defaults filled in, and its problems."""
    if isinstance(design, (Aurora, AuroraGlobal)):
        return aurora_spec.resolve_aurora_locations(design, network, path)
    if isinstance(design, DynamoDbGlobalTable):
        return dynamodb_spec.resolve_dynamodb_locations(design, network, path)
    return rds_spec.resolve_locations(design, network, path)


def node_names(design) -> list[str]:
    """Names of the nodes a built design has (fault targets ``node:NAME``)."""
    if isinstance(design, (Aurora, AuroraGlobal)):
        return aurora_spec.aurora_node_names(design)
    if isinstance(design, DynamoDbGlobalTable):
        return dynamodb_spec.dynamodb_node_names(design)
    return rds_spec.node_names(design)


def ha_architecture_of(design) -> tuple[str | None, str]:
    """The design's DR tier and where it came from: ``(label, "label")`` when the study
    names it, else ``(tier, "inferred")`` from what the design copies to another Region
    (AWS's DR strategies, the dr-tiers study): several active Regions -> MultiSite; a
    running secondary cluster (Aurora Global) -> WarmStandby; a cross-Region read
    replica promoted by a runbook -> PilotLight; only backups copied to another
    Region -> BackupAndRestore; nothing outside the Region -> ``(None, "single-Region")``.
    """
    if design.ha_architecture is not None:
        return design.ha_architecture, "label"
    if isinstance(design, DynamoDbGlobalTable):
        return ("MultiSite", "inferred") if len(design.regions or []) > 1 else (
            None, "single-Region")
    if isinstance(design, AuroraGlobal) and design.secondaries:
        return "WarmStandby", "inferred"
    home = design.region
    if any((r.region or home) != home for r in getattr(design, "replicas", [])):
        return "PilotLight", "inferred"
    backups = getattr(design, "backups", None)
    if backups is not None and getattr(backups, "copy_to_region", None) not in (None, home):
        return "BackupAndRestore", "inferred"
    return None, "single-Region"


def engine_of(design) -> str:
    """The database engine a design runs (``constraints.engine``): RDS and Aurora designs
    here are PostgreSQL (the engine ``hadrsim plan`` creates), DynamoDB is its own."""
    return "dynamodb" if isinstance(design, DynamoDbGlobalTable) else "postgresql"
