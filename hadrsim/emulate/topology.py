"""A design's servers and links on 127.0.0.1: who is where, who follows whom, and the proxies.

The members come from the design kind's inventory (:meth:`DesignKind.inventory`, the same
names and places the simulation uses). Each kind the emulator supports maps to PostgreSQL's
own replication:

- ``rds_single_az``: one server;
- ``rds_multi_az_instance``: a primary and one synchronous standby
  (``synchronous_standby_names = 'FIRST 1 (standby)'``, ``synchronous_commit = on``), not
  readable by clients (AWS's standby serves no reads);
- ``rds_multi_az_cluster``: a writer and two readable standbys, a commit acknowledged by
  ``commit_quorum`` of them (``ANY n (b, c)``).

Every link goes through a :class:`~hadrsim.emulate.proxy.LinkProxy` with the study's
one-way delay: one per (client Region, member) for the clients, one per (member, member)
pair for replication, made up front so that a promotion re-points a follower at an
existing link (a proxy never changes its target), and one per member for the control
plane's health checks. A member's host failing cuts all of its links (:meth:`links_of`):
what was sent to it vanishes, as the simulation's unresponsive node drops messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

from hadrsim.emulate.clients import SCHEMA
from hadrsim.emulate.proxy import LinkProxy
from hadrsim.emulate.sandbox import Sandbox
from hadrsim.emulate.server import PgServer
from hadrsim.simulator.network import region_rtt_lookup
from hadrsim.spec.kinds import kind_of

if TYPE_CHECKING:
    from hadrsim.emulate.pitr import Archive

EMULATED_KINDS = ("rds_single_az", "rds_multi_az_instance", "rds_multi_az_cluster")


class NotEmulated(ValueError):
    """The design (or a part of it) has no emulation; the message names what."""


@dataclass
class Member:
    """One server of the design and what the control plane knows of it."""

    name: str
    role: str  # primary | standby
    region: str
    az: str
    server: PgServer
    readable: bool = False
    timeline: int = 1
    fenced: bool = False  # failed over from: never serves again in this run
    hung: bool = False  # paused by the nemesis (SIGSTOP)
    sync: bool = True  # counts for the commit (synchronous_standby_names)
    storage_lost: bool = False  # its data directory is gone (until a restore)


@dataclass
class Topology:
    """The design on real servers: members, DNS names, link proxies."""

    design: Any
    study: Any
    sandbox: Sandbox
    members: dict[str, Member] = field(default_factory=dict)
    primary: str = ""
    client_links: dict[tuple[str, str], LinkProxy] = field(default_factory=dict)
    replication_links: dict[tuple[str, str], LinkProxy] = field(default_factory=dict)
    control_links: dict[tuple[str, str], LinkProxy] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)  # Regions and AZs out now (the nemesis)
    reader_endpoint: str | None = None
    archive: Archive | None = None  # the lone instance's automated backups (PITR)

    @property
    def writer_name(self) -> str:
        return f"{self.design.name}.writer"

    @property
    def reader_name(self) -> str | None:
        """The reader endpoint, when clients read from readable standbys (decided once,
        at build: the name exists for the whole run)."""
        return self.reader_endpoint

    def readers(self) -> list[str]:
        """The reader endpoint's members: readable followers in the primary's Region (RDS
        lists local instances; a cross-Region replica has its own endpoint)."""
        region = self.members[self.primary].region
        return [m.name for m in self.members.values() if m.readable and m.role != "primary"
                and not m.fenced and m.region == region]

    def responsive(self, member: str) -> bool:
        """Whether ``member`` would answer now: running, not hung, its AZ and Region up
        (what the simulation's runbook asks of the writer itself, not over a link)."""
        m = self.members[member]
        return (m.server.running and not m.hung and not m.fenced
                and not self.is_down(m.az) and not self.is_down(m.region))

    def is_down(self, place: str) -> bool:
        """A Region or AZ is out (an outage under way): what runs there is down with it."""
        return place in self.down

    def address(self, region: str, member: str) -> tuple[str, int]:
        """Where a client in ``region`` connects to reach ``member``."""
        address = self.client_links[(region, member)].address
        assert address is not None
        return address

    def links_of(self, member: str) -> list[LinkProxy]:
        """Every link to or from ``member``: what vanishes with its host."""
        return [*(link for (_, m), link in self.client_links.items() if m == member),
                *(link for pair, link in self.replication_links.items() if member in pair),
                *(link for (_, m), link in self.control_links.items() if m == member)]

    def take_down(self, member: str) -> list[LinkProxy]:
        """The member's host is gone: cut its links, then kill its server; the links cut.
        Its open connections never deliver another byte: they reset when a link heals.

        Cut first, so that the killed server's connection resets do not reach its clients
        (a reset does not cross a cut): they wait out their time-outs, as against the
        simulation's unresponsive node."""
        links = self.links_of(member)
        for link in links:
            link.cut("both")
            link.lose_host()  # what it sent and the links held dies with it
        server = self.members[member].server
        if server.running:
            server.kill()
        return links

    def ends(self) -> Iterator[tuple[LinkProxy, tuple[str, ...], tuple[str, ...]]]:
        """Each link with the places of the side that connects and of the side it reaches
        (a proxy's "forward" direction goes from the first to the second). A client is
        placed in its Region; a follower connects to the member it streams from."""
        members = self.members
        for (region, name), link in self.client_links.items():
            yield link, (region,), _places(members[name])
        for (source, follower), link in self.replication_links.items():
            yield link, _places(members[follower]), _places(members[source])
        for (region, name), link in self.control_links.items():
            yield link, (region,), _places(members[name])

    def place(self, target: str) -> str | None:
        """A fault's place: ``primary_az``, ``standby_region``..., or a Region or AZ name."""
        role, _, level = target.rpartition("_")
        if level in ("az", "region") and role in ("primary", "standby"):
            member = self.members[self.primary] if role == "primary" else next(
                (m for m in self.members.values() if m.role == "standby" and not m.fenced),
                None)
            return None if member is None else getattr(member, level)
        return target

    def control_address(self, region: str, member: str) -> tuple[str, int]:
        """Where health checks from ``region``'s control plane reach ``member``."""
        address = self.control_links[(region, member)].address
        assert address is not None
        return address

    def timeline(self, member: str) -> int:
        return self.members[member].timeline

    def sync_names(self, primary: str) -> str:
        """``synchronous_standby_names`` for ``primary``: its synchronous followers."""
        names = [m.name for m in self.members.values() if m.name != primary and m.sync
                 and not m.fenced]
        if not names:
            return ""
        quoted = ", ".join(f'"{n}"' for n in names)
        if self.design.kind == "rds_multi_az_cluster":
            return f"ANY {min(self.design.commit_quorum, len(names))} ({quoted})"
        return f"FIRST 1 ({quoted})"

    async def close(self) -> None:
        for proxy in [*self.client_links.values(), *self.replication_links.values(),
                      *self.control_links.values()]:
            await proxy.close()


def _places(member: Member) -> tuple[str, str]:
    return (member.az, member.region)


def check_emulated(design: Any) -> None:
    """Raise :class:`NotEmulated` unless every part of ``design`` has an emulation."""
    if design.kind not in EMULATED_KINDS:
        raise NotEmulated(f"not emulated: {design.kind} (design {design.name!r}); the "
                          f"emulator runs {', '.join(EMULATED_KINDS)}")


def one_way_delay_s(study: Any) -> Callable[[str, str, str, str], float]:
    """``delay(region_a, az_a, region_b, az_b)``: half the round trip, as the simulation's
    Network.base_delay_s gives it (a client is placed in its Region, not an AZ)."""
    spec = study.network
    rtt = region_rtt_lookup(spec)

    def delay(region_a: str, az_a: str, region_b: str, az_b: str) -> float:
        if region_a != region_b:
            return rtt(region_a, region_b) / 2000.0
        if az_a == az_b and az_a != region_a:
            return spec.intra_az_rtt_ms / 2000.0
        return spec.inter_az_rtt_ms / 2000.0

    return delay


async def build(study: Any, design: Any, sandbox: Sandbox, client_regions: list[str],
                archive: Archive | None = None) -> Topology:
    """Start the design's servers and links: the primary with the schema, its followers
    streaming from it (synchronous ones in sync), a proxy per link. With ``archive`` the
    primary archives its log and a base backup is taken once the schema is in place."""
    check_emulated(design)
    topo = Topology(design, study, sandbox, archive=archive)
    replicas = {spec.name: spec for spec in getattr(design, "replicas", [])}
    for i, slot in enumerate(kind_of(design).inventory(design)):
        replica = replicas.get(slot.name)
        role = "primary" if i == 0 else "replica" if replica is not None else "standby"
        topo.members[slot.name] = Member(
            slot.name, role, slot.region or "", slot.az or "", sandbox.server(slot.name),
            readable=(design.kind == "rds_multi_az_cluster" and i > 0) or bool(
                replica is not None and replica.readable),
            sync=replica is None)
    topo.primary = next(iter(topo.members))
    if study.workload.reads_from == "reader" and topo.readers():
        topo.reader_endpoint = f"{design.name}.reader"
    delay = one_way_delay_s(study)
    for a in topo.members.values():
        for b in topo.members.values():
            if a is not b:  # b follows a through this link
                link = LinkProxy(("127.0.0.1", a.server.port), name=f"{a.name}->{b.name}",
                                 one_way_delay_s=delay(a.region, a.az, b.region, b.az))
                await link.start()
                topo.replication_links[(a.name, b.name)] = link
        # health checks reach each member from every Region a member is in (RDS's control
        # plane in the primary's Region; an operator's DR check from a replica's)
        for region in dict.fromkeys(m.region for m in topo.members.values()):
            link = LinkProxy(("127.0.0.1", a.server.port), name=f"{region}/control->{a.name}",
                             one_way_delay_s=delay(region, region, a.region, a.az))
            await link.start()
            topo.control_links[(region, a.name)] = link
        for region in client_regions:
            link = LinkProxy(("127.0.0.1", a.server.port), name=f"{region}->{a.name}",
                             one_way_delay_s=delay(region, region, a.region, a.az))
            await link.start()
            topo.client_links[(region, a.name)] = link
    await _start_servers(topo)
    return topo


async def _start_servers(topo: Topology) -> None:
    primary, archive = topo.members[topo.primary], topo.archive
    if archive is None:
        primary.server.init_primary()
    else:
        primary.server.init_primary(archive.settings(), wal_segsize_mb=archive.wal_segsize_mb)
    primary.server.start()
    keys = topo.study.workload.observed_keys
    with psycopg.connect(primary.server.conninfo(), autocommit=True) as conn:
        conn.execute(SCHEMA.format(keys=int(keys)))
    if archive is not None:
        await asyncio.to_thread(archive.snapshot, primary.server)
    followers = [m for m in topo.members.values() if m.name != topo.primary]
    for member in followers:
        link = topo.replication_links[(primary.name, member.name)]
        assert link.address is not None
        # in a thread: pg_basebackup streams through the link's proxy, on this event loop
        await asyncio.to_thread(member.server.init_standby, link.address[1])
        member.server.spawn()  # here: a server dies with the thread that started it
    for member in followers:
        await member.server.wait_ready_async()
    names = topo.sync_names(primary.name)
    if names:
        with psycopg.connect(primary.server.conninfo(), autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{names}'")
            conn.execute("SELECT pg_reload_conf()")
    await wait_in_sync(primary.server, [m.name for m in followers])


async def wait_in_sync(server: PgServer, names: list[str], timeout_s: float = 30.0) -> None:
    """Wait until every named follower streams from ``server`` and has replayed its log."""
    if not names:
        return
    async with await psycopg.AsyncConnection.connect(server.conninfo(), autocommit=True) as conn:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            cur = await conn.execute(
                "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' "
                "AND replay_lsn >= pg_current_wal_lsn()")
            streaming = {row[0] for row in await cur.fetchall()}
            if set(names) <= streaming:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"followers {sorted(set(names) - streaming)} did not reach "
                                   f"the primary's log in {timeout_s:.0f} s")
            await asyncio.sleep(0.05)


__all__ = ["EMULATED_KINDS", "Member", "NotEmulated", "Topology", "build", "check_emulated",
           "one_way_delay_s"]
