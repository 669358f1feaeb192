"""An interrupted RunExecutor cancels queued runs and terminates running ones at once."""

from __future__ import annotations

import os
import signal
import struct
import sys
import threading
import time
from concurrent.futures.process import _ExecutorManagerThread

import pytest

import hadrsim.experiments.montecarlo as mc
from hadrsim.experiments.montecarlo import RunExecutor, RunTask
from hadrsim.experiments.run import RunResult

RUN_S = 0.4


def _slow_run(study, design, scenario, run_index, keep_records=False) -> RunResult:
    time.sleep(RUN_S if run_index == 0 else 30.0)  # run 0 reports the pid, others hang
    return RunResult(design, "fake", scenario, run_index, 0, 0.0,
                     metrics={"pid": float(os.getpid())})


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_interrupt_terminates_running_work_instead_of_waiting(make_study, monkeypatch):
    """KeyboardInterrupt from on_result: run() re-raises within seconds, workers are gone.

    Without cancel and terminate, shutting the pool down waits for the 30 s runs.
    """
    monkeypatch.setattr(mc, "run_once", _slow_run)  # forked workers inherit it
    pids: list[int] = []

    def stop(result: RunResult) -> None:
        pids.append(int(result.metrics["pid"]))
        raise KeyboardInterrupt

    executor = RunExecutor(make_study(), workers=2)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), executor:
        executor.run([RunTask("maz", "crash", i) for i in range(20)], on_result=stop)
    assert time.monotonic() - started < RUN_S + 3.0
    assert pids and not _alive(pids[0])
    assert executor._pool is None  # closed; a new run() would start a fresh pool


def test_close_is_idempotent_and_in_process_needs_no_pool(make_study):
    """workers=1 runs in this process; close() twice is harmless."""
    executor = RunExecutor(make_study(), workers=1)
    [result] = executor.run([RunTask("maz", "crash", 0)])
    assert result.ok and executor._pool is None
    executor.close()
    executor.close()


def _half_sent_run(study, design, scenario, run_index, keep_records=False) -> RunResult:
    """Run 0 starts sending a 1 MB result, sends 7 bytes of it and hangs there."""
    if run_index == 0:
        frame = sys._getframe()
        while "result_queue" not in frame.f_locals:  # the pool's worker loop
            frame = frame.f_back
        writer = frame.f_locals["result_queue"]._writer
        os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"partial")
    time.sleep(30.0)
    raise AssertionError("terminated before this")


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_a_worker_killed_mid_send_does_not_hang_the_exit(make_study, monkeypatch):
    """The pool's manager thread waits for the rest of a half-sent result; stop() ends it.

    A live manager thread is joined when the interpreter exits, so a command hung
    after its 'interrupted:' line (seen in CI: the SIGTERM test timed out at 15 s).
    """
    monkeypatch.setattr(mc, "run_once", _half_sent_run)

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    executor = RunExecutor(make_study(), workers=2)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(KeyboardInterrupt), executor:
            executor.run([RunTask("maz", "crash", i) for i in range(4)])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    managers = [t for t in threading.enumerate() if isinstance(t, _ExecutorManagerThread)]
    for manager in managers:  # failing: free it anyway, or pytest itself hangs at exit
        manager.result_queue._writer.close()
    assert not managers, "the manager thread outlived stop(): the interpreter would hang"
