"""``hadrsim compare`` decides: the paragraph first, the JSON recommendation, store/resume."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.experiments.decision import decide
from hadrsim.experiments.montecarlo import RunTask
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.summary import summarize_study
from hadrsim.experiments.tables import compare_table, scenario_figures_table
from hadrsim.spec.loader import load_study

RUNNER = CliRunner()


@pytest.fixture
def tiny_with_policy(tiny_meeting_policy):
    """compare's tests: a policy the tiny study's design always meets."""
    return tiny_meeting_policy


def _invoke(*args):
    return RUNNER.invoke(app, [str(a) for a in args])


def test_compare_decides_and_the_paragraph_comes_first(tiny_with_policy, tmp_path):
    out = tmp_path / "r.json"
    result = _invoke("compare", tiny_with_policy, "--workers", "1", "--json", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Choose maz")
    assert "97.5% one-sided" in result.stdout
    advice = json.loads(out.read_text())["recommendation"]
    assert advice["design"] == "maz" and advice["decided"] is True
    assert advice["runs"] == {"maz": 81}
    assert advice["sentence"].startswith("Choose maz")


def test_compare_fixed_runs_and_design_option(tiny_with_policy, tmp_path):
    out = tmp_path / "r.json"
    result = _invoke("compare", tiny_with_policy, "--runs", "3", "--design", "maz",
                     "--workers", "1", "--json", out)
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["recommendation"]["decided"] is False
    assert document["recommendation"]["runs"] == {"maz": 3}
    assert document["decision_rule"]["sequential"] is False
    bad = _invoke("compare", tiny_with_policy, "--design", "nope")
    assert bad.exit_code == 2 and "--design 'nope'" in bad.stderr


def test_compare_store_and_resume_reuse_every_run(tiny_with_policy, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    first = _invoke("compare", tiny_with_policy, "--workers", "1", "--max-runs", "20",
                    "--store", url)
    assert first.exit_code == 0, first.output
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("select count(*) from runs")).scalar()
    assert stored == 20
    again = _invoke("compare", tiny_with_policy, "--workers", "1", "--max-runs", "20",
                    "--store", url, "--resume")
    assert again.exit_code == 0, again.output
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from runs")).scalar() == 20
    assert again.stdout.splitlines()[0] == first.stdout.splitlines()[0]
    assert _invoke("compare", tiny_with_policy, "--resume").exit_code == 2


def _securecart_document():
    study = load_study("experiments/securecart.yaml")

    def fake(tasks: list[RunTask]) -> list[RunResult]:
        out = []
        for t in tasks:
            cls = study.scenario(t.scenario).scheduled[0].disruption_class
            met = t.design not in ("single-az",) and not (
                cls == "Region" and t.design in ("multi-az", "multi-az-cluster", "aurora"))
            episode = {"disruption": cls, "recovered_write": True,
                       "rto_write_s": 30.0 if met else 9000.0, "rpo_s": 0.0,
                       "rto_read_s": 30.0, "recovered_read": True, "lost_writes": 0}
            out.append(RunResult(t.design, "k", t.scenario, t.run_index, 0, 600.0,
                                 episodes=[episode]))
        return out

    decision = decide(study, fake)
    return study, summarize_study(study, decision.results, None, decision)


def test_verdict_table_fits_120_columns_without_cutting_names():
    study, document = _securecart_document()
    advice = document["recommendation"]
    assert advice["design"] == "multi-az-dr" and advice["decided"]
    # the paragraph names the assumed figures the verdict rests on, with the study's values
    assert "operator delay before a cross-Region promotion, median 15 min" in advice["sentence"]
    assert "a corruption noticed after a median 10 min" in advice["sentence"]
    assert "Not candidates (engine dynamodb" in advice["sentence"]
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=False, color_system=None)
    console.print(compare_table(document, study.policy))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 120
    rows = [line for line in lines if "│" in line]
    names = {line.split("│")[0].strip() for line in rows}
    assert {d.name for d in study.designs} <= names
    assert any("meets, chosen" in line for line in rows)
    assert any("not a candidate: engine" in line for line in rows)
    wide = io.StringIO()  # its natural width, not squeezed by the console, is within 120
    Console(file=wide, width=200, color_system=None).print(compare_table(document, study.policy))
    assert max(len(line.rstrip()) for line in wide.getvalue().splitlines()) <= 120
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(scenario_figures_table(document))
    assert all(len(line) <= 120 for line in buffer.getvalue().splitlines())


def test_max_runs_with_fixed_runs_is_refused(tiny_with_policy):
    result = _invoke("compare", tiny_with_policy, "--runs", "3", "--max-runs", "2")
    assert result.exit_code == 2 and "--max-runs" in result.stderr


def test_detail_adds_a_table_per_design(tiny_with_policy):
    plain = _invoke("compare", tiny_with_policy, "--runs", "2", "--workers", "1")
    detail = _invoke("compare", tiny_with_policy, "--runs", "2", "--workers", "1", "--detail")
    assert plain.exit_code == detail.exit_code == 0, detail.output
    title = "maz (rds_multi_az_instance): 2 runs"
    assert title not in plain.stdout and title in detail.stdout
