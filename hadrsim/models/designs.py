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
