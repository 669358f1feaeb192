"""A --store path is refused like any output that is not a regular file; events has --yes."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from hadrsim.cli import app


def _invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_store_onto_a_symlink_or_fifo_is_refused(tiny, tmp_path):
    real = tmp_path / "real.db"
    real.write_bytes(b"")
    link = tmp_path / "link.db"
    link.symlink_to(real)
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    for path, word in ((link, "symbolic link"), (fifo, "not a regular file")):
        result = _invoke("run", tiny, "--store", f"sqlite:///{path}", "--workers", "1")
        assert result.exit_code == 2, result.output
        assert word in result.stderr and "Traceback" not in result.output
    assert real.read_bytes() == b""


def test_events_refuses_a_run_too_large_without_yes(tiny):
    big = tiny.read_text().replace("horizon_s: 300", "horizon_s: 1e9")
    tiny.write_text(big)
    result = _invoke("events", tiny, "--design", "maz", "--scenario", "crash")
    assert result.exit_code == 2, result.output
    assert "--yes" in result.stderr
