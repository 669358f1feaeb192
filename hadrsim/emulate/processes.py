"""The processes of local PostgreSQL servers, found through /proc, signalled, waited for.

PostgreSQL puts each backend in a session of its own, so a server's processes are found by
their working directory (its data directory), not by a process group; a killed server's
System V shared memory segment is removed by hand (the kernel keeps it until reboot).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from hadrsim.emulate.binaries import RunAs

IPC_RMID = 0


def chown(path: Path, user: RunAs | None) -> None:
    if user is not None:
        os.chown(path, user.uid, user.gid)


_SHMCTL: Callable[..., int] | None
try:
    _SHMCTL = ctypes.CDLL(None, use_errno=True).shmctl
except (OSError, AttributeError):
    _SHMCTL = None  # not Linux: no SysV clean-up


def proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state, ppid, pgrp, ...), None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """A process that can still run: a zombie does not count (an init that never reaps,
    as in some containers, leaves killed backends as zombies)."""
    stat = proc_stat(pid)
    if stat is not None:
        return stat[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not Path("/proc/self").exists()


def scan() -> Iterator[tuple[int, str, str | None]]:
    """(pid, ppid, working directory or None) of every live process we can see."""
    if not Path("/proc/self").exists():
        return
    for entry in os.scandir("/proc"):
        stat = proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is None or stat[0] in ("Z", "X"):
            continue
        try:
            cwd: str | None = os.readlink(f"/proc/{entry.name}/cwd")
        except OSError:
            cwd = None
        yield int(entry.name), stat[1], cwd


def server_processes(postmaster: int, datadir: Path) -> list[int]:
    """The live processes of one server: the postmaster, its children, and any process
    working in its data directory (an orphaned backend). Not a process group: PostgreSQL
    calls setsid() in every child, so each backend is a group of its own."""
    found = [] if not alive(postmaster) else [postmaster]
    for pid, ppid, cwd in scan():
        if pid != postmaster and (ppid == str(postmaster) or cwd == str(datadir)):
            found.append(pid)
    return found


def signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def wait_until(condition: Callable[[], object], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def read_lockfile(datadir: Path) -> list[str]:
    """The lines of postmaster.pid (pid, datadir, start, port, socket dir, listen address,
    shared memory key and id, status), or [] if there is none."""
    try:
        return (datadir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return []


def release_ipc(datadir: Path) -> None:
    """Remove the server's SysV shared memory segment; call once its processes are gone.

    A killed postmaster leaves it behind (56 bytes, but a kernel-wide count, shmmni, is
    limited); a restart in the same directory cleans it up, a deleted directory does not."""
    lines = read_lockfile(datadir)
    fields = lines[6].split() if len(lines) > 6 else []
    if _SHMCTL is None or len(fields) != 2 or not all(f.isdigit() for f in fields):
        return
    key, shmid = fields
    try:
        owner = str(datadir.stat().st_uid)  # a segment of whoever ran this server, no other
        table = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return
    for row in table:  # key shmid perms size cpid lpid nattch uid ...
        cols = row.split()
        if cols[:2] == [key, shmid] and len(cols) > 7 and cols[7] == owner:
            _SHMCTL(int(shmid), IPC_RMID, None)  # gone once detached (the kernel lags)


_ALLOCATED: set[int] = set()


def free_port() -> int:
    """A free TCP port on 127.0.0.1, below the kernel's ephemeral range when possible.

    A server keeps its port across restarts; an ephemeral port could meanwhile be taken
    as the local port of some client's outgoing connection, and the restart would fail."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    pick = random.SystemRandom()  # not the global generator: a seeded one repeats ports
    candidates = [pick.randrange(10000, low) for _ in range(64)] if low > 11000 else []
    for port in [*candidates, 0]:
        if port in _ALLOCATED:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the postmaster
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = sock.getsockname()[1]
        _ALLOCATED.add(port)
        return port
    raise OSError("no free port on 127.0.0.1")


__all__ = ["alive", "chown", "free_port", "proc_stat", "read_lockfile", "release_ipc", "scan",
           "server_processes", "signal_all", "wait_until"]
