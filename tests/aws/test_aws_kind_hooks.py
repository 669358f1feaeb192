"""The aws layer finds design kinds through the registry: ``plan``/``alarms``/``fis`` hooks,
node names and roles from the kind's inventory; a kind without a hook degrades with a note."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from aws_plan_support import extended_study
from pydantic import BaseModel, ConfigDict

from hadrsim.aws.fis import export_fis
from hadrsim.aws.fis_nodes import node_for, nodes
from hadrsim.aws.plan import PlanBuilder, PlanError, Resource, plan_design
from hadrsim.spec import kinds
from hadrsim.spec.kinds import DesignKind, NodeSlot, Traits, extend_kind, register_kind
from hadrsim.spec.loader import parse_study

KIND = "aws_toy"


class AwsToy(BaseModel):
    """One box in one Region; what the aws layer needs and nothing more."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Literal["aws_toy"]
    region: str | None = None
    ha_architecture: None = None


def _resolve(design: AwsToy, network: Any, path: str) -> tuple[AwsToy, list[str]]:
    return design.model_copy(update={"region": design.region or network.regions[0].name}), []


def _plan(b: PlanBuilder, design: AwsToy) -> None:
    key = b.add("toy", design.region, "create_box", {"Name": b.id()},
                Resource("toy:box", design.region, b.id(), b.tags(node=f"{design.name}-a")),
                exists="describe_box", purpose="the box")
    b.writer = {"key": key, "address": None, "port": None, "engine": "postgresql",
                "region": design.region, "id": b.id()}


@pytest.fixture
def toy_kind():
    """``aws_toy`` with a plan hook only (no alarms, no fis), registered for one test."""
    register_kind(DesignKind(
        name=KIND, spec=AwsToy, resolve_locations=_resolve,
        inventory=lambda d: [NodeSlot(f"{d.name}-a", "instance", d.region, None)],
        traits=lambda _d: Traits(), dr_tier=lambda _d: (None, "single-Region")))
    extend_kind(KIND, plan=_plan)
    yield
    kinds.unregister_kind(KIND)


STUDY = {
    "name": "toy", "seed": 1, "runs": 1, "horizon_s": 600,
    "designs": [{"name": "box", "kind": KIND}],
    "scenarios": [{"name": "crash", "scheduled": [
        {"kind": "region_outage", "target": "primary_region", "at_s": 60, "duration_s": 600}]}],
    "alarms": [{"name": "lag", "metric": "replica_lag_s", "threshold": 5, "period_s": 60},
               {"name": "errors", "metric": "write_error_rate", "threshold": 0.1,
                "period_s": 60}],
    "backup_plans": [{"name": "gold", "selection": ["box"],
                      "rules": [{"name": "daily", "schedule": "cron(0 5 ? * * *)"}]}],
    "policy": {"Region": {"rto_s": 3600, "rpo_s": 300}},
}


def test_every_builtin_kind_has_its_aws_hooks():
    """The six built-in kinds get plan, alarms and fis from hadrsim.aws.builtin_kinds."""
    builtin = ("rds_single_az", "rds_multi_az_instance", "rds_multi_az_cluster", "aurora",
               "aurora_global", "dynamodb_global_table")
    for name in builtin:
        assert {"plan", "alarms", "fis"} <= set(kinds.kind_of(name).hooks), name


def test_a_kind_with_only_a_plan_hook_is_planned_with_notes(toy_kind):
    """Its own calls come from its hook; AWS alarms and backups are left out with a note;
    the application's alarms are planned as for any kind."""
    plan = plan_design(parse_study(STUDY), "box")
    assert [c.operation for c in plan.calls] == ["create_box", "put_metric_alarm"]
    assert plan.calls[1].params["MetricName"] == "WriteErrorRate"
    assert any("registers no alarms hook" in n and "replica_lag_s" in n for n in plan.notes)
    assert any("backup plan gold" in n for n in plan.notes)


def test_a_kind_with_no_fis_hook_exports_no_template(toy_kind):
    """FIS export says which kind it does not support instead of failing."""
    export = export_fis(parse_study(STUDY), "crash", "box")
    assert export.template is None
    assert "not supported for design kind 'aws_toy'" in export.unsupported[0]["reason"]


def test_a_kind_with_no_plan_hook_is_a_plan_error(toy_kind):
    kinds.kind_of(KIND).hooks.pop("plan")
    with pytest.raises(PlanError, match="not supported for design kind 'aws_toy'"):
        plan_design(parse_study(STUDY), "box")


def test_fis_nodes_are_the_inventory_and_targets_resolve_by_role():
    """FIS reads node names and roles from the kind's inventory (a witness is no resource)."""
    study = extended_study()
    for design in study.designs:
        inventory = kinds.kind_of(design).inventory(design)
        assert nodes(design) == [s for s in inventory if s.role != "witness"]
        assert node_for(design, "primary") == inventory[0]
    assert node_for(study.design("multi-az"), "standby").role == "hidden_standby"
    assert node_for(study.design("multi-az-cluster"), "standby").name == "multi-az-cluster-b"
    assert node_for(study.design("multi-az-dr"), "replica").role == "replica"
    assert node_for(study.design("aurora-global"), "replica").role == "secondary"
    assert node_for(study.design("aurora"), "standby") is None
    assert node_for(study.design("dynamodb-mrsc"), "node:dynamodb-mrsc-witness") is None


def test_plan_tags_name_inventory_nodes():
    """Every hadrsim:node tag a plan writes is a node of the kind's inventory."""
    study = extended_study()
    for design in study.designs:
        names = set(kinds.kind_of(design).node_names(design))
        tagged = {c.resource.tags["hadrsim:node"] for c in plan_design(study, design.name).calls
                  if "hadrsim:node" in c.resource.tags}
        assert tagged and tagged <= names, (design.name, tagged - names)
