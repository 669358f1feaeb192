"""An emulated RDS control plane: health checks, automatic failover, fencing, host replacement.

It checks the primary from the primary's Region (:mod:`hadrsim.emulate.detector`, as the
simulation's detector does; the design's ``detection`` settings, interval scaled). On a
detected failure, as the simulation's controller does:

- a design with a synchronous standby promotes it (``pg_promote``; how long PostgreSQL
  takes is measured, not drawn), points the writer name at it, and fences the old primary:
  it is killed if it still runs and its links are cut (a hung one would come back as a
  zombie), and it is never started again in this run (RDS replaces its host; re-creating
  that standby is not emulated);
- a Multi-AZ DB cluster promotes its most advanced reader and re-points the other reader
  at the new writer (``primary_conninfo`` through the existing link, reloaded);
- a Single-AZ instance waits the design's (scaled) host replacement delay, drawn from the
  run's seed, and restarts the server on the same data directory: PostgreSQL's own crash
  recovery;
- a Single-AZ instance whose storage is lost is restored from its backups at once (the
  simulation waits its restore time; here PostgreSQL's own is measured): a point-in-time
  restore to the last log upload (:mod:`hadrsim.emulate.pitr`). With automated backups off
  there is nothing to restore from: ``restore_impossible``, and it stays down.

Every step is logged with the simulation's event names (:class:`~hadrsim.simulator.vocabulary.Ev`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import numpy as np
import psycopg

from hadrsim.emulate.attempt import Attempt, bounded, settle
from hadrsim.emulate.detector import Detector
from hadrsim.emulate.dns import Zone
from hadrsim.emulate.journal import Journal
from hadrsim.emulate.topology import Member, Topology, wait_in_sync
from hadrsim.simulator.vocabulary import Ev


class FailoverController:
    """Watches the primary until ``horizon_s``; fails over or restarts when it fails."""

    def __init__(self, topo: Topology, zone: Zone, journal: Journal,
                 rng: np.random.Generator) -> None:
        self.topo, self.zone, self.journal, self.rng = topo, zone, journal, rng
        self.region = topo.members[topo.primary].region  # RDS's control plane is here
        self.detector = Detector(topo, topo.design.detection, self.region, journal.clock, rng)
        self.promote_s: list[float] = []  # PostgreSQL's measured promotion times
        self.restore_s: list[float] = []  # PostgreSQL's measured point-in-time restores
        self.strays: set[asyncio.Task] = set()  # queries left behind at their time-out
        self.active = True  # False once a DR promotion took the endpoints
        self.busy = False

    async def run(self, horizon_s: float) -> None:
        try:
            while self.active:
                down = await self.detector.failed(
                    lambda: self.topo.primary if self.active else None, horizon_s)
                if down is None:
                    return
                self.busy = True
                try:
                    await self.recover()
                finally:
                    self.busy = False
                self.detector.resume_after(self.journal.clock())
        finally:
            await self.detector.close()
            await settle(self.strays)

    def can_recover(self) -> bool:
        """Whether this controller is recovering, or could: its Region is up and it is
        at work or has an in-sync standby to promote (what a DR runbook defers to)."""
        if not self.active or self.topo.is_down(self.region):
            return False
        return self.busy or any(m.sync and not m.fenced and m.name != self.topo.primary
                                and m.server.running for m in self.topo.members.values())

    def retire(self) -> None:
        """Stop acting: a DR promotion now owns the endpoints."""
        self.active = False

    async def recover(self) -> None:
        """The primary failed: fail over to a standby, or restart a lone instance."""
        topo = self.topo
        old = topo.members[topo.primary]
        self.journal.event(Ev.FAILURE_DETECTED, old.name, "health check")
        candidate = await self._candidate()
        if candidate is not None:
            await self._fail_over(old, candidate)
        elif all(m.role == "primary" for m in topo.members.values()):
            if old.storage_lost:  # a lone instance: its volume is restored, or gone
                await self._restore(old)
            else:  # a lone instance: its host is replaced
                await self._replace_host(old)
        else:
            self.journal.event(Ev.FAILOVER_ABORTED, old.name, "no in-sync standby answers")

    async def _candidate(self) -> Member | None:
        """The follower to promote: the most advanced one that can still answer."""
        best, best_lsn = None, -1
        for member in self.topo.members.values():
            if member.name == self.topo.primary or member.fenced or not member.sync:
                continue
            lsn = await received_lsn(member, self.strays)
            if lsn is not None and lsn > best_lsn:
                best, best_lsn = member, lsn
        return best

    async def _fail_over(self, old: Member, new: Member) -> None:
        topo, journal = self.topo, self.journal
        journal.event(Ev.PROMOTION_STARTED, new.name, f"from {old.name}")
        journal.role(new.name, "promoting", new.timeline, new.az, dataset="db")
        old.fenced = True  # fencing: a hung primary must not come back as a zombie
        topo.take_down(old.name)
        started = journal.clock()
        new.timeline = await promote(new)
        self.promote_s.append(journal.clock() - started)
        new.role, old.role = "primary", "fenced"
        topo.primary = new.name
        journal.role(new.name, "primary", new.timeline, new.az, dataset="db")
        journal.event(Ev.PROMOTION_COMPLETED, new.name, f"timeline {new.timeline}")
        self.zone.set(topo.writer_name, [new.name])  # the zone logs endpoint_updated
        if topo.reader_name is not None:
            self.zone.set(topo.reader_name, topo.readers() or [new.name])
        await self._repoint_followers(new)
        journal.event(Ev.PRIMARY_CHANGED, new.name, f"{old.name} -> {new.name}")

    async def _repoint_followers(self, new: Member) -> None:
        """The remaining followers stream from the new primary; it waits for them as the
        old one did (its synchronous standby names)."""
        followers = [m for m in self.topo.members.values()
                     if m.name != new.name and not m.fenced]
        for member in followers:
            link = self.topo.replication_links[(new.name, member.name)]
            assert link.address is not None
            conninfo = (f"host=127.0.0.1 port={link.address[1]} user=postgres "
                        f"application_name={member.name}")
            await _sql(member, f"ALTER SYSTEM SET primary_conninfo = '{conninfo}'",
                       "SELECT pg_reload_conf()")
        names = self.topo.sync_names(new.name)
        await _sql(new, f"ALTER SYSTEM SET synchronous_standby_names = '{names}'",
                   "SELECT pg_reload_conf()")
        with contextlib.suppress(TimeoutError):
            await wait_in_sync(new.server, [m.name for m in followers], timeout_s=10.0)

    async def _replace_host(self, old: Member) -> None:
        """A lone instance: a new host after the (scaled) replacement delay, same storage."""
        journal, design = self.journal, self.topo.design
        delay = 0.0
        if design.replace_host_s is not None:
            delay = float(design.replace_host_s.draw(self.rng, 1)[0])
        journal.event(Ev.INSTANCE_RELOCATED, old.name, f"new host in {delay:.2f} s")
        await asyncio.sleep(delay)
        await self._place_up(old)
        if old.server.running:
            old.server.kill()
        old.server.spawn()
        await old.server.wait_ready_async()
        await self._catch_up(old)
        for link in self.topo.links_of(old.name):
            link.heal()
        journal.role(old.name, "primary", old.timeline, old.az, dataset="db")
        journal.event(Ev.PRIMARY_CHANGED, old.name, "restarted after crash recovery")

    async def _restore(self, old: Member) -> None:
        """A lone instance whose storage is gone: a point-in-time restore to the end of its
        archive, logged as the simulation logs it; with automated backups off the data is
        gone, and this controller stops (nothing is left to watch or recover)."""
        journal, archive = self.journal, self.topo.archive
        await self._place_up(old)
        if archive is None:
            journal.event(Ev.RESTORE_IMPOSSIBLE, old.name,
                          "storage lost and no backup to restore from (automated "
                          "backups off): the data is gone")
            self.retire()
            return
        journal.event(Ev.RESTORE_STARTED, old.name)
        restored = await archive.restore(old.server)
        self.restore_s.append(restored.duration_s)
        old.timeline, old.storage_lost = restored.timeline, False
        await self._catch_up(old)
        for link in self.topo.links_of(old.name):
            link.heal()
        journal.role(old.name, "primary", old.timeline, old.az, dataset="db")
        journal.event(Ev.RESTORED_TO, old.name, f"t={restored.point_s:.3f} lsn {restored.lsn}")
        journal.event(Ev.RESTORE_COMPLETED, old.name)

    async def _catch_up(self, member: Member) -> None:
        """A log upload missed while the instance was down is made before it serves
        clients again: the archive then holds the log as of the missed instant."""
        if self.topo.archive is not None:
            await self.topo.archive.catch_up(member.server, self.journal.clock)

    async def _place_up(self, member: Member) -> None:
        """Wait until the member's AZ and Region are up: no new host there until then."""
        while self.topo.is_down(member.az) or self.topo.is_down(member.region):
            await asyncio.sleep(self.detector.check.interval_s)


async def received_lsn(member: Member, strays: set[asyncio.Task]) -> int | None:
    """How much of the primary's log a follower has (None: it does not answer in 2 s)."""
    async def work(held: Attempt) -> Any:
        conn = held.connected(await psycopg.AsyncConnection.connect(
            member.server.conninfo(), autocommit=True, connect_timeout=2))
        cur = await conn.execute(
            "SELECT (greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
            " - '0/0'::pg_lsn)::bigint")
        return await cur.fetchone()

    try:
        row = await bounded(work, 2.0, strays)
    except (TimeoutError, psycopg.Error, OSError):
        return None
    return None if row is None or row[0] is None else int(row[0])


async def promote(member: Member, timeout_s: float = 60.0) -> int:
    """Promote ``member`` and return its new timeline (from PostgreSQL, not counted here).

    ``pg_promote(false)`` and a 5-ms poll of ``pg_is_in_recovery()``: ``pg_promote(true)``
    polls every 100 ms itself, so the measured promotion would read ~110 ms for ~30."""
    async with await psycopg.AsyncConnection.connect(
            member.server.conninfo(), autocommit=True, connect_timeout=5) as conn:
        await conn.execute("SELECT pg_promote(false)")
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (await (await conn.execute("SELECT pg_is_in_recovery()")).fetchone() or
               (True,))[0]:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{member.name} did not finish promoting in {timeout_s} s")
            await asyncio.sleep(0.005)
        cur = await conn.execute("SELECT timeline_id FROM pg_control_checkpoint()")
        checkpoint = await cur.fetchone()
        cur = await conn.execute(
            "SELECT max(name) FROM pg_ls_waldir() WHERE name LIKE '%.history'")
        history = await cur.fetchone()
    timelines = [checkpoint[0] if checkpoint else 1]
    if history and history[0]:
        timelines.append(int(history[0].split(".")[0], 16))
    return max(timelines)


async def _sql(member: Member, *statements: str) -> Any:
    async with await psycopg.AsyncConnection.connect(
            member.server.conninfo(), autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            await conn.execute(statement)


__all__ = ["FailoverController", "promote", "received_lsn"]
