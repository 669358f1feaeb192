"""Real PostgreSQL servers on 127.0.0.1, and the faults done to them.

Each :class:`PgServer` is a postmaster run directly (not through pg_ctl) as a child of this
process, in a session of its own (a Ctrl-C on the terminal is not a shutdown request), in a
directory of its :class:`~hadrsim.emulate.sandbox.Sandbox`. A crash is ``SIGKILL`` of the
postmaster and every process of the server at once, a hang is ``SIGSTOP`` of them all. (Not
of a process group: PostgreSQL calls setsid() in each child.) Each postmaster gets
``SIGKILL`` from the kernel if this process dies; its backends then exit by themselves.

PostgreSQL refuses to run as root: as root every PostgreSQL program runs as the user named by
``$HADRSIM_EMULATOR_USER`` (default ``nobody``), and owns the sandbox's server directories.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hadrsim.emulate.binaries import child_env, preexec
from hadrsim.emulate.processes import (
    alive,
    chown,
    proc_stat,
    read_lockfile,
    release_ipc,
    server_processes,
    signal_all,
    wait_until,
)

if TYPE_CHECKING:
    from hadrsim.emulate.sandbox import Sandbox

LOG_LINES = 20
KEPT = "kept"  # marker: a sandbox closed with keep=True, never swept

# Appended to postgresql.conf by init_primary (a standby inherits them with the base backup).
BASE_SETTINGS: dict[str, str] = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",  # TCP only: no socket files, no clash between sandboxes
    "wal_level": "replica",
    "max_wal_senders": "10",
    "max_replication_slots": "10",
    "hot_standby": "on",
    "wal_keep_size": "256MB",
    # fsync=off is faithful for the faults emulated here: SIGKILL/SIGSTOP of a process keeps
    # the kernel's page cache, so what PostgreSQL wrote is what a restart finds (as with a
    # real instance crash after fsync). Storage loss is emulated by deleting the directory,
    # and a kernel crash or power loss is not emulated at all.
    "fsync": "off",
    "synchronous_commit": "on",
    "logging_collector": "off",  # the log is the child's stdout/stderr, to log_path
    "log_line_prefix": "%m [%p] %b ",
    "shared_buffers": "16MB",
    "max_connections": "50",
    "huge_pages": "off",
    # Dynamic shared memory in files under the data directory, not /dev/shm: a killed
    # server's segments go away with its directory instead of leaking until reboot.
    "dynamic_shared_memory_type": "mmap",
    "wal_sender_timeout": "10s",
    "wal_receiver_timeout": "10s",
    "wal_receiver_status_interval": "1s",
    "wal_retrieve_retry_interval": "1s",  # a standby retries its primary every second
}
HBA = ("# hadrsim emulator: loopback only, no passwords\n"
       "host all all 127.0.0.1/32 trust\n"
       "host replication all 127.0.0.1/32 trust\n")


class ServerError(RuntimeError):
    """A server failed; the message ends with the last lines of its log."""


def _quote(value: str) -> str:
    """A postgresql.conf value: single-quoted, quotes doubled (any type accepts this)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _conninfo_value(value: str) -> str:
    return value if re.fullmatch(r"[\w.-]+", value) else \
        "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PgServer:
    """One PostgreSQL server of a sandbox: its directory, port, process and log."""

    def __init__(self, sandbox: Sandbox, name: str, port: int) -> None:
        self.name, self.port = name, port
        self._sandbox = sandbox
        self.dir = sandbox.path / name
        self.datadir = self.dir / "data"
        self.log_path = self.dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"PgServer({self.name!r}, port={self.port}, pid={self.pid})"

    @property
    def running(self) -> bool:
        """The postmaster is alive (a paused one too)."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The postmaster's pid, None when it is not running."""
        return self._proc.pid if self._proc is not None and self.running else None

    def _tool(self, name: str) -> str:
        return str(self._sandbox.binaries.tool(name))

    def _error(self, what: str, lines: int = LOG_LINES) -> ServerError:
        return ServerError(f"{self.name} (port {self.port}): {what}\n--- last {lines} lines of "
                           f"{self.log_path} ---\n{self.log_tail(lines)}")

    def _run(self, args: list[str], what: str, timeout_s: float) -> None:
        """Run a PostgreSQL program as the account, its output appended to the log."""
        with open(self.log_path, "ab") as log:
            log.write(f"--- hadrsim: {' '.join(args)}\n".encode())
            log.flush()
            try:
                done = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, cwd=self.dir,
                                      env=child_env(self.dir), timeout=timeout_s,
                                      preexec_fn=preexec(self._sandbox.user))
            except subprocess.TimeoutExpired:
                raise self._error(f"{what} did not finish in {timeout_s:.0f} s") from None
        if done.returncode != 0:
            raise self._error(f"{what} failed (exit code {done.returncode})")

    def _append_conf(self, settings: dict[str, str], why: str) -> None:
        lines = "".join(f"{key} = {_quote(str(value))}\n" for key, value in settings.items())
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write(f"\n# {why} (hadrsim emulator)\n{lines}")

    def init_primary(self, settings: dict[str, str] | None = None, *,
                     wal_segsize_mb: int | None = None) -> None:
        """A new cluster (initdb), set up to stream to standbys; ``settings`` go last.
        ``wal_segsize_mb``: WAL segments of that size instead of 16 MB (an archived
        segment is copied whole, however little of it was written)."""
        segsize = [] if wal_segsize_mb is None else [f"--wal-segsize={wal_segsize_mb}"]
        self._run([self._tool("initdb"), "-D", str(self.datadir), "-U", "postgres", "-A",
                   "trust", "--no-sync", "-E", "UTF8", "--locale=C", *segsize], "initdb", 120.0)
        self._append_conf({**BASE_SETTINGS, "port": str(self.port)}, "emulated instance")
        if settings:
            self._append_conf(settings, "init_primary settings")
        with open(self.datadir / "pg_hba.conf", "w") as hba:  # keeps the file's owner
            hba.write(HBA)

    def init_standby(self, source_port: int, settings: dict[str, str] | None = None) -> None:
        """A standby of the server (or proxy) at ``source_port``: a base backup with WAL
        streamed during it, standby.signal, and primary_conninfo naming this server as
        ``application_name`` (for synchronous_standby_names). The source's own settings,
        ALTER SYSTEM ones included, come along, as with any base backup."""
        self._run([self._tool("pg_basebackup"), "-h", "127.0.0.1", "-p", str(source_port),
                   "-U", "postgres", "-D", str(self.datadir), "-X", "stream", "-R",
                   "-c", "fast", "--no-sync"], "pg_basebackup", 300.0)
        auto = self.datadir / "postgresql.auto.conf"
        kept = [line for line in auto.read_text().splitlines(keepends=True)
                if not line.lstrip().startswith("primary_conninfo")]
        conninfo = (f"host=127.0.0.1 port={source_port} user=postgres "
                    f"application_name={_conninfo_value(self.name)}")
        with open(auto, "w") as out:  # open, not replace: keeps the file's owner
            out.write("".join(kept) + f"primary_conninfo = {_quote(conninfo)}\n")
        self._append_conf({"port": str(self.port)}, "this standby's own port")
        if settings:
            self._append_conf(settings, "init_standby settings")

    def base_backup(self, dest: Path) -> None:
        """A base backup of this running server into the new directory ``dest``, with the
        log written during it (``-X stream``): consistent by itself, and the start of any
        later archive recovery."""
        self._run([self._tool("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", "postgres", "-D", str(dest), "-X", "stream", "-c", "fast",
                   "--no-sync"], "pg_basebackup", 300.0)

    def init_from_backup(self, base: Path, settings: dict[str, str]) -> None:
        """A new data directory in archive recovery: a copy of the base backup ``base``
        (made by this account, so it owns every file), ``settings`` (``restore_command``...)
        and ``recovery.signal``. The server must not have a data directory (wipe() first)."""
        if self.datadir.exists():
            raise ServerError(f"{self.name} still has its data directory: wipe() it first")
        self._run(["cp", "-a", str(base), str(self.datadir)], "copy of the base backup", 300.0)
        self._append_conf({"port": str(self.port), **settings}, "archive recovery")
        signal_file = self.datadir / "recovery.signal"
        signal_file.touch()
        chown(signal_file, self._sandbox.user)  # PostgreSQL removes it at the end

    def spawn(self) -> None:
        """Start the postmaster as a child in its own session; returns at once.

        The kernel kills it when the thread that called spawn() exits (the parent-death
        signal belongs to the forking thread), so call it from a long-lived thread: the
        main thread or the event loop's, not a short-lived worker."""
        if self.running:
            raise ServerError(f"{self.name} is already running (pid {self.pid})")
        self._clear_stale_lock()
        with open(self.log_path, "ab") as log:
            log.write(b"--- hadrsim: spawn postgres\n")
            log.flush()
            self._proc = subprocess.Popen(
                [self._tool("postgres"), "-D", str(self.datadir)], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, cwd=self.dir, env=child_env(self.dir),
                start_new_session=True, preexec_fn=preexec(self._sandbox.user))

    def _clear_stale_lock(self) -> None:
        """Remove postmaster.pid left by a killed postmaster: with few pids (pid_max 32768)
        its pid may belong to another process by now, and PostgreSQL would refuse to start
        ("lock file already exists"). What a restart does with the old segment is done here."""
        lines = read_lockfile(self.datadir)
        if not lines or not lines[0].strip().isdigit():
            return
        pid = int(lines[0])
        with contextlib.suppress(OSError):
            if alive(pid) and Path(os.readlink(f"/proc/{pid}/cwd")) == self.datadir:
                return  # a live postmaster of this directory: let PostgreSQL say so
        release_ipc(self.datadir)
        with contextlib.suppress(FileNotFoundError):
            (self.datadir / "postmaster.pid").unlink()

    def _ready(self) -> bool:
        """The postmaster says it accepts connections (postmaster.pid's status line, what
        pg_ctl -w waits for); a ServerError at once if it exited."""
        if self._proc is None:
            raise ServerError(f"{self.name} was not started")
        code = self._proc.poll()
        if code is not None:
            raise self._error(f"postgres exited with code {code} while starting")
        lines = read_lockfile(self.datadir)
        return (len(lines) >= 8 and lines[0].strip() == str(self._proc.pid)
                and lines[7].strip() in ("ready", "standby"))

    def wait_ready(self, timeout_s: float = 30.0) -> float:
        """Block until the server accepts connections; the seconds waited."""
        started = time.monotonic()
        while not self._ready():
            if time.monotonic() - started > timeout_s:
                raise self._error(f"not ready after {timeout_s:.0f} s")
            time.sleep(0.02)
        return time.monotonic() - started

    async def wait_ready_async(self, timeout_s: float = 30.0) -> float:
        """:meth:`wait_ready` for an event loop: polls with asyncio.sleep, never blocks."""
        started = time.monotonic()
        while not self._ready():
            if time.monotonic() - started > timeout_s:
                raise self._error(f"not ready after {timeout_s:.0f} s")
            await asyncio.sleep(0.02)
        return time.monotonic() - started

    def start(self, timeout_s: float = 30.0) -> float:
        """spawn() and wait_ready(); the seconds it took to be ready."""
        self.spawn()
        return self.wait_ready(timeout_s)

    def _processes(self) -> list[int]:
        return [] if self._proc is None else server_processes(self._proc.pid, self.datadir)

    def _freeze(self) -> list[int]:
        """SIGSTOP the postmaster first (it forks no more children), then list the server's
        processes: a snapshot nothing is added to."""
        assert self._proc is not None
        pid = self._proc.pid
        signal_all([pid], signal.SIGSTOP)
        wait_until(lambda: (proc_stat(pid) or ["T"])[0] in "TtZX", 1.0)
        return self._processes()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Fast shutdown (SIGINT to the postmaster: sessions end, a shutdown checkpoint);
        kill() if it takes longer than ``timeout_s``."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            signal_all([proc.pid], signal.SIGINT)
            signal_all(self._processes(), signal.SIGCONT)  # a paused server must run to stop
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout_s)
        self.kill()  # reaps; kills what is left, if anything

    def kill(self) -> None:
        """Crash: SIGKILL of the postmaster and all its processes at once, reaped. A
        ServerError if one of them still runs 5 s later."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._freeze()

        def killed() -> bool:
            alive = self._processes()
            signal_all(alive, signal.SIGKILL)
            return not alive

        done = wait_until(killed, 5.0)
        proc.wait()
        if not done:
            raise self._error(f"processes {self._processes()} still alive 5 s after SIGKILL")

    def pause(self) -> None:
        """A hung instance: SIGSTOP of every process of the server (connections stay open,
        unanswered; new ones complete the TCP handshake, then hear nothing)."""
        if not self.running:
            raise ServerError(f"{self.name} is not running")
        signal_all(self._freeze(), signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: the paused instance carries on where it stopped."""
        if self.running:
            signal_all(self._processes(), signal.SIGCONT)

    def promote(self, timeout_s: float = 30.0) -> float:
        """Make this standby a primary; the seconds until it accepts writes. A ServerError
        if it did not finish in ``timeout_s``.

        ``pg_promote(false)`` then polling ``pg_is_in_recovery()`` every 5 ms: the same end
        as ``pg_promote(true)``, whose own wait checks only every 100 ms."""
        import psycopg

        started = time.monotonic()
        try:
            with psycopg.connect(self.conninfo(), autocommit=True, connect_timeout=5) as conn:
                conn.execute("SELECT pg_promote(false)")
                while (conn.execute("SELECT pg_is_in_recovery()").fetchone() or (False,))[0]:
                    if time.monotonic() - started > timeout_s:
                        raise self._error(f"did not finish promoting in {timeout_s:.0f} s")
                    time.sleep(0.005)
        except psycopg.Error as error:
            raise self._error(f"promotion failed: {error}") from error
        return time.monotonic() - started

    def wipe(self) -> None:
        """Storage loss: delete the data directory (the server must be down)."""
        if self.running:
            raise ServerError(f"{self.name} is running: stop() or kill() it before wipe()")
        release_ipc(self.datadir)
        shutil.rmtree(self.datadir, ignore_errors=True)

    def conninfo(self, dbname: str = "postgres", port: int | None = None) -> str:
        """A libpq connection string as postgres; ``port`` to go through a proxy instead."""
        # no TLS or GSSAPI negotiation: each would cost a round trip on every connection
        return (f"host=127.0.0.1 port={self.port if port is None else port} user=postgres "
                f"dbname={_conninfo_value(dbname)} sslmode=disable gssencmode=disable")

    def log_tail(self, lines: int = LOG_LINES) -> str:
        """The last ``lines`` lines of the server's log (initdb, pg_basebackup, postgres)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 256 * max(lines, 1)))
                text = log.read().decode(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


__all__ = ["BASE_SETTINGS", "KEPT", "PgServer", "ServerError"]
