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

from hadrsim.spec.faults import AZ_TARGETS, REGION_TARGETS, Faults
from hadrsim.spec.kinds import kind_of

_HOST_FAULTS = (Faults.INSTANCE_CRASH, Faults.INSTANCE_HANG, Faults.STORAGE_LOSS)
_PLACE_FAULTS = (Faults.AZ_OUTAGE, Faults.REGION_OUTAGE, Faults.SWITCHOVER)


class Decline(NamedTuple):
    """Why a fault cannot apply: the spec field at fault and a reason for people."""

    field: str
    reason: str


def _missing(design, target: str) -> str | None:
    """Why a symbolic place or node target names nothing in ``design`` (None: it exists)."""
    role = target.removesuffix("_az").removesuffix("_region")
    traits = kind_of(design).traits(design)
    if role == "standby" and traits.no_standby:
        return traits.no_standby
    if role in ("replica", "secondary") and traits.no_replica:
        return f"no {role}"
    return None


def _node_target(design, fault) -> Decline | None:
    target = fault.target
    if target.startswith("node:"):
        if target[5:] not in kind_of(design).node_names(design):
            return Decline("target", f"no node {target[5:]!r} in this design")
        return None
    no_hosts = kind_of(design).traits(design).no_hosts
    if no_hosts and fault.kind in _HOST_FAULTS:
        return Decline("kind", no_hosts)
    missing = _missing(design, target)
    return Decline("target", missing) if missing else None


def _operator_error(design, fault) -> Decline | None:
    traits = kind_of(design).traits(design)
    if fault.action == "delete_instance":
        return Decline("action", traits.no_instance_to_delete) \
            if traits.no_instance_to_delete else None
    return Decline("action", traits.no_replica_to_promote) \
        if traits.no_replica_to_promote else None


def _switchover(design, fault) -> Decline | None:
    secondaries = kind_of(design).traits(design).global_secondaries
    if secondaries is None:
        return Decline("kind", "no global database to switch over")
    if fault.target == "primary_region" or fault.target == design.region:
        return Decline("target", "the writer is already in that Region")
    if fault.target not in REGION_TARGETS and fault.target not in secondaries:
        return Decline("target", f"no secondary in {fault.target}")
    return None


def _backup_failure(design, fault) -> Decline | None:
    no_job = kind_of(design).traits(design).no_backup_job
    return Decline("kind", no_job) if no_job else None


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
    if kind == Faults.SWITCHOVER:
        return _switchover(design, fault)
    if kind in _PLACE_FAULTS or fault.between is not None:
        return _places(design, fault)
    if kind == Faults.OPERATOR_ERROR:
        return _node_target(design, fault) or _operator_error(design, fault)
    if kind == Faults.BACKUP_FAILURE:
        return _node_target(design, fault) or _backup_failure(design, fault)
    if kind == Faults.REPLICATION_BREAK:
        if fault.target == "primary":
            return Decline("target", "the primary receives no replication stream")
        no_stream = kind_of(design).traits(design).no_replication_stream
        if no_stream:
            return Decline("kind", no_stream)
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
