"""Unusable endpoints: one clear line, exit status 2, nothing written anywhere."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hadrsim.cli import app

UNREACHABLE = "postgresql+psycopg://u:p@127.0.0.1:1/x"


def _run(*args: str):
    return CliRunner().invoke(app, ["migrate", *args])


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(("source", "says"), [
    ("notadialect://x/y", "unknown dialect or driver"),
    ("mysql+nosuchdriver://u:p@localhost/x", "unknown dialect or driver"),
    ("postgresql+psycopg://u:p@127.0.0.1:notaport/x", "not a SQLAlchemy URL"),
    ("postgresql+pg8000://u:p@127.0.0.1/x", "driver not installed"),
    (UNREACHABLE, "cannot connect to source"),
    ("no/such/file.db", "no such SQLite file"),
])
def test_bad_source_exits_2_with_one_line_and_no_target(tmp_path, source, says):
    """A bad URL, unknown driver, unreachable server or missing file: exit 2, one line,
    and the target file is never created."""
    target = tmp_path / "target.db"
    result = _run(source, str(target), "--cdc-seconds", "0")
    assert result.exit_code == 2, result.output
    lines = _lines(result.stderr)
    assert len(lines) == 1 and says in lines[0], lines
    assert "p@" not in lines[0], "the password must not be printed"
    assert not target.exists()


def test_unreachable_source_in_a_real_process(tmp_path):
    """The installed command, not just the in-process runner: exit 2, one line on stderr."""
    target = tmp_path / "target.db"
    proc = subprocess.run([sys.executable, "-m", "hadrsim", "migrate", UNREACHABLE, str(target)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert len(_lines(proc.stderr)) == 1 and proc.stdout == ""
    assert not target.exists()


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unreachable_target_leaves_the_source_untouched(sqlite_source, tmp_path):
    """Target in a directory that does not exist: exit 2, the source file unchanged."""
    source = sqlite_source.removeprefix("sqlite:///")
    from pathlib import Path

    before = _digest(Path(source))
    result = _run(sqlite_source, str(tmp_path / "missing-dir" / "target.db"))
    assert result.exit_code == 2 and "cannot connect to target" in result.stderr
    assert len(_lines(result.stderr)) == 1
    assert _digest(Path(source)) == before


def test_target_with_the_tables_already_is_refused(sqlite_source, tmp_path):
    """Migrating twice into the same target would duplicate rows: exit 2 instead."""
    target = str(tmp_path / "target.db")
    assert _run(sqlite_source, target, "--cdc-seconds", "0").exit_code == 0
    result = _run(sqlite_source, target, "--cdc-seconds", "0")
    assert result.exit_code == 2 and "already has tables" in result.stderr


def test_table_without_primary_key_is_refused(tmp_path):
    """Change capture needs a primary key to apply updates and deletes."""
    source = tmp_path / "source.db"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE log (line TEXT)")
    target = tmp_path / "target.db"
    result = _run(str(source), str(target))
    assert result.exit_code == 2 and "without a primary key" in result.stderr
    assert not target.exists()
