"""Point-in-time restore on a real server: what the last log upload held comes back, what
was written after it is gone (also whole segments the archiver finished on its own), and
the restored server is a primary on a new timeline; a second loss restores across it."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import psycopg
import pytest

from hadrsim.emulate.pitr import Archive, archiving, check_storage_loss
from hadrsim.emulate.sandbox import Sandbox
from hadrsim.emulate.server import PgServer
from hadrsim.emulate.topology import NotEmulated


def _sql(server: PgServer, statement: str) -> Any:
    with psycopg.connect(server.conninfo(), autocommit=True, connect_timeout=5) as conn:
        cur = conn.execute(statement)
        return cur.fetchone() if cur.description else None


def _ids(server: PgServer) -> set[int]:
    with psycopg.connect(server.conninfo(), autocommit=True, connect_timeout=5) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM t")}


def _insert(server: PgServer, ids: range, pad_kb: int = 0) -> None:
    """Rows ``ids``, each with ~``pad_kb`` KB of hex that compresses to about half."""
    with psycopg.connect(server.conninfo(), autocommit=True, connect_timeout=5) as conn:
        for i in ids:
            conn.execute("INSERT INTO t SELECT %s, string_agg(md5(random()::text), '') "
                         "FROM generate_series(1, %s)", (i, pad_kb * 32))


def _archived_on_its_own(server: PgServer) -> list[str]:
    """The segments the archiver put in the outbox (waiting up to 5 s for it)."""
    outbox = server.datadir / "hadrsim_outbox"
    found: list[str] = []
    for _ in range(100):
        found = sorted(p.name for p in outbox.glob("0*") if not p.name.endswith(".tmp"))
        if len(found) >= 3:
            break
        time.sleep(0.05)
    return found


def _lose_storage(server: PgServer) -> None:
    server.kill()
    server.wipe()
    assert not server.datadir.exists()


def _archiving_server(sandbox: Sandbox) -> tuple[Archive, Any]:
    """A lone archiving instance with a table and its base backup taken."""
    archive = Archive(sandbox)
    server = sandbox.server("solo-a")
    server.init_primary(archive.settings(), wal_segsize_mb=archive.wal_segsize_mb)
    server.start()
    _sql(server, "CREATE TABLE t (id int PRIMARY KEY, pad text)")
    archive.snapshot(server)
    return archive, server


def test_a_restore_brings_back_what_was_uploaded_and_nothing_after(sandbox: Sandbox) -> None:
    """Rows committed before an upload come back; rows committed after it are gone, even
    those in segments the archiver finished on its own (several MB of them): only uploads
    reach the archive. The restored server accepts writes on timeline 2, beginning where
    its restored log ends; after a second loss it comes back on timeline 3 with both
    uploads' rows."""
    archive, server = _archiving_server(sandbox)
    clock = itertools.count(1.0).__next__  # each upload made: 1.0, 2.0

    async def scenario() -> tuple[Any, Any]:
        _insert(server, range(100))
        assert await archive.upload(server, clock)
        _insert(server, range(100, 110), pad_kb=1000)  # ~5 MB of log: 1-MB segments fill
        assert len(_archived_on_its_own(server)) >= 3
        _lose_storage(server)
        assert not await archive.upload(server, clock)  # nothing to upload from
        first = await archive.restore(server)
        assert _ids(server) == set(range(100))
        _insert(server, range(200, 250))
        assert await archive.upload(server, clock)
        _insert(server, range(250, 260))
        _lose_storage(server)
        second = await archive.restore(server)
        return first, second

    first, second = asyncio.run(scenario())
    assert first.timeline == 2 and second.timeline == 3
    assert (first.point_s, second.point_s) == (1.0, 2.0)
    assert 0 < first.lsn < second.lsn
    assert 0 < first.duration_s < 30 and 0 < second.duration_s < 30
    assert _ids(server) == set(range(100)) | set(range(200, 250))
    assert _sql(server, "SELECT pg_is_in_recovery()")[0] is False
    assert _sql(server, "SELECT timeline_id FROM pg_control_checkpoint()")[0] in (2, 3)
    _insert(server, range(300, 301))  # a primary: it takes writes


def test_only_a_lone_instance_with_backups_on_archives(make_study) -> None:
    """Retention 0 turns automated backups off (no archive); a Multi-AZ primary's lost
    storage is a failover; a lost standby, which the emulator would not rebuild, is
    refused before any server starts."""
    study = make_study(designs=[
        {"name": "single", "kind": "rds_single_az"},
        {"name": "bare", "kind": "rds_single_az", "backups": {"retention_days": 0}},
        {"name": "maz", "kind": "rds_multi_az_instance"}],
        scenarios=[{"name": "loss", "scheduled": [{"kind": "storage_loss", "at_s": 10.0}]},
                   {"name": "standby-loss", "scheduled": [
                       {"kind": "storage_loss", "target": "standby", "at_s": 10.0}]}])
    assert archiving(study.design("single")) and not archiving(study.design("bare"))
    assert not archiving(study.design("maz"))
    check_storage_loss(study.design("single"), study.scenario("loss"))
    check_storage_loss(study.design("maz"), study.scenario("loss"))
    with pytest.raises(NotEmulated, match="storage_loss on rds_multi_az_instance with "
                                          "target 'standby'"):
        check_storage_loss(study.design("maz"), study.scenario("standby-loss"))


def test_an_upload_missed_while_the_server_is_down_is_made_when_it_is_back(
        sandbox: Sandbox) -> None:
    """The uploader finds the crashed server down at its tick: the upload is missed, not
    made later on its own clock; the control plane makes it once the restarted server is
    ready (before clients reach it), and the next tick uploads as usual."""
    archive, server = _archiving_server(sandbox)

    async def scenario() -> list[float]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        def clock() -> float:
            return loop.time() - t0

        server.kill()  # a crash: the volume stays
        uploader = asyncio.create_task(archive.run(lambda: server, clock, interval_s=2.0,
                                                   phase_s=0.2, horizon_s=2.5))
        await asyncio.sleep(0.6)
        assert archive.missed and not archive.uploads
        server.spawn()
        await server.wait_ready_async()
        await archive.catch_up(server, clock)
        assert not archive.missed and len(archive.uploads) == 1
        await uploader
        return [at for at, _ in archive.uploads]

    made = asyncio.run(scenario())
    assert len(made) == 2 and 0.6 < made[0] < 2.2 <= made[1]
