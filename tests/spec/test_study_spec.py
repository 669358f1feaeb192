"""Tests for hadrsim.spec: parsing a study resolves defaults and reports every problem."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hadrsim.spec.distributions import Constant, LogNormal
from hadrsim.spec.loader import SpecError, load_study, parse_study
from hadrsim.spec.study import Study

WEST_FIRST = {
    "regions": [
        {"name": "us-west-2", "azs": ["us-west-2a", "us-west-2b", "us-west-2c"]},
        {"name": "us-east-1", "azs": ["us-east-1a", "us-east-1b", "us-east-1c"]},
    ]
}


def _study(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "t",
        "designs": [{"name": "maz", "kind": "rds_multi_az_instance"}],
        "scenarios": [
            {"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 60}]}
        ],
    }
    data.update(copy.deepcopy(overrides))
    return data


def _problems(data: Any) -> list[str]:
    with pytest.raises(SpecError) as raised:
        parse_study(data, "<test>")
    return raised.value.problems


def test_design_without_region_takes_the_first_region():
    """A design with no region lands in the network's first region, whatever its name."""
    study = parse_study(_study(network=WEST_FIRST))
    assert study.designs[0].region == "us-west-2"


def test_multi_az_instance_gets_first_two_azs():
    """Primary and standby default to the first and second AZ of the design's region."""
    design = parse_study(_study()).designs[0]
    assert (design.primary_az, design.standby_az) == ("us-east-1a", "us-east-1b")


def test_single_az_gets_first_az():
    """A single-AZ instance defaults to its region's first AZ."""
    design = parse_study(_study(designs=[{"name": "s", "kind": "rds_single_az"}])).designs[0]
    assert design.az == "us-east-1a"


def test_cluster_gets_three_azs():
    """A Multi-AZ DB cluster defaults to the first three AZs of its region."""
    design = parse_study(_study(designs=[{"name": "c", "kind": "rds_multi_az_cluster"}]))
    assert design.designs[0].azs == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_replicas_get_names_regions_and_azs():
    """Unnamed replicas are named after the design; region and AZ are filled in."""
    replicas = [{}, {"region": "us-west-2"}, {"name": "reporting", "az": "us-east-1b"}]
    designs = [{"name": "dr", "kind": "rds_multi_az_instance", "replicas": replicas}]
    same, remote, named = parse_study(_study(designs=designs)).designs[0].replicas
    assert (same.name, same.region, same.az) == ("dr-replica1", "us-east-1", "us-east-1c")
    assert (remote.name, remote.region, remote.az) == ("dr-replica2", "us-west-2", "us-west-2a")
    assert (named.name, named.region, named.az) == ("reporting", "us-east-1", "us-east-1b")


def test_client_regions_default_to_first_region():
    """Observed clients run in the first region unless the workload says otherwise."""
    study = parse_study(_study(network=WEST_FIRST))
    assert study.workload.client_regions == ["us-west-2"]


def test_number_is_a_constant_distribution():
    """A plain number where a distribution is expected is a constant of that value."""
    designs = [{"name": "maz", "kind": "rds_multi_az_instance", "promotion_s": 42,
                "replicas": [{"lag_s": 0.25}]}]
    design = parse_study(_study(designs=designs)).designs[0]
    assert design.promotion_s == Constant(value=42.0)
    assert design.promotion_s.mean == 42.0
    assert design.replicas[0].lag_s == Constant(value=0.25)


def test_mapping_selects_distribution_family():
    """``{dist: lognormal, median, p99}`` builds a lognormal with that median."""
    designs = [{"name": "maz", "kind": "rds_multi_az_instance",
                "promotion_s": {"dist": "lognormal", "median": 60, "p99": 120}}]
    promotion = parse_study(_study(designs=designs)).designs[0].promotion_s
    assert isinstance(promotion, LogNormal)
    assert promotion.median == 60.0
    assert promotion.mean > 60.0  # right-skewed


def test_boolean_is_not_a_constant():
    """``true`` is not silently read as the constant 1."""
    designs = [{"name": "maz", "kind": "rds_multi_az_instance", "promotion_s": True}]
    assert _problems(_study(designs=designs))[0].startswith("designs.0.promotion_s:")


def test_fault_targets_default_by_kind():
    """Faults without a target hit the primary, its AZ or its region."""
    faults = [{"kind": "instance_crash", "at_s": 10}, {"kind": "az_outage", "at_s": 20},
              {"kind": "region_outage", "at_s": 30}]
    study = parse_study(_study(scenarios=[{"name": "all", "scheduled": faults}]))
    targets = [f.target for f in study.scenarios[0].scheduled]
    assert targets == ["primary", "primary_az", "primary_region"]


def test_disruption_class_defaults_by_kind():
    """Each fault kind maps to a Resilience Hub disruption class unless overridden."""
    faults = [{"kind": "instance_crash", "at_s": 10},
              {"kind": "instance_crash", "at_s": 20, "disruption": "Software"}]
    study = parse_study(_study(scenarios=[{"name": "two", "scheduled": faults}]))
    classes = [f.disruption_class for f in study.scenarios[0].scheduled]
    assert classes == ["Hardware", "Software"]


def test_resolved_study_round_trips_through_json():
    """A resolved study survives JSON (how it reaches worker processes) unchanged."""
    replicas = [{"region": "us-west-2"}]
    designs = [{"name": "dr", "kind": "rds_multi_az_instance", "replicas": replicas}]
    study = parse_study(_study(designs=designs, network=WEST_FIRST))
    assert Study.model_validate_json(study.model_dump_json()) == study


def test_two_field_mistakes_are_both_listed():
    """SpecError.problems holds one line per problem, every problem of the file."""
    data = _study(runs=0, designs=[{"name": "maz", "kind": "rds_multi_az"}])
    problems = _problems(data)
    assert len(problems) == 2
    assert any(p.startswith("runs:") for p in problems)
    assert any(p.startswith("designs.0.kind:") for p in problems)


def test_two_place_mistakes_are_both_listed():
    """Cross-field problems (names, places) are all collected too."""
    data = _study(
        designs=[{"name": "maz", "kind": "rds_multi_az_instance", "region": "us-east-3"}],
        workload={"client_regions": ["eu-west-1"]},
    )
    problems = _problems(data)
    assert [p.split(":")[0] for p in problems] == ["designs.0.region", "workload.client_regions.0"]


@pytest.mark.xfail(strict=True, reason="Study._resolve_and_check_places is a pydantic 'after' "
                   "validator: it never runs when any field fails, so place problems are hidden")
def test_field_and_place_mistakes_are_both_listed():
    """A bad field and an unknown region in one file: both problems are reported at once."""
    data = _study(
        runs=0,
        designs=[{"name": "maz", "kind": "rds_multi_az_instance", "region": "us-east-3"}],
    )
    assert {p.split(":")[0] for p in _problems(data)} == {"runs", "designs.0.region"}


def test_spec_error_message_names_source_and_each_problem():
    """str(SpecError) starts with the source and indents one line per problem."""
    with pytest.raises(SpecError) as raised:
        parse_study(_study(runs=0, horizon_s=-1), "orders.yaml")
    lines = str(raised.value).splitlines()
    assert lines[0] == "orders.yaml: invalid study"
    assert len(lines) == 3
    assert all(line.startswith("  ") for line in lines[1:])


def test_top_level_must_be_a_mapping():
    """A list (or any non-mapping) at the top level is one clear problem."""
    (problem,) = _problems([_study()])
    assert problem.startswith("the top level must be a mapping") and "list" in problem


def test_empty_client_regions_is_rejected():
    """An empty client_regions list is a problem at workload.client_regions."""
    problems = _problems(_study(workload={"client_regions": []}))
    assert problems[0].startswith("workload.client_regions")


def test_load_study_reports_yaml_syntax_with_line(tmp_path):
    """A YAML syntax error is reported with its line and column, not a traceback."""
    path = tmp_path / "bad.yaml"
    path.write_text("name: t\ndesigns: [\n  {name: a\n")
    with pytest.raises(SpecError) as raised:
        load_study(path)
    assert raised.value.source == str(path)
    assert raised.value.problems[0].startswith("line ")
    assert "not valid YAML" in raised.value.problems[0]


def test_load_study_missing_file(tmp_path):
    """A file that does not exist is a SpecError saying it cannot be read."""
    with pytest.raises(SpecError) as raised:
        load_study(tmp_path / "nope.yaml")
    assert raised.value.problems[0].startswith("cannot read the file")


def test_with_scenarios_keeps_the_named_scenarios_in_study_order():
    """A subset of the scenarios, in the study's order; names are checked, none is refused."""
    faults = [{"kind": "instance_crash", "at_s": 60}]
    study = parse_study(_study(scenarios=[{"name": n, "scheduled": faults}
                                          for n in ("a", "b", "c")]))
    assert [s.name for s in study.with_scenarios(["c", "a"]).scenarios] == ["a", "c"]
    assert [s.name for s in study.with_scenarios("b").scenarios] == ["b"]
    assert study.with_scenarios(["a"]).designs == study.designs
    with pytest.raises(KeyError, match="no scenario 'zz'"):
        study.with_scenarios(["a", "zz"])
    with pytest.raises(ValueError, match="at least one scenario"):
        study.with_scenarios([])


def test_with_scenarios_leaves_the_kept_runs_unchanged():
    """Streams are keyed by name, so run i of a kept scenario is the same run."""
    from hadrsim.experiments.run import run_once

    faults = [{"kind": "instance_crash", "at_s": 60}]
    study = parse_study(_study(horizon_s=300, scenarios=[
        {"name": "first", "scheduled": faults}, {"name": "second", "scheduled": faults}]))
    whole = run_once(study, "maz", "second", 0)
    alone = run_once(study.with_scenarios(["second"]), "maz", "second", 0)
    assert alone.ok and alone.history_hash == whole.history_hash
    assert alone.metrics["rto_write_s"] == whole.metrics["rto_write_s"]
