"""Which simulator node a fault target names, for the FIS export, read from the kind's inventory.

The node names and roles come from the design kind's inventory
(:func:`hadrsim.spec.kinds.kind_of` ``(design).inventory(design)``), the one place they are
defined; ``hadrsim plan`` tags the resources it makes with them (``hadrsim:node``). Some
nodes are no addressable resource (a Multi-AZ instance's standby, Aurora's storage copies,
a global secondary's hosts, a DynamoDB Regional replica's hosts): the kind's ``fis`` hook
says which (:mod:`hadrsim.aws.fis`). A DynamoDB witness is no resource of the deployment
at all (the service runs it), so it is left out here and resolves to no node.

Symbolic targets (``primary``, ``standby``, ``replica``, ``primary_az``...) are resolved
from roles only, as the simulator resolves them at the start of a run: the primary is the
first slot; the standby the first other slot that takes over as a peer or synchronous
standby; the replica the DR copy first (a global secondary, a cross-Region replica, any
replica, then a readable follower or peer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from hadrsim.spec.kinds import NodeSlot, kind_of

__all__ = ["NO_RESOURCE_ROLES", "FisProfile", "node_for", "nodes", "place"]

# How a host crash or an AZ loss of a node is exported: a reboot of its DB instance
# (``aws:rds:reboot-db-instances``, forceFailover false / true) or a failover of the
# design's DB cluster (``aws:rds:failover-db-cluster``).
HostAction = Literal["reboot", "forced_reboot", "cluster_failover"]


@dataclass(frozen=True)
class FisProfile:
    """What FIS can do to one design's resources: what a kind's ``fis`` hook returns.

    ``primary_crash``: the action standing for a host crash of the primary (first slot);
    other addressable nodes are rebooted, unless ``other_crash_unsupported`` says why FIS
    cannot. ``unaddressable``: role -> why a node of that role is no resource FIS can act
    on. ``az_failover``: the action added when the primary's AZ is cut (None: the network
    cut only). ``no_az``: why an AZ outage cannot be exported at all (a Regional service).
    ``global_table``: the design is a DynamoDB global table, whose replication FIS pauses
    (``replication_break`` on a ``table`` node; added to Region outages and partitions).
    """

    primary_crash: HostAction = "reboot"
    other_crash_unsupported: str | None = None
    unaddressable: Mapping[str, str] = field(default_factory=dict)
    az_failover: HostAction | None = None
    no_az: str | None = None
    global_table: bool = False

NO_RESOURCE_ROLES = ("witness",)  # roles of nodes that are no resource of the deployment
_PEERS = ("instance", "table")  # roles of copies that can take the primary's place as equals
_STANDBY = ("hidden_standby", *_PEERS)
_FOLLOWER = ("reader", *_PEERS)


def nodes(design) -> list[NodeSlot]:
    """Every simulator node of a design that is a resource, with its role, Region and AZ."""
    return [slot for slot in kind_of(design).inventory(design)
            if slot.role not in NO_RESOURCE_ROLES]


def _first(slots: list[NodeSlot], wanted: Callable[[NodeSlot], bool]) -> NodeSlot | None:
    return next((slot for slot in slots if wanted(slot)), None)


def node_for(design, target: str) -> NodeSlot | None:
    """The node a symbolic target names, as the simulator resolves it at the start."""
    every = nodes(design)
    if target.startswith("node:"):
        return {slot.name: slot for slot in every}.get(target[5:])
    if not every:
        return None
    primary, others = every[0], every[1:]
    if target == "primary":
        return primary
    if target == "standby":
        return _first(others, lambda x: x.role in _STANDBY)
    for wanted in (lambda x: x.role == "secondary",
                   lambda x: x.role == "replica" and x.region != primary.region,
                   lambda x: x.role == "replica",
                   lambda x: x.role in _FOLLOWER):
        found = _first(others, wanted)
        if found:
            return found
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
