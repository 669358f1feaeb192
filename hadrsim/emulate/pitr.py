"""Automated backups and point-in-time restore of a lone instance, on real PostgreSQL.

RDS (S4, S5) keeps a snapshot and uploads the instance's transaction log to S3 every
``log_archive_interval_s`` (5 minutes); after a storage loss the instance is restored to
the *latest restorable time*, the last upload before the loss, and what was written after
it is gone (:mod:`hadrsim.simulator.backups`). The emulation of each part:

- *The log.* ``archive_mode = on``; PostgreSQL's ``archive_command`` copies each finished
  WAL segment into an *outbox* inside the data directory: the instance's own volume, so
  what was not uploaded yet dies with it. ``archive_timeout`` stays off: only the uploads
  decide what reaches the archive.
- *The upload.* Every (scaled) ``log_archive_interval_s``, at a phase the run's seed draws
  on the simulation's own stream (``backup/archive``, so emulated run *i* and simulated
  run *i* upload at the same instants), :class:`Archive` ends the current segment
  (``pg_switch_wal()``), waits for the archiver, and moves the outbox's segments up to that
  one into ``<sandbox>/_pitr/archive`` (S3). The archive then holds exactly the log up to
  the last upload, however fast segments fill on their own. An upload that finds the
  server down (crashed, or restoring) is *missed*: the control plane makes it when the
  restarted server is ready, before its links heal (:meth:`Archive.catch_up`), so the
  archive holds the log as of the missed instant (nothing was written while it was down),
  as the simulation's archive, a clock that never misses an upload, does; failing that
  (a hung server that resumes) the uploader tries again every :data:`RETRY_S` until the
  next upload is due.
- *The snapshot.* One base backup (``pg_basebackup -X stream``) taken once the schema is in
  place, before the clients start. The simulation's restore replays from the start of the
  history too: no daily snapshot falls inside an emulated run.
- *The restore* (:meth:`Archive.restore`). A new data directory from the base backup,
  ``restore_command`` reading the archive, ``recovery.signal``, ``recovery_target_timeline
  = latest`` and no target: PostgreSQL replays to the end of the archive, then ends
  recovery on a new timeline and accepts writes. How long that takes is measured; the twin
  simulation takes it as the restore time (PostgreSQL has no lazy loading to pay for).

Segments are 1 MB (``initdb --wal-segsize=1``) instead of 16: each upload archives a whole
segment however little of it was written, and a restore copies them all back.

Only ``rds_single_az`` archives (and only with ``backups.retention_days > 0``, as RDS's
retention 0 turns automated backups off): a lone instance is the design whose storage loss
the simulation answers with a restore (:func:`check_storage_loss`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from hadrsim.emulate.attempt import Attempt, bounded, settle
from hadrsim.emulate.processes import chown
from hadrsim.emulate.sandbox import Sandbox
from hadrsim.emulate.server import PgServer
from hadrsim.emulate.topology import NotEmulated
from hadrsim.spec.faults import Faults

OUTBOX = "hadrsim_outbox"
"""The archive_command's target, relative to the data directory (it runs there)."""

WAL_SEGSIZE_MB = 1

ARCHIVED_WITHIN_S = 5.0
"""An upload waits this long for the archiver to copy the segment it just ended."""

RETRY_S = 0.1
"""A missed upload is tried again this often until it is made (or the next is due)."""

RESTORE_TIMEOUT_S = 120.0

RESTORABLE_KINDS = ("rds_single_az",)


def archiving(design: Any) -> bool:
    """Whether the emulated ``design`` archives its log: a lone instance with automated
    backups on (retention 0 turns them off, as on RDS)."""
    return design.kind in RESTORABLE_KINDS and design.backups.retention_days > 0


FAILOVER_KINDS = ("rds_multi_az_instance", "rds_multi_az_cluster")
"""Kinds whose primary's lost storage is a failover to a standby, as a crash is."""


def check_storage_loss(design: Any, scenario: Any) -> None:
    """Raise :class:`NotEmulated` for a ``storage_loss`` the emulator cannot follow through:
    a lone instance is restored from its backups and a Multi-AZ primary is failed over
    from (its host fenced, as after a crash), but a lost standby or replica is rebuilt from
    its primary in the simulation, which the emulator does not do (it never re-creates a
    member)."""
    if design.kind in RESTORABLE_KINDS:
        return
    for i, fault in enumerate(scenario.scheduled):
        if fault.kind != Faults.STORAGE_LOSS:
            continue
        if design.kind in FAILOVER_KINDS and fault.target == "primary":
            continue
        raise NotEmulated(f"not emulated: {fault.kind} on {design.kind} with target "
                          f"{fault.target!r} (scenario {scenario.name!r} "
                          f"scheduled.{i}); the emulator restores a lone instance "
                          f"({', '.join(RESTORABLE_KINDS)}) and fails over from the "
                          f"primary of {', '.join(FAILOVER_KINDS)}, and never rebuilds a "
                          "lost follower")


@dataclass(frozen=True)
class Restored:
    """What a restore did: how long it took, the timeline it ended on and where that
    timeline begins (the end of the restored log), and the upload it reached."""

    duration_s: float
    timeline: int
    lsn: int
    point_s: float  # when the last upload it replayed was made (0.0: the base backup only)


@dataclass
class Archive:
    """One instance's automated backups: the base backup, the archive and its uploads."""

    sandbox: Sandbox
    wal_segsize_mb: int = WAL_SEGSIZE_MB
    uploads: list[tuple[float, str]] = field(default_factory=list)  # (time, last segment)
    missed: bool = False  # the last upload due was not made (the server did not answer)
    _strays: set[asyncio.Task] = field(default_factory=set, init=False, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    @property
    def root(self) -> Path:
        return self.sandbox.path / "_pitr"  # "_": never a server's name, never swept as one

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def base_dir(self) -> Path:
        return self.root / "base"

    def settings(self) -> dict[str, str]:
        """The instance's archiving: each finished segment into its outbox, atomically (a
        server killed mid-copy leaves only a ``.tmp``, which is never uploaded)."""
        copy = (f"mkdir -p {OUTBOX} && cp %p {OUTBOX}/%f.tmp && "
                f"mv {OUTBOX}/%f.tmp {OUTBOX}/%f")
        return {"archive_mode": "on", "archive_command": copy, "archive_timeout": "0"}

    def recovery_settings(self) -> dict[str, str]:
        return {"restore_command": f"cp {self.archive_dir}/%f %p",
                "recovery_target_timeline": "latest"}

    def snapshot(self, server: PgServer) -> None:
        """The base backup of the running ``server`` (blocking: call it from a thread)."""
        self.root.mkdir()
        self.archive_dir.mkdir()
        for path in (self.root, self.archive_dir):
            chown(path, self.sandbox.user)  # the servers' account reads and writes them
        server.base_backup(self.base_dir)
        # the outbox as it was then: stale in any restore, uploaded already or never
        shutil.rmtree(self.base_dir / OUTBOX, ignore_errors=True)

    async def run(self, primary: Callable[[], PgServer], clock: Callable[[], float],
                  interval_s: float, phase_s: float, horizon_s: float) -> None:
        """Upload at ``phase_s + k * interval_s`` (k = 0, 1, ...) until ``horizon_s``; a
        missed one as soon as the server answers again."""
        try:
            at = phase_s
            while at <= horizon_s:
                await asyncio.sleep(max(0.0, at - clock()))
                at += interval_s
                async with self._lock:
                    self.missed = not await self.upload(primary(), clock)
                while self.missed and clock() + RETRY_S < at:
                    await asyncio.sleep(RETRY_S)
                    await self.catch_up(primary(), clock)
        finally:
            await settle(self._strays)

    async def catch_up(self, server: PgServer, clock: Callable[[], float]) -> None:
        """Make the missed upload now, if there is one (at most once: a lock keeps the
        uploader and the control plane from both making it)."""
        async with self._lock:
            if self.missed:
                self.missed = not await self.upload(server, clock)

    async def upload(self, server: PgServer, clock: Callable[[], float]) -> bool:
        """End the current segment, wait for the archiver, move the outbox's segments up
        to that one into the archive; whether it did (False: the server did not answer)."""
        async def switch(held: Attempt) -> str:
            conn = held.connected(await psycopg.AsyncConnection.connect(
                server.conninfo(), autocommit=True, connect_timeout=2))
            cur = await conn.execute("SELECT (pg_switch_wal() - '0/0'::pg_lsn)::bigint, "
                                     "pg_walfile_name(pg_current_wal_lsn())")
            row = await cur.fetchone()
            assert row is not None
            # the segment holding the last byte before the switch's end: with nothing
            # written since the last switch, pg_switch_wal() returns the boundary, which
            # pg_walfile_name() would name as the next (unfinished) segment
            return segment_name(row[1][:8], int(row[0]) - 1, self.wal_segsize_mb << 20)

        try:
            segment = await bounded(switch, 2.0, self._strays)
        except (TimeoutError, psycopg.Error, OSError):
            return False  # down, hung or restoring: nothing to upload from
        at = clock()
        outbox = server.datadir / OUTBOX
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ARCHIVED_WITHIN_S
        while not ((outbox / segment).exists() or (self.archive_dir / segment).exists()):
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.01)
        with contextlib.suppress(FileNotFoundError):  # the volume may die right now
            for name in sorted(os.listdir(outbox)):
                # segment names sort by timeline then position; a timeline's history file
                # ("0000000N.history") and an old timeline's ".partial" sort before it
                if not name.endswith(".tmp") and name <= segment:
                    os.replace(outbox / name, self.archive_dir / name)
        self.uploads.append((at, segment))
        return True

    async def restore(self, server: PgServer) -> Restored:
        """Restore ``server`` (down, its data directory gone) to the end of the archive;
        returns once it accepts writes on its new timeline."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        point = self.uploads[-1][0] if self.uploads else 0.0
        await asyncio.to_thread(server.init_from_backup, self.base_dir,
                                self.recovery_settings())
        server.spawn()  # here: a server dies with the thread that started it
        await server.wait_ready_async(RESTORE_TIMEOUT_S)
        async with await psycopg.AsyncConnection.connect(
                server.conninfo(), autocommit=True, connect_timeout=5) as conn:
            while (await (await conn.execute("SELECT pg_is_in_recovery()")).fetchone()
                   or (True,))[0]:
                if loop.time() - started > RESTORE_TIMEOUT_S:
                    raise TimeoutError(f"{server.name}: still recovering after "
                                       f"{RESTORE_TIMEOUT_S:.0f} s")
                await asyncio.sleep(0.005)
            duration = loop.time() - started
            timeline, lsn = await newest_timeline(conn)
        return Restored(duration, timeline, lsn, point)


def segment_name(timeline_hex: str, lsn: int, segment_bytes: int) -> str:
    """The WAL file name of the segment holding ``lsn`` on the timeline (8 hex digits)."""
    per_id = 0x1_0000_0000 // segment_bytes
    number = lsn // segment_bytes
    return f"{timeline_hex}{number // per_id:08X}{number % per_id:08X}"


async def newest_timeline(conn: psycopg.AsyncConnection) -> tuple[int, int]:
    """``(timeline, where it begins)`` from the newest history file in ``pg_wal``: the
    timeline a recovery just ended on and the end of the log it replayed. ``(1, 0)``
    when there is none (never promoted)."""
    cur = await conn.execute(
        "SELECT max(name) FROM pg_ls_waldir() WHERE name LIKE '%.history'")
    row = await cur.fetchone()
    if not row or not row[0]:
        return 1, 0
    cur = await conn.execute("SELECT pg_read_file(%s)", (f"pg_wal/{row[0]}",))
    text = await cur.fetchone()
    switch = 0
    for line in (text[0] if text else "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit():
            hi, lo = parts[1].split("/")
            switch = (int(hi, 16) << 32) + int(lo, 16)
    return int(row[0].split(".")[0], 16), switch


__all__ = ["ARCHIVED_WITHIN_S", "OUTBOX", "RESTORABLE_KINDS", "RETRY_S", "WAL_SEGSIZE_MB",
           "Archive", "Restored", "archiving", "check_storage_loss", "newest_timeline",
           "segment_name"]
