"""Which faults can apply to which design, decided from the study file alone.

A fault either *applies* to a design or *cannot apply* to it. Applying includes
a fault the managed service absorbs (an AZ outage under a DynamoDB table hits the
design's footprint; the episode is met if clients saw nothing). A fault that
cannot apply names something this design does not have (a standby of a single
instance, a global database to switch over, automated backups to fail, an
instance to delete): it creates no episode; the run logs ``fault_not_applicable``
with ``"<kind>: <reason>"`` and tables show "n/a: <reason>".

:func:`not_applicable` is the one rule. The fault injector asks it (through the
deployment) before it records anything, and study validation asks it for every
design: a scenario fault that applies to *no* design is a spec error.
"""

from __future__ import annotations

from typing import NamedTuple

from hadrsim.models.aurora_spec import Aurora, AuroraGlobal
from hadrsim.models.dynamodb_spec import DynamoDbGlobalTable
from hadrsim.models.rds_spec import RdsSingleAz
from hadrsim.spec.faults import AZ_TARGETS, REGION_TARGETS

_HOST_FAULTS = ("instance_crash", "instance_hang", "storage_loss")
_PLACE_FAULTS = ("az_outage", "region_outage", "switchover")


class Decline(NamedTuple):
    """Why a fault cannot apply: the spec field at fault and a reason for people."""

    field: str
    reason: str


def _has_standby(design) -> bool:
    return not isinstance(design, (RdsSingleAz, DynamoDbGlobalTable))


def _has_replica(design) -> bool:
    if isinstance(design, DynamoDbGlobalTable):
        return len(design.regions or []) > 1
    if isinstance(design, AuroraGlobal):
        return True
    if isinstance(design, Aurora):
        return bool(design.readers)
    return bool(design.replicas)


def _missing(design, target: str) -> str | None:
    """Why a symbolic place or node target names nothing in ``design`` (None: it exists)."""
    role = target.removesuffix("_az").removesuffix("_region")
    if role == "standby" and not _has_standby(design):
        if isinstance(design, DynamoDbGlobalTable):
            return "no standby: a table's replica spans every AZ of its Region"
        return "no standby (a single instance)"
    if role in ("replica", "secondary") and not _has_replica(design):
        return f"no {role}"
    return None


def _node_target(design, fault) -> Decline | None:
    from hadrsim.models.designs import node_names

    target = fault.target
    if target.startswith("node:"):
        if target[5:] not in node_names(design):
            return Decline("target", f"no node {target[5:]!r} in this design")
        return None
    if isinstance(design, DynamoDbGlobalTable) and fault.kind in _HOST_FAULTS:
        return Decline("kind", "a Regional managed table has no host to fail")
    missing = _missing(design, target)
    return Decline("target", missing) if missing else None


def _operator_error(design, fault) -> Decline | None:
    if fault.action == "delete_instance":
        if isinstance(design, DynamoDbGlobalTable):
            return Decline("action", "no instance to delete (a DynamoDB table)")
        return None
    # promote_wrong_replica: an operator promotes a replica by hand (a runbook exists)
    if isinstance(design, DynamoDbGlobalTable):
        return Decline("action", "no replica to promote: the service manages a global "
                                 "table's replicas")
    if isinstance(design, Aurora) or not _has_replica(design):
        return Decline("action", "no replica to promote (no read replica or global secondary)")
    return None


def _switchover(design, fault) -> Decline | None:
    if not isinstance(design, AuroraGlobal):
        return Decline("kind", "no global database to switch over")
    secondaries = [s.region for s in design.secondaries]
    if fault.target == "primary_region" or fault.target == design.region:
        return Decline("target", "the writer is already in that Region")
    if fault.target not in REGION_TARGETS and fault.target not in secondaries:
        return Decline("target", f"no secondary in {fault.target}")
    return None


def _backup_failure(design, fault) -> Decline | None:
    if isinstance(design, DynamoDbGlobalTable):
        return Decline("kind", "no backup job (PITR backs up continuously)")
    if design.backups.retention_days == 0:
        return Decline("kind", "no automated backups")
    return None


def _places(design, fault) -> Decline | None:
    places = fault.between or [fault.target]
    for k, place in enumerate(places):
        if place in AZ_TARGETS or place in REGION_TARGETS:
            missing = _missing(design, place)
            if missing:
                return Decline(f"between.{k}" if fault.between else "target", missing)
    return None


def not_applicable(design, fault) -> Decline | None:
    """Why ``fault`` cannot apply to ``design`` (a resolved design spec); None if it can."""
    kind = fault.kind
    if kind == "switchover":
        return _switchover(design, fault)
    if kind in _PLACE_FAULTS or fault.between is not None:
        return _places(design, fault)
    if kind == "operator_error":
        return _node_target(design, fault) or _operator_error(design, fault)
    if kind == "backup_failure":
        return _node_target(design, fault) or _backup_failure(design, fault)
    if kind == "replication_break":
        if fault.target == "primary":
            return Decline("target", "the primary receives no replication stream")
        if isinstance(design, DynamoDbGlobalTable) and design.consistency == "eventual":
            return Decline("kind", "no replication stream to break: the service replicates "
                                   "a multi-active table")
    return _node_target(design, fault)


def applies_to_none(designs, fault, path: str) -> str | None:
    """The validation problem when ``fault`` (at ``path``) applies to no design, else None."""
    declines = [(d.name, not_applicable(d, fault)) for d in designs]
    if any(decline is None for _, decline in declines):
        return None
    field = declines[0][1].field
    value = _value(fault, field)
    why = "; ".join(f"{name}: {decline.reason}" for name, decline in declines)
    return (f"{path}.{field}: value {value!r} cannot apply to any design of the study "
            f"({why}); use a fault at least one design has a target for")


def _value(fault, field: str):
    if field.startswith("between."):
        return fault.between[int(field.split(".")[1])]
    return getattr(fault, field)
