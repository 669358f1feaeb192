"""Sweeps over dotted spec paths: grid, validation with paths, tidy rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.experiments.experiment import Experiment
from hadrsim.experiments.sweep import (
    SweepError,
    decide_sweep,
    grid,
    parse_assignment,
    run_sweep,
    set_path,
    sweep_studies,
)


def test_parse_assignment_reads_yaml_scalars():
    """Values are typed like YAML: numbers, booleans, names."""
    assert parse_assignment("workload.write_rate_per_s=5,0.5") == (
        "workload.write_rate_per_s", [5, 0.5])
    assert parse_assignment("a.b=true,us-east-1") == ("a.b", [True, "us-east-1"])
    with pytest.raises(SweepError, match="PATH=VALUE"):
        parse_assignment("no-equals-sign")


def test_set_path_walks_dicts_lists_and_names_without_touching_the_original():
    """Indices and ``name`` both address list items; the input dict is not modified."""
    data = {"designs": [{"name": "a", "replicas": [{"region": "x"}]}, {"name": "b"}]}
    out = set_path(data, "designs.0.replicas.0.region", "y")
    assert out["designs"][0]["replicas"][0]["region"] == "y"
    assert data["designs"][0]["replicas"][0]["region"] == "x"
    assert set_path(data, "designs.b.promotion_s", 30)["designs"][1]["promotion_s"] == 30
    assert set_path(data, "workload.observed_clients", 2)["workload"] == {"observed_clients": 2}
    with pytest.raises(SweepError, match="no item 5"):
        set_path(data, "designs.5.name", "z")
    with pytest.raises(SweepError, match="no item named 'zz'"):
        set_path(data, "designs.zz.name", "z")


def test_grid_is_the_cartesian_product():
    """Two paths with 2 and 3 values give 6 points, in order."""
    points = grid([("a", [1, 2]), ("b", ["x", "y", "z"])])
    assert len(points) == 6 and points[0] == {"a": 1, "b": "x"} and points[-1] == {"a": 2, "b": "z"}


def test_every_point_is_validated_with_its_path(make_study):
    """A value the spec refuses is reported with the field path before anything runs."""
    with pytest.raises(SweepError, match="designs.0.region: unknown region 'mars'"):
        sweep_studies(make_study(), [("designs.0.region", ["us-east-1", "mars"])])


def test_run_sweep_gives_one_row_per_point_design_scenario_and_seed(make_study):
    """Tidy rows carry the parameters; the same run index meets the same fault times."""
    study = make_study(horizon_s=300.0, scenarios=[
        {"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 60.0}]}])
    frame = run_sweep(study, [("designs.maz.promotion_s", [10.0, 60.0])], runs=3)
    assert len(frame) == 2 * 1 * 1 * 3
    assert list(frame["designs.maz.promotion_s"]) == [10.0] * 3 + [60.0] * 3
    assert frame["ok"].all()
    fast = frame[frame["designs.maz.promotion_s"] == 10.0]["rto_write_s"].mean()
    slow = frame[frame["designs.maz.promotion_s"] == 60.0]["rto_write_s"].mean()
    assert slow - fast == pytest.approx(50.0, abs=10.0)


def _flip_study(make_study):
    """Two designs, a host crash, a 2-min Hardware target: the promotion time decides."""
    return make_study(
        horizon_s=400.0,
        designs=[{"name": "single", "kind": "rds_single_az"},
                 {"name": "maz", "kind": "rds_multi_az_instance"}],
        scenarios=[{"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 60.0}]}],
        policy={"Hardware": {"rto_s": 120, "rpo_s": 0}})


def test_decide_sweep_decides_every_point_as_the_experiment_would(make_study):
    """Each grid point gets compare's answer (same choice, verdicts and seeds), one row per
    (point, design); where no design meets, the choice is missing and it is still decided."""
    study = _flip_study(make_study)
    path = "designs.maz.promotion_s"
    frame = decide_sweep(study, [(path, [10.0, 300.0])])
    assert list(frame.columns[:3]) == [path, "design", "cost_month_usd"]
    assert len(frame) == 2 * 2 and frame["p_met_Hardware"].notna().all()
    assert frame.loc[frame[path] == 10.0, "choice"].tolist() == ["maz", "maz"]
    assert frame.loc[frame[path] == 300.0, "choice"].isna().all()  # nothing meets
    assert frame["decided"].all()
    for params, point in sweep_studies(study, [(path, [10.0, 300.0])]):
        alone = Experiment(point).decide()
        rows = frame[frame[path] == params[path]].set_index("design")
        answer = alone.summary()["recommendation"]["design"]
        assert rows["chosen"].sum() == (answer is not None)
        assert all(choice == answer if answer else pd.isna(choice) for choice in rows["choice"])
        assert alone.decision is not None
        for name, verdict in alone.decision.designs.items():
            assert (rows.loc[name, "status"], rows.loc[name, "runs"]) == (
                verdict.status, verdict.runs)
            assert rows.loc[name, "p_met_Hardware"] == verdict.classes["Hardware"].p_met


def test_decide_sweep_needs_a_policy_and_known_designs(make_study):
    """Nothing runs without a policy to decide on, or with a design the study lacks."""
    with pytest.raises(SweepError, match="needs a policy"):
        decide_sweep(make_study(), [("designs.maz.promotion_s", [10.0])])
    with pytest.raises(SweepError, match="'nope': no such design"):
        decide_sweep(_flip_study(make_study), [("designs.maz.promotion_s", [10.0])],
                     designs=["nope"])


def test_cli_sweep_bad_path_exits_2_and_writes_nothing(tmp_path):
    """``hadrsim sweep`` refuses a path that does not exist, with exit 2 and no CSV."""
    out = tmp_path / "rows.csv"
    study = Path(__file__).resolve().parents[2] / "experiments" / "securecart.yaml"
    result = CliRunner().invoke(app, ["sweep", str(study),
                                      "--set", "designs.42.region=x", "--csv", str(out)])
    assert result.exit_code == 2
    assert "designs.42" in result.output
    assert not out.exists()
