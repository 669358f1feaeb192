"""Safe output and bounded commands: exit 2, one line, nothing written, nothing simulated.

Tests run as root here and in CI, and root passes ``os.access`` and permission
bits on directories; an unwritable directory is therefore one root cannot write
either (``/sys``, ``/proc``). Devices are made with ``mknod`` inside ``tmp_path``
(never the real ``/dev/null``: the old code would have replaced it) and only the
pure check is pointed at the real ``/dev/null`` and ``/dev/full``.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

import hadrsim.cli.study as study_cli
from hadrsim.cli import app
from hadrsim.cli.common import _check_output, _write_atomically
from hadrsim.experiments.experiment import Experiment
from hadrsim.experiments.montecarlo import RunExecutor


def _invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _one_line_exit_2(result) -> str:
    assert result.exit_code == 2, (result.exception, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def no_simulation(monkeypatch):
    """Any simulation fails the test: refusals must come before the work."""
    def forbidden(*args, **kwargs):
        raise AssertionError("simulated before refusing the output")
    for name in ("run_sweep", "simulate"):
        monkeypatch.setattr(study_cli, name, forbidden)
    monkeypatch.setattr(RunExecutor, "run", forbidden)


def _device(tmp_path) -> Path:
    path = tmp_path / "null"
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


def _fifo(tmp_path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def _symlink(tmp_path) -> Path:
    target = tmp_path / "target.json"
    target.write_text("keep me")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    return link


def _read_only(tmp_path) -> Path:
    path = tmp_path / "read-only.json"
    path.write_text("keep me")
    path.chmod(0o444)
    return path


TARGETS = {
    "device": (_device, "is a character device, not a regular file"),
    "fifo": (_fifo, "is a FIFO (named pipe), not a regular file"),
    "symlink": (_symlink, "is a symbolic link"),
    "read-only file": (_read_only, "is read-only"),
    "missing directory": (lambda tmp: tmp / "no" / "out.json", "does not exist"),
    "directory": (lambda tmp: tmp, "is a directory"),
    "unwritable directory (/sys)": (lambda tmp: Path("/sys/hadrsim-out.json"),
                                    "cannot create files in /sys"),
}


def _same(path: Path, before) -> None:
    after = os.lstat(path) if os.path.lexists(path) else None
    assert (before is None) == (after is None)
    if before is not None:
        assert (after.st_mode, after.st_ino, after.st_mtime_ns) == (
            before.st_mode, before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("command", [
    ("run", "--json"), ("sweep", "--csv"), ("events", "--json"), ("events", "--csv"),
    ("report", "-o"),
])
def test_bad_output_refused_before_simulating(kind, command, tiny, tmp_path, no_simulation):
    make, expected = TARGETS[kind]
    target = make(tmp_path)
    before = os.lstat(target) if os.path.lexists(target) else None
    name, flag = command
    extra = {"sweep": ["--set", "horizon_s=300"],
             "events": ["--design", "maz", "--scenario", "crash"]}.get(name, [])
    started = time.perf_counter()
    result = _invoke(name, tiny, *extra, flag, target, "--workers", "1") if name in (
        "run", "sweep", "report") else _invoke(name, tiny, *extra, flag, target)
    line = _one_line_exit_2(result)
    assert time.perf_counter() - started < 10
    assert line.startswith(f"error: {flag} {target}: ") and expected in line, line
    _same(target, before)
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_real_devices_refused_by_the_check(device, capsys):
    with pytest.raises(typer.Exit) as caught:
        _check_output(Path(device))
    assert caught.value.exit_code == 2
    assert "is a character device" in capsys.readouterr().err


@pytest.mark.parametrize("make", [_fifo, _symlink, _device])
def test_writer_refuses_a_non_regular_target_itself(make, tmp_path):
    """Defence in depth: a target that became a FIFO/link/device after the check."""
    target = make(tmp_path)
    before = os.lstat(target)
    with pytest.raises(typer.Exit) as caught:
        _write_atomically(target, lambda handle: handle.write("x"))
    assert caught.value.exit_code == 2
    _same(target, before)
    assert not list(tmp_path.glob("*.tmp"))


def test_writer_refuses_a_target_swapped_during_the_write(tmp_path):
    """The check right before the rename sees what ``write`` did to the target."""
    target = tmp_path / "out.json"
    with pytest.raises(typer.Exit):
        _write_atomically(target, lambda handle: os.mkfifo(target))
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert not list(tmp_path.glob("*.tmp"))


def test_writer_reports_an_unwritable_directory_in_one_line(capsys):
    with pytest.raises(typer.Exit) as caught:
        _write_atomically(Path("/proc/hadrsim-out.json"), lambda handle: handle.write("x"))
    assert caught.value.exit_code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_regular_output_still_written(tiny, tmp_path):
    out = tmp_path / "out.json"
    out.write_text("old")
    result = _invoke("run", tiny, "--json", out, "--workers", "1", "--runs", "1")
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("{")


def test_unreachable_dask_scheduler_reported_in_seconds(tiny, no_simulation):
    started = time.perf_counter()
    result = _invoke("run", tiny, "--scheduler", "tcp://127.0.0.1:1", "--workers", "1")
    line = _one_line_exit_2(result)
    assert time.perf_counter() - started < 10
    assert "--scheduler tcp://127.0.0.1:1: cannot reach a Dask scheduler" in line


def test_cli_runs_capped_like_the_study_field(tiny, no_simulation):
    result = _invoke("run", tiny, "--runs", "1000001")
    assert result.exit_code == 2
    assert "--runs" in result.stderr


def test_costly_run_refused_unless_yes(tiny, tmp_path, no_simulation, monkeypatch):
    result = _invoke("run", tiny, "--runs", "1000000", "--workers", "1")
    line = _one_line_exit_2(result)
    assert "would take about" in line and "--yes" in line
    big = tmp_path / "big.yaml"
    big.write_text(tiny.read_text().replace("horizon_s: 300", "horizon_s: 100000000"))
    line = _one_line_exit_2(_invoke("sweep", big, "--set", "runs=1", "--workers", "1"))
    assert "GB of memory" in line and "horizon_s" in line
    called = []
    monkeypatch.setattr(Experiment, "run", lambda *a, **k: called.append(1) or SimpleNamespace(
        document={"designs": []}))
    _invoke("run", tiny, "--runs", "1000000", "--workers", "1", "--yes")
    assert called == [1]


def test_same_set_path_twice_is_an_error(tiny, no_simulation):
    result = _invoke("sweep", tiny, "--set", "horizon_s=300", "--set", "horizon_s=600")
    line = _one_line_exit_2(result)
    assert "--set horizon_s: given twice" in line


def test_control_characters_in_messages_are_escaped(tmp_path):
    missing = tmp_path / "\x1b[31mred.yaml"
    result = _invoke("validate", missing)
    assert result.exit_code == 2
    assert "\x1b[31m" not in result.stderr
    assert "\\x1b[31mred.yaml" in result.stderr.replace("\n", "")
