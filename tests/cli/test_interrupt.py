"""Long commands under Ctrl-C, SIGTERM and SIGKILL, with real signals on a real process.

Also the plain progress line a log gets when stderr is not a terminal.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer

from hadrsim.cli.common import run_progress
from hadrsim.cli.interrupt import interruptible
from hadrsim.cli.progress import PlainProgress

SLOW_STUDY = """\
name: slowish
seed: 11
runs: {runs}
horizon_s: 300
designs:
  - {{name: maz, kind: rds_multi_az_instance}}
scenarios:
  - name: crash
    scheduled: [{{kind: instance_crash, target: primary, at_s: 60}}]
"""
linux_only = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")


def _start(tmp_path: Path, runs: int, *extra: str) -> tuple[subprocess.Popen, Path, str]:
    study = tmp_path / "slowish.yaml"
    study.write_text(SLOW_STUDY.format(runs=runs))
    db = tmp_path / "runs.db"
    url = f"sqlite:///{db}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hadrsim", "run", str(study), "--store", url,
         "--workers", "2", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return proc, db, url


def _stored(db: Path) -> list[tuple[str, str, int]]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("select design, scenario, run_index from runs").fetchall()
    except sqlite3.OperationalError:
        return []  # the store is not created yet


def _wait_for_runs(proc: subprocess.Popen, db: Path, count: int, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while len(_stored(db)) < count:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no runs stored"
        time.sleep(0.1)


def _live_processes_naming(marker: str) -> list[int]:
    """Pids (not zombies) whose command line contains ``marker``: our workers included."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_stops_within_3_s_with_one_line(tmp_path, sig):
    """Ctrl-C or SIGTERM: exit 130 within 3 s, one 'interrupted:' line, no traceback."""
    proc, db, url = _start(tmp_path, 400)
    try:
        _wait_for_runs(proc, db, 3)
        proc.send_signal(sig)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=15)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert took < 3.0, f"took {took:.1f} s to stop"
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("interrupted:")]
    assert len(lines) == 1, err
    stored = len(_stored(db))
    assert 0 < stored < 400
    assert lines[0] == f"interrupted: {stored} runs stored in {url}; rerun with --resume"
    assert not _live_processes_naming(str(db))  # workers were terminated, not left behind


@linux_only
@pytest.mark.slow
def test_sigkill_leaves_no_orphan_and_resume_completes_exactly(tmp_path):
    """SIGKILL mid-study: runs stored so far kept, workers gone in 5 s, resume fills the rest."""
    total = 60
    proc, db, url = _start(tmp_path, total)
    try:
        _wait_for_runs(proc, db, 4)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    kept = _stored(db)
    assert 0 < len(kept) < total
    deadline = time.monotonic() + 5.0
    while _live_processes_naming(str(db)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _live_processes_naming(str(db)), "a worker outlived the killed command"
    resumed = subprocess.run(
        [sys.executable, "-m", "hadrsim", "run", str(tmp_path / "slowish.yaml"),
         "--store", url, "--workers", "2", "--resume"],
        capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    rows = _stored(db)
    assert len(rows) == len(set(rows)) == total  # no duplicate, no missing run
    assert set(rows) == {("maz", "crash", i) for i in range(total)}
    assert set(kept) <= set(rows)


def test_interruptible_without_store_says_nothing_stored(capsys):
    with pytest.raises(typer.Exit) as stop, interruptible():
        raise KeyboardInterrupt
    assert stop.value.exit_code == 130
    assert capsys.readouterr().err == "interrupted: nothing stored (no --store)\n"


def test_sigterm_inside_is_a_ctrl_c_and_the_handler_is_restored(capsys):
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(typer.Exit) as stop, interruptible("sqlite:///x.db", lambda: 1):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert stop.value.exit_code == 130
    assert capsys.readouterr().err == (
        "interrupted: 1 run stored in sqlite:///x.db; rerun with --resume\n")
    assert signal.getsignal(signal.SIGTERM) is before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --- the plain progress line (stderr not a terminal) ---------------------------------------

def test_plain_progress_reports_done_total_rate_and_eta():
    lines: list[str] = []
    with PlainProgress(40, "simulating", lines.append, every_s=0.05) as progress:
        for _ in range(10):
            progress.advance()
        time.sleep(0.3)
    assert re.fullmatch(r"simulating: 10/40 runs \(25%\), [\d.]+ runs/s, ETA \d+:\d\d:\d\d",
                        lines[0]), lines
    assert lines[-1].startswith("simulating: 10 runs in ")


def test_quick_commands_print_no_progress_and_stdout_stays_clean(capsys):
    with run_progress(5) as advance:
        for _ in range(5):
            advance(None)
    assert capsys.readouterr() == ("", "")  # the first line would come after 5 s


def test_long_commands_print_progress_to_stderr_only(capsys):
    with run_progress(None, "deciding", every_s=0.05) as advance:
        advance(None)
        time.sleep(0.3)
    out, err = capsys.readouterr()
    assert out == ""
    assert re.match(r"deciding: 1 runs, [\d.]+ runs/s, \d+:\d\d:\d\d elapsed\n", err), err


@linux_only
@pytest.mark.slow
def test_compare_interrupted_then_resumed_reaches_the_same_decision(tmp_path):
    """Ctrl-C in the sequential decision: one line, exit 130; --resume replays the batches
    from the store and decides with exactly the runs an uninterrupted decision needs."""
    study = tmp_path / "decide.yaml"
    study.write_text(SLOW_STUDY.format(runs=1) + "policy:\n  Hardware: {rto_s: 200, rpo_s: 0}\n")
    db = tmp_path / "runs.db"
    url = f"sqlite:///{db}"
    command = [sys.executable, "-m", "hadrsim", "compare", str(study), "--store", url,
               "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_runs(proc, db, 5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert [line for line in err.splitlines() if line.startswith("interrupted:")] == [
        f"interrupted: {len(_stored(db))} runs stored in {url}; rerun with --resume"]
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("Choose maz")
    rows = _stored(db)
    assert len(rows) == len(set(rows)) and set(rows) <= {("maz", "crash", i) for i in range(90)}
    assert {("maz", "crash", i) for i in range(81)} <= set(rows)
