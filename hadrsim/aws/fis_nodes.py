"""Which AWS resource each simulator node of a design is, for the FIS export.

The simulator names nodes (:func:`hadrsim.models.designs.node_names`); ``hadrsim plan``
tags the resources it makes with them (``hadrsim:node``). Some nodes are no addressable
resource: a Multi-AZ instance's standby, Aurora's storage copies, a global secondary's
hosts, a DynamoDB Regional replica's hosts. Symbolic targets (``primary``, ``replica``,
``primary_az``...) are resolved as the simulator resolves them at the start of a run.
"""

from __future__ import annotations

from typing import NamedTuple

from hadrsim.spec.aurora import Aurora, AuroraGlobal
from hadrsim.spec.dynamodb import DynamoDbGlobalTable
from hadrsim.spec.rds import RdsMultiAzCluster, RdsMultiAzInstance, RdsSingleAz

__all__ = ["Node", "node_for", "nodes", "place"]


class Node(NamedTuple):
    """A simulator node and the AWS resource it is (or is not) in the deployment."""

    name: str
    kind: str  # instance hidden_standby writer reader storage secondary replica table
    region: str
    az: str | None


def nodes(design) -> list[Node]:
    """Every simulator node of a design with its resource kind, Region and AZ."""
    region = design.region if not isinstance(design, DynamoDbGlobalTable) else None
    n = design.name
    if isinstance(design, RdsSingleAz):
        out = [Node(f"{n}-a", "instance", region, design.az)]
    elif isinstance(design, RdsMultiAzInstance):
        out = [Node(f"{n}-a", "instance", region, design.primary_az),
               Node(f"{n}-b", "hidden_standby", region, design.standby_az)]
    elif isinstance(design, RdsMultiAzCluster):
        out = [Node(f"{n}-{c}", "instance", region, az)
               for c, az in zip("abc", design.azs or [None] * 3, strict=True)]
    elif isinstance(design, (Aurora, AuroraGlobal)):
        out = [Node(f"{n}-w", "writer", region, design.writer_az)]
        out += [Node(r.name, "reader", region, r.az) for r in design.readers]
        out += [Node(f"{n}-s{i + 1}{c}", "storage", region, az)
                for i, az in enumerate(design.storage_azs or []) for c in "ab"]
        if isinstance(design, AuroraGlobal):
            out += [Node(f"{n}-{s.region}", "secondary", s.region, s.az)
                    for s in design.secondaries]
        return out
    else:
        return [Node(f"{n}-{r}", "table", r, None) for r in design.regions or []]
    return out + [Node(r.name, "replica", r.region, r.az) for r in design.replicas]


def node_for(design, target: str) -> Node | None:
    """The node a symbolic target names, as the simulator resolves it at the start."""
    every = nodes(design)
    by_name = {node.name: node for node in every}
    if target.startswith("node:"):
        return by_name.get(target[5:])
    if isinstance(design, DynamoDbGlobalTable):
        index = 0 if target == "primary" else 1
        return every[index] if index < len(every) else None
    primary = every[0]
    if target == "primary":
        return primary
    if target == "standby":
        standby = [x for x in every if x.kind == "hidden_standby"]
        if isinstance(design, RdsMultiAzCluster):
            standby = every[1:2]
        return standby[0] if standby else None
    # "replica": the DR copy first (Deployment._replica): a global secondary, a
    # cross-Region replica, any replica, then a readable follower.
    for wanted in (lambda x: x.kind == "secondary",
                   lambda x: x.kind == "replica" and x.region != primary.region,
                   lambda x: x.kind == "replica",
                   lambda x: x.kind == "reader"
                   or (isinstance(design, RdsMultiAzCluster) and x is not primary)):
        found = [x for x in every if wanted(x)]
        if found:
            return found[0]
    return None


def place(study, design, target: str) -> tuple[str | None, str | None]:
    """(Region, AZ) of a symbolic or named place; AZ None for a Region."""
    if target.endswith("_az"):
        node = node_for(design, target.removesuffix("_az"))
        return (node.region, node.az) if node and node.az else (None, None)
    if target.endswith("_region"):
        role = {"secondary_region": "replica"}.get(target, target.removesuffix("_region"))
        node = node_for(design, role)
        return (node.region, None) if node else (None, None)
    region = study.network.region_of(target)
    return (region, None if region == target else target)
