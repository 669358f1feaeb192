"""Each stored run keeps its records: a compact versioned blob; older stores migrate."""

from __future__ import annotations

import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.experiments.experiment import Experiment
from hadrsim.experiments.record_store import (
    MAGIC,
    RecordsFormatError,
    decode_records,
    encode_records,
)
from hadrsim.experiments.results import open_results
from hadrsim.experiments.run import simulate
from hadrsim.experiments.store import SCHEMA_VERSION, ResultsStore, StoreError
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import ControlEvent, Fault, RoleChange

V2_STORE = Path(__file__).parents[1] / "data" / "store-v2.sqlite3"
"""Written by hadrsim before records were stored (schema 2): ``hadrsim run`` of
tests/cli/conftest.py's tiny study with its policy, 2 runs, --store."""

TINY = {
    "name": "tiny", "seed": 11, "runs": 2, "horizon_s": 300.0,
    "designs": [{"name": "maz", "kind": "rds_multi_az_instance"}],
    "scenarios": [{"name": "crash", "scheduled": [
        {"kind": "instance_crash", "target": "primary", "at_s": 60.0}]}],
}


def test_records_round_trip_value_for_value(make_study):
    """A decoded run has the original's history hash: every value, type and None kept."""
    study = make_study(**TINY)
    world = simulate(study, "maz", "crash", 0)
    blob = encode_records(world.rec)
    assert blob.startswith(MAGIC)
    back = decode_records(blob)
    assert back.history_hash() == world.rec.history_hash()
    assert back.horizon_s == world.rec.horizon_s and back.final == world.rec.final


def test_odd_columns_round_trip():
    """Mixed int and float, all-None columns, tuples of strings, empty record lists."""
    rec = Recorder(horizon_s=10.0)
    rec.roles = [RoleChange(0, "a", "primary", 1), RoleChange(2.5, "b", "replica", 1, "db")]
    rec.faults = [Fault(1, "az_outage", "az:x", "AZ", 1.0, None, ("x", "y")),
                  Fault(2, "crash", "node:a", "Hardware", 2.0, 3.0, ())]
    rec.control = [ControlEvent(1.0, "e", None, ""), ControlEvent(2.0, "e", "n", "d")]
    back = decode_records(encode_records(rec))
    assert back.roles == rec.roles and type(back.roles[0].time_s) is int
    assert back.faults == rec.faults and back.control == rec.control
    assert back.ops == [] and back.final is None
    assert back.history_hash() == rec.history_hash()


def test_a_newer_or_foreign_blob_is_refused():
    """A blob of a newer format, or an unknown record set type, is never misread."""
    blob = encode_records(Recorder(horizon_s=1.0))
    with pytest.raises(RecordsFormatError, match="upgrade hadrsim"):
        decode_records(MAGIC + bytes([99]) + blob[len(MAGIC) + 1:])
    with pytest.raises(RecordsFormatError, match="not a hadrsim records blob"):
        decode_records(b"PK\x03\x04")
    body = zlib.decompress(blob[len(MAGIC) + 1:]).replace(b'"ClientOp"', b'"OpRunsV9"')
    with pytest.raises(RecordsFormatError, match="OpRunsV9"):
        decode_records(blob[:len(MAGIC) + 1] + zlib.compress(body))
    body = zlib.decompress(blob[len(MAGIC) + 1:]).replace(b'"ClientOp","version":1',
                                                          b'"ClientOp","version":2')
    with pytest.raises(RecordsFormatError, match="'ClientOp' version 2"):
        decode_records(blob[:len(MAGIC) + 1] + zlib.compress(body))


def _v2_copy(tmp_path) -> tuple[Path, str]:
    path = tmp_path / "old.sqlite"
    shutil.copyfile(V2_STORE, path)
    return path, f"sqlite:///{path}"


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version FROM hadrsim_schema").fetchone()[0]


def test_an_older_store_is_read_as_it_is(tmp_path):
    """A schema-2 store is read without being altered; its runs have no records."""
    path, url = _v2_copy(tmp_path)
    before = path.read_bytes()
    res = open_results(url)
    assert len(res.results) == 2 and res.summary()["designs"][0]["name"] == "maz"
    with pytest.raises(StoreError, match="schema version 2 predates stored records"):
        res.records("maz", "crash", 0)
    res.close()
    assert _version(path) == 2 and path.read_bytes() == before


def test_writing_to_an_older_store_is_refused_naming_the_migrate_command(tmp_path):
    path, url = _v2_copy(tmp_path)
    with pytest.raises(StoreError) as info:
        ResultsStore(url)
    message = str(info.value)
    assert "schema version 2" in message and f"hadrsim results migrate {url}" in message
    assert _version(path) == 2


def test_resume_migrates_in_place_with_a_backup(tmp_path):
    """Resuming migrates the store (backup next to it), reuses its runs, keeps new records."""
    path, url = _v2_copy(tmp_path)
    old = open_results(url)  # the very study the old store holds
    study = old.study
    old.close()
    seen = []
    res = Experiment(study, url).run(runs=3, workers=1, resume=True, on_result=seen.append)
    backup = path.with_name("old.sqlite.v2.bak")
    assert backup.is_file() and _version(backup) == 2 and _version(path) == SCHEMA_VERSION
    assert [r.run_index for r in seen] == [2]  # runs 0 and 1 came from the old store
    assert [r.run_index for r in res.results] == [0, 1, 2]
    assert len(res.records("maz", "crash", 2)["ops"]) > 0
    with pytest.raises(StoreError, match="without records"):
        res.records("maz", "crash", 0)


def test_the_migrate_command(tmp_path):
    path, url = _v2_copy(tmp_path)
    result = CliRunner().invoke(app, ["results", "migrate", url])
    assert result.exit_code == 0, result.output
    assert "from store schema 2 to 3" in result.stdout and "old.sqlite.v2.bak" in result.stdout
    assert _version(path) == SCHEMA_VERSION
    again = CliRunner().invoke(app, ["results", "migrate", url])
    assert again.exit_code == 0 and "already" in again.stdout
    assert ResultsStore(url).version == SCHEMA_VERSION



def test_migration_backup_never_writes_through_a_symlink(tmp_path):
    """A dangling symlink where the backup would go is skipped, not followed."""
    path, url = _v2_copy(tmp_path)
    outside = tmp_path / "elsewhere.db"
    path.with_name(f"{path.name}.v2.bak").symlink_to(outside)
    result = CliRunner().invoke(app, ["results", "migrate", url])
    assert result.exit_code == 0, result.output
    assert not outside.exists()
    assert f"{path.name}.v2.bak.1" in result.stdout
