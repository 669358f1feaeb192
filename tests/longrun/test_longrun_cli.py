"""``hadrsim longrun``: the document, bad input, the store, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hadrsim.cli import app

KEYS = ("availability", "downtime_min_per_year", "incidents_per_year", "lost_writes_per_year",
        "loss_window_s_per_year", "p_meets_sla", "months_below_sla_per_year", "compound",
        "cost_month_usd", "incident_cost_usd_per_year", "classes", "sla_pct")


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def study_file(longrun_study_file: Path) -> Path:
    return longrun_study_file


def test_longrun_writes_every_figure_per_design(study_file, tmp_path):
    out = tmp_path / "lr.json"
    result = _invoke("longrun", study_file, "--workers", "1", "--json", out)
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert [d["design"] for d in document["designs"]] == ["single", "maz"]
    single, maz = document["designs"]
    for design in document["designs"]:
        assert all(key in design for key in KEYS)
        low, high = design["availability"]["ci95"]
        assert 0 <= low <= design["availability"]["mean"] <= high <= 1
    # AZ outages take a Single-AZ instance down for as long as they last; Multi-AZ fails over
    assert single["downtime_min_per_year"]["mean"] > 10 * maz["downtime_min_per_year"]["mean"]
    assert single["sla_pct"] == 99.5 and maz["sla_pct"] == 99.95  # S27
    assert single["incident_cost_usd_per_year"] == pytest.approx(
        100 * single["downtime_min_per_year"]["mean"]
        + 1 * single["lost_writes_per_year"]["mean"])
    standby = single["classes"][1]
    assert standby["not_applicable"] and standby["episodes"] == 0
    assert "availability" in result.stdout


def test_a_second_call_with_the_store_simulates_nothing_and_agrees(study_file, tmp_path):
    store = tmp_path / "lib.db"
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    ran = _invoke("longrun", study_file, "--workers", "1", "--store", store, "--json", first)
    assert ran.exit_code == 0, ran.output
    assert "episode library" in ran.stderr
    again = _invoke("longrun", study_file, "--workers", "2", "--store", store, "--json", second)
    assert again.exit_code == 0, again.output
    assert "episode library" not in again.stderr  # every episode came from the store
    assert first.read_bytes() == second.read_bytes()
    # the library does not depend on the years drawn or the designs asked for
    other = _invoke("longrun", study_file, "--workers", "1", "--store", store, "--years", 2,
                    "--design", "maz")
    assert other.exit_code == 0, other.output
    assert "episode library" not in other.stderr


def test_same_seed_same_document_on_one_or_two_workers(study_file, tmp_path):
    one, two = tmp_path / "1.json", tmp_path / "2.json"
    assert _invoke("longrun", study_file, "--workers", "1", "--json", one).exit_code == 0
    assert _invoke("longrun", study_file, "--workers", "2", "--json", two).exit_code == 0
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (("--design", "nope"), "--design 'nope': no such design"),
    (("--scenario", "nope"), "scenario 'nope': no such scenario"),
    (("--runs", "5"), "--runs"),
])
def test_bad_options_exit_2_and_write_nothing(study_file, tmp_path, args, message):
    out = tmp_path / "lr.json"
    result = _invoke("longrun", study_file, *args, "--json", out)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_study_without_stochastic_faults_is_refused(study_file, tmp_path):
    path = tmp_path / "scheduled.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(study_file.read_text()), "scenarios": [
        {"name": "one", "scheduled": [{"kind": "instance_crash", "at_s": 10}]}]}))
    result = _invoke("longrun", path)
    assert result.exit_code == 2
    assert "no scenario has stochastic faults" in result.output


def test_the_library_answer_does_not_depend_on_what_the_store_held(study_file, tmp_path):
    """A store filled by a stricter rule (more episodes) gives the same answer as a
    cold call: the rounds are replayed on the first episodes only."""
    data = yaml.safe_load(study_file.read_text())
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump({**data, "longrun": {
        **data["longrun"], "library": {**data["longrun"]["library"], "max_episodes": 16,
                                       "rel_precision": 0.01, "abs_precision_s": 0}}}))
    store = tmp_path / "lib.db"
    assert _invoke("longrun", strict, "--workers", "1", "--store", store).exit_code == 0
    cold, warm = tmp_path / "cold.json", tmp_path / "warm.json"
    assert _invoke("longrun", study_file, "--workers", "1", "--json", cold).exit_code == 0
    assert _invoke("longrun", study_file, "--workers", "1", "--store", store,
                   "--json", warm).exit_code == 0
    assert cold.read_bytes() == warm.read_bytes()


def test_max_episodes_below_min_is_refused(study_file):
    data = yaml.safe_load(study_file.read_text())
    data["longrun"]["library"] = {"min_episodes": 10, "max_episodes": 5}
    study_file.write_text(yaml.safe_dump(data))
    result = _invoke("validate", study_file)
    assert result.exit_code == 2
    assert "longrun.library" in result.output and "max_episodes" in result.output
