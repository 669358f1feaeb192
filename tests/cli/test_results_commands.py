"""``hadrsim results``: a store read back as CSV and Parquet, with clear errors."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest
from typer.testing import CliRunner

from hadrsim.cli import app


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def store(tiny, tmp_path) -> str:
    study = tiny
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = _invoke("run", study, "--store", url, "--workers", 1)
    assert result.exit_code == 0, result.output
    return url


def test_export_csv_and_parquet_hold_the_same_rows(store, tmp_path):
    pytest.importorskip("pyarrow")
    csv, parquet = tmp_path / "runs.csv", tmp_path / "runs.parquet"
    result = _invoke("results", "export", store, "--csv", csv, "--parquet", parquet)
    assert result.exit_code == 0, result.output
    from_csv, from_parquet = pd.read_csv(csv), pd.read_parquet(parquet)
    assert len(from_csv) == len(from_parquet) == 2
    assert list(from_parquet["run_index"]) == list(from_csv["run_index"])
    assert from_parquet["rto_write_s"].tolist() == pytest.approx(from_csv["rto_write_s"].tolist())


def test_export_without_a_format_exits_2(store):
    result = _invoke("results", "export", store)
    assert result.exit_code == 2
    assert "--csv" in result.output


def test_show_prints_the_stored_study_tables(store):
    result = _invoke("results", "show", store)
    assert result.exit_code == 0, result.output
    assert "maz" in result.output and "crash" in result.output


def test_reading_commands_never_create_a_store(tmp_path):
    missing = tmp_path / "typo.db"
    for args in (("list",), ("show",), ("export", "--csv", tmp_path / "x.csv")):
        result = _invoke("results", args[0], f"sqlite:///{missing}", *args[1:])
        assert result.exit_code == 2, result.output
        assert "no such results store" in result.output
    assert not missing.exists() and not (tmp_path / "x.csv").exists()


def test_outputs_get_the_usual_file_mode(store, tmp_path):
    csv = tmp_path / "runs.csv"
    assert _invoke("results", "export", store, "--csv", csv).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(csv.stat().st_mode) == 0o666 & ~umask


def test_a_bad_output_path_names_its_own_option(store, tmp_path):
    result = _invoke("results", "export", store, "--parquet", tmp_path / "no-dir" / "r.pq")
    assert result.exit_code == 2
    assert "--parquet" in result.output and "--json" not in result.output
