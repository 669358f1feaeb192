"""``hadrsim lab grade``: one papermill run per student, one verdict row each.

Two students run Lab 1 with their own parameters (the emulator section off, few runs): one
keeps the hypothesis' bound and answers Q2 right, the other sets a bound no design can
meet — a finding, recorded red, not raised — and answers Q2 wrong. A class list that is not
one exits 2 and writes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.lab import Lab, LabFailed, read_class_list

pytest.importorskip("papermill")

LAB1 = Path(__file__).resolve().parents[2] / "notebooks" / "01-multi-az.ipynb"


def test_a_class_is_graded_one_verdict_row_per_student(tmp_path):
    students = tmp_path / "students.csv"
    students.write_text("student,SEED,RUNS,LIMIT_S,EMULATE\n"
                        "ana,2026,3,120,false\n"
                        "bo,7,3,1,false\n")
    out = tmp_path / "verdicts.csv"
    result = CliRunner().invoke(app, ["lab", "grade", str(LAB1), "--params", str(students),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {row["student"]: row for row in csv.DictReader(out.open())}
    assert rows["ana"]["verdict"] == "green" and rows["bo"]["verdict"] == "red"
    hypothesis = next(name for name in rows["bo"] if name.startswith("a Multi-AZ instance"))
    assert rows["ana"][hypothesis] == "passed" and rows["bo"][hypothesis] == "failed"
    assert rows["ana"]["unanswered"] == "3"  # the questions nobody answered: not failures
    assert "1 graded" not in result.output and "2 graded, 1 green" in result.output


def test_a_bad_class_list_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "students.csv"
    bad.write_text("name,SEED\nana,1\n")
    out = tmp_path / "verdicts.csv"
    result = CliRunner().invoke(app, ["lab", "grade", str(LAB1), "--params", str(bad),
                                      "--out", str(out)])
    assert result.exit_code == 2 and "'student' column" in result.output
    assert not out.exists()


def test_class_list_values_become_parameters(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("student,SEED,LIMIT_S,EMULATE,NAME,EMPTY\nana,7,1.5,False,x,\n")
    assert read_class_list(path) == [{"student": "ana", "SEED": 7, "LIMIT_S": 1.5,
                                      "EMULATE": False, "NAME": "x", "EMPTY": None}]


def test_strict_raises_listing_failures_and_grading_records_them(tmp_path):
    strict = Lab("t")
    strict.check("holds", True)
    strict.hypothesis("claim", False, measured="got 3")
    strict.answer("Q", None, expected=1)
    with pytest.raises(LabFailed, match="claim: got 3"):
        strict.verdict()
    lenient = Lab("t", strict=False, verdict_path=tmp_path / "v.json")
    lenient.answer("Q1", 1.04, expected=1.0449, places=2)  # rounds both: 1.04 == 1.04
    lenient.answer("Q2", "aurora", expected="aurora")
    assert lenient.verdict() == "green" and (tmp_path / "v.json").exists()
    lenient.answer("Q2", "multi-az", expected="aurora")  # a rerun cell replaces its check
    assert lenient.verdict() == "red" and len(lenient.checks) == 2
    assert lenient.answer("Q3", "eighty", expected=84.2, places=1).detail.endswith(
        "not a number")  # a typo is a wrong answer, not a crashed check cell
