"""Worker processes that never outlive the command that started them.

A worker whose parent is killed (SIGKILL, SIGTERM, a crash) would otherwise go
on simulating, or sit blocked on its task queue, for ever. Two guards:

- On Linux, ``prctl(PR_SET_PDEATHSIG)`` asks the kernel to kill the worker the
  moment its parent dies. (The signal follows the *thread* that forked the
  worker: pools are created from the calling thread, which lives as long as
  the pool.)
- Everywhere, a daemon thread polls ``os.getppid()``; when the parent is gone
  the worker is re-parented and the thread ends it (within ``WATCH_S``).

Workers also ignore SIGINT: Ctrl-C in a terminal reaches the whole process
group, and it is the parent's job to stop them, without a traceback from each.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_S = 1.0  # parent-watch poll period: a worker outlives its parent by at most ~1 s


def _set_parent_death_signal(sig: int) -> bool:
    """Linux only: the kernel sends ``sig`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, period_s: float) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)  # parent gone: no cleanup to do, nothing to report to
        threading.Event().wait(period_s)


def die_with_parent(parent_pid: int, period_s: float = WATCH_S) -> None:
    """Make this process (a worker) exit soon after ``parent_pid`` dies.

    Call it first thing in a worker; ``parent_pid`` is the pid the parent saw
    for itself (``os.getpid()`` before starting the worker).
    """
    _set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the prctl took hold
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid, period_s),
                     name="hadrsim-parent-watch", daemon=True).start()


def quiet_worker_signals() -> None:
    """Default SIGTERM (so terminate() works), ignore SIGINT (the parent handles Ctrl-C)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def init_worker_process(parent_pid: int) -> None:
    """Pool initializer: the guards above, for a worker process of ``parent_pid``."""
    quiet_worker_signals()
    die_with_parent(parent_pid)
