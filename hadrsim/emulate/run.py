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
loss count checks against, independently of the client history.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from hadrsim.emulate.attempt import Attempt, bounded, settle
from hadrsim.emulate.clients import Client, Wiring
from hadrsim.emulate.controller import FailoverController
from hadrsim.emulate.dns import Resolver, Zone
from hadrsim.emulate.journal import Journal
from hadrsim.emulate.nemesis import Nemesis
from hadrsim.emulate.runbook import PromotionRunbook
from hadrsim.emulate.sandbox import Sandbox
from hadrsim.emulate.topology import Member, Topology, build
from hadrsim.experiments.run import RunResult
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
    topo = await build(study, design, sandbox, regions)
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
        recorder = await _records(topo, journal, clients, horizon)
    finally:
        await topo.close()
    metrics, episodes = run_metrics(recorder)
    result = RunResult(design.name, design.kind, scenario.name, run_index, study.seed, horizon,
                       metrics, episodes, control=[tuple(e) for e in recorder.control],
                       wall_s=time.perf_counter() - started)
    return result, recorder, measured


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
    replicas = [await _replica_state(m, strays) for m in topo.members.values()]
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

    if member.fenced or not member.server.running:
        return FinalRead(now, member.name, False, member.timeline, 0, frozenset(), ())
    try:
        ids, tip, ranges = await bounded(work, FINAL_READ_S, strays)
    except (TimeoutError, psycopg.Error, OSError):
        return FinalRead(now, member.name, False, member.timeline, 0, frozenset(), ())
    return FinalRead(now, member.name, True, member.timeline, tip, ids, ranges)


async def _surviving_ranges(conn: psycopg.AsyncConnection, timeline: int,
                            tip: int) -> tuple[tuple[int, int, int], ...]:
    """``(timeline, lsn_from, lsn_to)`` of the log this server holds: its timeline
    history file lists where each ancestor was cut; the newest runs to ``tip``."""
    spans, start = [], 0
    if timeline > 1:
        cur = await conn.execute("SELECT pg_read_file(%s)", (f"pg_wal/{timeline:08X}.history",))
        row = await cur.fetchone()
        for line in (row[0] if row else "").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].isdigit():
                hi, lo = parts[1].split("/")
                switch = (int(hi, 16) << 32) + int(lo, 16)
                spans.append((int(parts[0]), start, switch))
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


__all__ = ["GRACE_S", "Measured", "run_one"]
