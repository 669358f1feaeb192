"""A toy design kind defined only here, to prove a kind is added without editing hadrsim.

``toy_box`` is one database box in one AZ. Its spec, node inventory, location resolution,
applicability traits and DR tier register with the spec layer; its builder and price lines
with the models layer; its ``plan`` hook with the aws layer: one registration per layer, all through
:mod:`hadrsim.spec.kinds`. The builder reuses the single-AZ RDS builder on an equivalent
spec: what is under test is the registry, not a new engine model.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hadrsim.spec.kinds import DesignKind, NodeSlot, Traits, extend_kind, register_kind
from hadrsim.spec.rds import BackupSpec, RdsSingleAz, resolve_locations

KIND = "toy_box"


class ToyBox(BaseModel):
    """One box in one AZ; nothing else."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Literal["toy_box"]
    region: str | None = None
    az: str | None = None
    monthly_usd: float = 42.0
    ha_architecture: None = None


def _as_rds(design: ToyBox) -> RdsSingleAz:
    return RdsSingleAz(kind="rds_single_az", name=design.name, region=design.region,
                       az=design.az, backups=BackupSpec(retention_days=0))


def _resolve(design: ToyBox, network: Any, path: str) -> tuple[ToyBox, list[str]]:
    resolved, problems = resolve_locations(_as_rds(design), network, path)
    return design.model_copy(update={"region": resolved.region, "az": resolved.az}), problems


def _inventory(design: ToyBox) -> list[NodeSlot]:
    return [NodeSlot(f"{design.name}-a", "instance", design.region, design.az)]


def _build(world, net, study, design: ToyBox):
    from hadrsim.models.rds import build_single_az

    return build_single_az(world, net, study, _as_rds(design))


def _price(design: ToyBox, _usage, _prices) -> dict[str, float]:
    return {"box": design.monthly_usd}


def _plan(b, design: ToyBox) -> None:
    """The aws layer's ``plan`` hook: one (imaginary) API call that makes the box."""
    from hadrsim.aws.plan import Resource

    key = b.add("toybox", design.region, "create_box", {"Name": b.id()},
                Resource("toybox:box", design.region, b.id(), b.tags(node=f"{design.name}-a")),
                exists="describe_box", purpose="the toy box")
    b.writer = {"key": key, "address": None, "port": None, "engine": "postgresql",
                "region": design.region, "id": b.id()}


def register() -> None:
    """The entry point a ``hadrsim.kinds`` plug-in would name."""
    register_kind(DesignKind(
        name=KIND, spec=ToyBox, inventory=_inventory, resolve_locations=_resolve,
        traits=lambda _design: Traits(no_backup_job="no backups in a toy"),
        dr_tier=lambda _design: (None, "single-Region")))
    extend_kind(KIND, build=_build, price=_price)  # models layer
    extend_kind(KIND, plan=_plan)  # aws layer
