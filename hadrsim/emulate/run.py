"""One emulated run: build the design on real servers, run clients, nemesis and control plane
to the (scaled) horizon, read the survivor, and measure with the simulation's checkers.

The records are the simulation's (client operations, commits, faults, roles, control
events, the final read, replica states); :func:`~hadrsim.simulator.checkers.run_metrics`
computes every metric from them, and the result is a
:class:`~hadrsim.experiments.run.RunResult` like a simulated run's, so the same summaries
read it. Randomness (the clients' choices, think times, host replacement delays) comes
from the run's seed through named streams; what real servers and the kernel do is not
seeded, so an emulated run is a measurement, not a replay.

The final read is PostgreSQL's own: the surviving primary's ``hadrsim_writes`` (the
acknowledged writes it holds) and its timeline history (``pg_wal/*.history``: where each
ancestor timeline was cut), which gives the surviving log ranges that the commit-based
loss count checks against, independently of the client history. A primary that is down
at the end (its storage lost and never restored, say) gives an unavailable final read with
no writes, as the simulation's does; a member whose storage is lost has no replica state.
Randomness also sets when a lone instance's log is uploaded (:mod:`hadrsim.emulate.pitr`),
on the simulation's own stream for it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import psycopg

from hadrsim.emulate.attempt import Attempt, bounded, settle
from hadrsim.emulate.clients import Client, Wiring
from hadrsim.emulate.controller import FailoverController
from hadrsim.emulate.dns import Resolver, Zone
from hadrsim.emulate.journal import Journal
from hadrsim.emulate.nemesis import Nemesis
from hadrsim.emulate.pitr import Archive, archiving
from hadrsim.emulate.runbook import PromotionRunbook
from hadrsim.emulate.sandbox import Sandbox
from hadrsim.emulate.topology import Member, Topology, build
from hadrsim.experiments.run import RunResult, add_time_to_alarm
from hadrsim.simulator.checkers.run_metrics import run_metrics
from hadrsim.simulator.random import Streams
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import FinalRead, ReplicaState

FINAL_READ_S = 10.0
"""The final read and replica states wait this long for a server (a hung one: unavailable)."""

GRACE_S = 5.0
"""After the horizon, the last calls finish (each within its time-out) before the final read."""


@dataclass
class Measured:
    """What one emulated run measured beyond its records: PostgreSQL's own timings."""

    promote_s: list[float] = field(default_factory=list)
    restore_s: list[float] = field(default_factory=list)  # point-in-time restores
    build_s: float = 0.0


async def run_one(study: Any, design_name: str, scenario_name: str, run_index: int,
                  sandbox: Sandbox) -> tuple[RunResult, Recorder, Measured]:
    """Emulate ``run_index`` of an already time-scaled study (one design, one scenario)."""
    design, scenario = study.design(design_name), study.scenario(scenario_name)
    horizon = study.horizon_for(scenario)
    streams = Streams(study.seed, run_index)
    regions = list(study.workload.client_regions)
    measured = Measured()
    started = time.perf_counter()
    archive = Archive(sandbox) if archiving(design) else None
    topo = await build(study, design, sandbox, regions, archive)
    measured.build_s = time.perf_counter() - started
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    journal = Journal(lambda: loop.time() - t0)
    try:
        zone = _zone(topo, journal)
        for member in topo.members.values():
            journal.role(member.name, member.role, member.timeline, member.az, at=0.0,
                         dataset="db")
        clients = _clients(study, topo, zone, streams, journal)
        controller = FailoverController(topo, zone, journal,
                                        streams.generator("emulate/control"))
        nemesis = Nemesis(topo, journal, scenario, streams.generator("emulate/faults"))
        dense = _dense_windows(study, scenario)
        background = [asyncio.create_task(controller.run(horizon)),
                      asyncio.create_task(nemesis.run())]
        if archive is not None:
            background.append(asyncio.create_task(_uploads(archive, topo, journal, streams,
                                                           horizon)))
        runbook = None
        if any(m.role == "replica" for m in topo.members.values()):
            runbook = PromotionRunbook(topo, zone, journal, study.failover, controller,
                                       streams.generator("emulate/runbook"))
            background.append(asyncio.create_task(runbook.run(horizon)))
        try:
            async with asyncio.timeout(horizon + GRACE_S + study.workload.op_timeout_s):
                await asyncio.gather(*(c.run(horizon, dense) for c in clients))
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
        measured.promote_s = controller.promote_s + (runbook.promote_s if runbook else [])
        measured.restore_s = controller.restore_s
        recorder = await _records(topo, journal, clients, horizon)
    finally:
        await topo.close()
    metrics, episodes = run_metrics(recorder)
    result = RunResult(design.name, design.kind, scenario.name, run_index, study.seed, horizon,
                       metrics, episodes, control=[tuple(e) for e in recorder.control],
                       wall_s=time.perf_counter() - started)
    if "time_to_alarm_s" not in not_applicable(study):
        add_time_to_alarm(study.alarms, recorder, result)
    return result, recorder, measured


NOT_RECORDED = {"replica_lag_s": "the emulator records no apply positions of its followers"}
"""Monitoring metrics whose records a run on real servers does not give (yet)."""


def not_applicable(study: Any) -> dict[str, str]:
    """Metrics the emulator cannot measure for ``study``, each with the reason: reported as
    "not applicable to emulation", never computed from missing records as 0. An alarm on
    an unrecorded metric makes ``time_to_alarm_s`` (the first alarm to fire) unknowable."""
    out = {}
    for alarm in study.alarms:
        if alarm.metric in NOT_RECORDED:
            out["time_to_alarm_s"] = (f"alarm {alarm.name!r} watches {alarm.metric}: "
                                      f"{NOT_RECORDED[alarm.metric]}")
    return out


def _uploads(archive: Archive, topo: Topology, journal: Journal, streams: Streams,
             horizon: float) -> Coroutine[Any, Any, None]:
    """The log uploads, at the phase the simulation draws for the same run (its
    ``backup/archive`` stream: one uniform draw over the interval)."""
    interval = topo.design.log_archive_interval_s
    phase = float(streams.generator("backup/archive").uniform(0, interval))
    return archive.run(lambda: topo.members[topo.primary].server, journal.clock, interval,
                       phase, horizon)


def _zone(topo: Topology, journal: Journal) -> Zone:
    from hadrsim.simulator.vocabulary import Ev

    zone = Zone(journal.clock, lambda name, to: journal.event(Ev.ENDPOINT_UPDATED, to, name))
    ttl = topo.design.dns_ttl_s
    zone.add(topo.writer_name, ttl, [topo.primary])
    if topo.reader_name is not None:
        zone.add(topo.reader_name, ttl, topo.readers())
    return zone


def _clients(study: Any, topo: Topology, zone: Zone, streams: Streams,
             journal: Journal) -> list[Client]:
    workload = study.workload
    regions = list(workload.client_regions)
    wiring = Wiring(topo.address, topo.timeline, topo.writer_name, topo.reader_name,
                    topo.is_down)
    write_ids = itertools.count(1)
    return [
        Client(f"c{i + 1}", regions[i % len(regions)], workload, wiring,
               Resolver(zone, workload.dns_cache_s),
               streams.generator(f"emulate/client/c{i + 1}"), write_ids, journal.clock)
        for i in range(workload.observed_clients)
    ]


def _dense_windows(study: Any, scenario: Any):
    """Whether a client probes densely at ``t``: around each scheduled fault, as the
    simulation's clients do (``observe_before_s`` before it, ``observe_after_s`` after)."""
    workload = study.workload
    windows = [(f.at_s - workload.observe_before_s,
                f.at_s + (f.mean_duration_s or 0.0) + workload.observe_after_s)
               for f in scenario.scheduled]
    return lambda t: any(lo <= t <= hi for lo, hi in windows)


async def _records(topo: Topology, journal: Journal, clients: list[Client],
                   horizon: float) -> Recorder:
    ops = sorted((op for c in clients for op in c.ops), key=lambda op: op.complete_s)
    commits = sorted((x for c in clients for x in c.commits), key=lambda x: x.time_s)
    strays: set[asyncio.Task] = set()
    final = await _final_read(topo.members[topo.primary], journal.clock(), strays)
    # a member whose storage is lost holds nothing: no state, as in the simulation
    replicas = [await _replica_state(m, strays) for m in topo.members.values()
                if not m.storage_lost]
    await settle(strays)
    return Recorder(ops=ops, commits=commits, faults=journal.faults, roles=journal.roles,
                    control=journal.control, final=final, replicas=replicas,
                    horizon_s=horizon)


async def _final_read(member: Member, now: float, strays: set[asyncio.Task]) -> FinalRead:
    """The surviving primary's writes and log ranges (unavailable: nothing is known)."""
    async def work(held: Attempt) -> tuple:
        conn = held.connected(await psycopg.AsyncConnection.connect(
            member.server.conninfo(), autocommit=True, connect_timeout=5))
        cur = await conn.execute("SELECT write_id FROM hadrsim_writes")
        ids = frozenset(row[0] for row in await cur.fetchall())
        cur = await conn.execute("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
        row = await cur.fetchone()
        tip = int(row[0]) if row else 0
        return ids, tip, await _surviving_ranges(conn, member.timeline, tip)

    if member.fenced or member.storage_lost or not member.server.running:
        # storage_lost: a restore the horizon cut short holds nothing yet, as simulated
        return FinalRead(now, member.name, False, member.timeline, 0, frozenset(), ())
    try:
        ids, tip, ranges = await bounded(work, FINAL_READ_S, strays)
    except (TimeoutError, psycopg.Error, OSError):
        return FinalRead(now, member.name, False, member.timeline, 0, frozenset(), ())
    return FinalRead(now, member.name, True, member.timeline, tip, ids, ranges)


async def _surviving_ranges(conn: psycopg.AsyncConnection, timeline: int,
                            tip: int) -> tuple[tuple[int, int, int], ...]:
    """``(timeline, lsn_from, lsn_to)`` of the log this server holds, both ends included as
    the checkers read them (a successor's range starts right after its ancestor's end):
    its timeline history file lists where each ancestor was cut, the first position the
    successor wrote, so an ancestor holds up to the position before; the newest runs to
    ``tip``."""
    spans, start = [], 0
    if timeline > 1:
        cur = await conn.execute("SELECT pg_read_file(%s)", (f"pg_wal/{timeline:08X}.history",))
        row = await cur.fetchone()
        for line in (row[0] if row else "").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].isdigit():
                hi, lo = parts[1].split("/")
                switch = (int(hi, 16) << 32) + int(lo, 16)
                spans.append((int(parts[0]), start, switch - 1))
                start = switch
    spans.append((timeline, start, tip))
    return tuple(spans)


async def _replica_state(member: Member, strays: set[asyncio.Task]) -> ReplicaState:
    """A member's end state (what a read there returns), or unavailable."""
    async def work(held: Attempt) -> tuple:
        conn = held.connected(await psycopg.AsyncConnection.connect(
            member.server.conninfo(), autocommit=True, connect_timeout=2))
        cur = await conn.execute("SELECT key, value FROM hadrsim_kv ORDER BY key")
        return tuple((int(k), v) for k, v in await cur.fetchall())

    if member.fenced or not member.server.running:
        return ReplicaState(member.name, "db", member.role, False, ())
    try:
        values = await bounded(work, FINAL_READ_S, strays)
    except (TimeoutError, psycopg.Error, OSError):
        return ReplicaState(member.name, "db", member.role, False, ())
    return ReplicaState(member.name, "db", member.role, True, values)


__all__ = ["GRACE_S", "NOT_RECORDED", "Measured", "not_applicable", "run_one"]
