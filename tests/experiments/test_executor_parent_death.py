"""Workers die with their parent: PR_SET_PDEATHSIG on Linux, a parent-watch thread anywhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")

PARENT = textwrap.dedent("""
    import multiprocessing, os, sys, time
    from hadrsim.experiments import workers

    def child(parent_pid, use_prctl):
        if not use_prctl:  # the fallback alone, as on macOS or Windows
            workers._set_parent_death_signal = lambda sig: False
        workers.init_worker_process(parent_pid)
        time.sleep(120)

    if __name__ == "__main__":
        process = multiprocessing.Process(target=child, args=(os.getpid(), sys.argv[1] == "1"))
        process.start()
        print(process.pid, flush=True)
        time.sleep(120)
""")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("use_prctl", [True, False], ids=["pdeathsig", "watch-thread"])
def test_worker_exits_when_its_parent_is_killed(tmp_path, use_prctl):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    child = None
    parent = subprocess.Popen([sys.executable, str(script), "1" if use_prctl else "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        time.sleep(0.5)  # the child is past its initializer
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5.0
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "worker outlived its parent by 5 s"
    finally:
        parent.kill()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)
