"""A design kind defined only under tests/ goes through validate -> simulate -> summary ->
plan, and shows in ``hadrsim schema``, without editing any hadrsim module (issue 13)."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest
import toy_kind
from typer.testing import CliRunner

import hadrsim
from hadrsim.aws.plan import plan_design
from hadrsim.cli import app
from hadrsim.spec import kinds
from hadrsim.spec.loader import SpecError, parse_study

STUDY = {
    "name": "toy",
    "seed": 3,
    "runs": 2,
    "horizon_s": 600,
    "designs": [{"name": "box", "kind": "toy_box"},
                {"name": "maz", "kind": "rds_multi_az_instance"}],
    "scenarios": [{"name": "crash", "scheduled": [
        {"kind": "instance_crash", "target": "primary", "at_s": 60}]}],
    "policy": {"Hardware": {"rto_s": 120, "rpo_s": 0}},
}


@pytest.fixture
def toy():
    """The toy kind registered for one test, then removed again."""
    toy_kind.register()
    yield
    kinds.unregister_kind(toy_kind.KIND)


def test_unregistered_kind_is_a_spec_error_naming_the_registered_kinds():
    """Without the plug-in, ``toy_box`` is an unknown kind; the error lists the real ones."""
    with pytest.raises(SpecError) as raised:
        parse_study(STUDY)
    assert "toy_box" in str(raised.value) and "rds_multi_az_instance" in str(raised.value)


def test_toy_kind_validates_simulates_and_summarises(toy):
    """The registered kind resolves its AZ, names its node, runs, is priced and judged."""
    study = parse_study(STUDY)
    box = study.design("box")
    assert box.az is not None and kinds.kind_of(box).node_names(box) == ["box-a"]
    res = hadrsim.Experiment(study).run(workers=1)
    assert all(r.ok for r in res.results), [r.error for r in res.results if not r.ok]
    doc = res.summary()
    toy_doc = next(d for d in doc["designs"] if d["name"] == "box")
    assert toy_doc["kind"] == "toy_box"
    assert toy_doc["cost_month_usd"]["box"] == 42.0
    assert toy_doc["cost_month_usd"]["total"] == 42.0


def test_toy_kind_is_planned_for_aws(toy):
    """``hadrsim plan`` turns the toy design into its own hook's calls, tagged with the
    node its inventory names; AWS-specific extras it has no hook for are noted, not run."""
    plan = plan_design(parse_study(STUDY), "box")
    assert plan.calls[0].operation == "create_box"
    assert plan.calls[0].resource.tags["hadrsim:node"] == "box-a"


def test_toy_kind_fault_applicability_comes_from_its_traits(toy):
    """A backup failure cannot apply to a toy box: its traits say it has no backup job."""
    bad = {**STUDY, "designs": [{"name": "box", "kind": "toy_box"}], "scenarios": [
        {"name": "b", "scheduled": [{"kind": "backup_failure", "target": "primary",
                                     "at_s": 10}]}]}
    with pytest.raises(SpecError, match="no backups in a toy"):
        parse_study(bad)


def test_schema_lists_every_registered_kind(toy):
    """``hadrsim schema`` is built from the registry, so it lists the toy kind too."""
    out = CliRunner().invoke(app, ["schema"])
    assert out.exit_code == 0, out.output
    assert "toy_box" in out.output and "aurora_global" in out.output
    kinds.unregister_kind(toy_kind.KIND)
    again = CliRunner().invoke(app, ["schema"])
    assert "toy_box" not in again.output


def test_entry_point_group_registers_a_third_party_kind(monkeypatch):
    """A ``hadrsim.kinds`` entry point is loaded on the registry's first read."""
    point = EntryPoint(name="toy", value="toy_kind:register", group=kinds.ENTRY_POINT_GROUP)
    monkeypatch.setattr(kinds, "entry_points",
                        lambda group: [point] if group == kinds.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(kinds, "_loaded", False)
    try:
        assert "toy_box" in kinds.kind_names()
        assert json.dumps(parse_study(STUDY).design("box").kind) == '"toy_box"'
    finally:
        kinds.unregister_kind(toy_kind.KIND)
