"""A sandbox: one emulation's temporary directory and every server started in it.

Nothing may outlive the emulation: :meth:`Sandbox.close` kills every server (also at exit
and on SIGTERM), and a directory left by a process that was killed outright (its servers
died with it: the parent-death signal) is swept by the next :class:`Sandbox` made on the
machine.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import re
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from hadrsim.emulate.binaries import PgBinaries, run_as, runnable_as
from hadrsim.emulate.processes import (
    alive,
    chown,
    free_port,
    proc_stat,
    release_ipc,
    scan,
    signal_all,
    wait_until,
)
from hadrsim.emulate.server import KEPT, PgServer, ServerError


def default_base() -> Path:
    return Path(tempfile.gettempdir()) / "hadrsim-emulate"


class Sandbox:
    """A temporary directory owned by one emulation, and every server started in it.

    A context manager; close() kills every server, waits for its processes and
    removes the directory (unless ``keep``). It also runs at exit and on SIGTERM."""

    def __init__(self, binaries: PgBinaries, *, keep: bool = False,
                 base: Path | None = None) -> None:
        self.keep = keep
        self.user = run_as()
        self._owner = os.getpid()
        self._servers: dict[str, PgServer] = {}
        self._closed = False
        base = Path(base) if base is not None else default_base()
        if not base.exists():
            base.mkdir(parents=True, exist_ok=True)
            if base == default_base():
                os.chmod(base, 0o1777)  # shared like /tmp: any user's runs, sticky
        sweep(base)
        self.binaries = binaries if self.user is None else runnable_as(binaries, self.user, base)
        # Resolved: processes are matched by their working directory, which /proc resolves.
        self.path = Path(tempfile.mkdtemp(prefix=f"run-{self._owner}-", dir=base)).resolve()
        (self.path / "owner.pid").write_text(f"{self._owner} {_start_time(self._owner)}\n")
        os.chmod(self.path, 0o755)
        chown(self.path, self.user)
        _register(self)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def server(self, name: str) -> PgServer:
        """A new server with its own directory ``path/name`` and a free port."""
        if self._closed:
            raise ServerError("the sandbox is closed")
        if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name) or name in self._servers:
            raise ValueError(f"bad or duplicate server name {name!r}")
        server = PgServer(self, name, free_port())
        server.dir.mkdir()
        chown(server.dir, self.user)
        self._servers[name] = server
        return server

    def close(self) -> None:
        """Kill every server, then remove the directory unless keep; idempotent, and a
        no-op in a forked child (the sandbox is its parent's)."""
        if self._closed or os.getpid() != self._owner:
            return
        self._closed = True
        _OPEN.discard(self)
        self.kill_all()
        for server in self._servers.values():
            with contextlib.suppress(ServerError, ChildProcessError):
                server.kill()
            release_ipc(server.datadir)
        if self.keep:
            (self.path / KEPT).write_text("closed with keep=True: not swept\n")
        else:
            shutil.rmtree(self.path, ignore_errors=True)

    def kill_all(self) -> None:
        """SIGKILL every server at once, without waiting (also from a signal handler)."""
        for server in self._servers.values():
            signal_all(server._processes(), signal.SIGKILL)


def _start_time(pid: int) -> str:
    """The process's start time (/proc/<pid>/stat field 22): with the pid it names one
    process, even after the pid is reused."""
    stat = proc_stat(pid)
    return stat[19] if stat is not None and len(stat) > 19 else "?"


def _owner_alive(run: Path) -> bool:
    """Whether the process that made ``run`` (run-<pid>-...) still runs."""
    try:
        pid_text, started = (run / "owner.pid").read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):  # being made right now, or unreadable: trust the name
        match = re.match(r"run-(\d+)-", run.name)
        return match is None or alive(int(match.group(1)))
    return alive(pid) and started in ("?", _start_time(pid))


def _none_left_under(run: Path) -> bool:
    """SIGKILL the live processes working inside ``run``; True if there were none."""
    inside = str(run) + os.sep
    found = [pid for pid, _, cwd in scan() if cwd and (cwd + os.sep).startswith(inside)]
    signal_all(found, signal.SIGKILL)
    return not found


def sweep(base: Path) -> list[Path]:
    """Remove the ``run-*`` directories under ``base`` whose owner is dead, first killing any
    process still working in them (a postmaster, or backends paused when their owner died);
    the directories removed."""
    removed = []
    for run in sorted(base.glob("run-*")):
        if not run.is_dir() or (run / KEPT).exists() or _owner_alive(run):
            continue
        wait_until(functools.partial(_none_left_under, run), 5.0)
        for lock in run.glob("*/data/postmaster.pid"):
            release_ipc(lock.parent)
        shutil.rmtree(run, ignore_errors=True)
        removed.append(run)
    return removed


_OPEN: set[Sandbox] = set()
_HOOKS = {"atexit": False, "sigterm": False}


def _register(sandbox: Sandbox) -> None:
    """Close every open sandbox at exit; make SIGTERM an exit (raising SystemExit from the
    handler unwinds with-blocks and runs atexit) unless someone else handles SIGTERM."""
    _OPEN.add(sandbox)
    if not _HOOKS["atexit"]:
        _HOOKS["atexit"] = True
        atexit.register(_close_all)
    if not _HOOKS["sigterm"] and threading.current_thread() is threading.main_thread():
        _HOOKS["sigterm"] = True
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)


def _close_all() -> None:
    for sandbox in list(_OPEN):
        sandbox.close()


def _on_sigterm(signum: int, frame: object) -> None:
    for sandbox in list(_OPEN):
        sandbox.kill_all()  # at once, in case the exit is delayed or swallowed
    raise SystemExit(128 + signum)


__all__ = ["Sandbox", "default_base", "sweep"]
