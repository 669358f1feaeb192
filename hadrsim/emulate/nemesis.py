"""The nemesis: a scenario's scheduled faults done to real servers and links.

- ``instance_crash``: SIGKILL of the server's whole process group (postmaster and backends),
  and its links cut: the instance's host is gone, so what clients send it vanishes (they
  time out, as against the simulation's unresponsive node) rather than being refused by
  a live kernel, which a process crash on a live host would give;
- ``instance_hang``: SIGSTOP of the group, SIGCONT when the fault ends;
- ``storage_loss``: an instance crash, then its data directory deleted; nothing reverts it
  (:mod:`hadrsim.emulate.pitr`: the control plane restores a lone instance from its
  backups, or it stays down);
- ``network_partition`` / ``added_latency`` between two places (one way or both): the
  links whose two ends lie on the two sides are cut (bytes held, as TCP retransmits), or
  slowed by ``latency_ms`` (a one-way slowdown is spread over both directions: a proxy's
  delay is per link) with ``loss`` emulated as connection resets (:data:`LOSS_RESETS_PER_S`);
- ``replication_break``: every replication link into the target follower is cut both ways
  (its stream and its acknowledgements stop, as the simulation's broken inbound stream)
  until the fault ends;
- ``az_outage`` / ``region_outage``: every server there is killed and every link to or
  from there is cut (a client's connection hangs, as packets to a dead AZ vanish); when
  the fault ends the links heal; the servers stay down unless the control plane restarts
  them (as RDS replaces hosts, not the nemesis).

Each fault is recorded as the simulation records it (:class:`~hadrsim.simulator.records.Fault`:
scope, disruption class, affected locations). Anything else is refused before the run by
:func:`check_faults`, naming the fault.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from hadrsim.emulate.journal import Journal
from hadrsim.emulate.topology import Member, NotEmulated, Topology
from hadrsim.simulator.records import Fault
from hadrsim.spec.faults import Faults

EMULATED_FAULTS = (Faults.INSTANCE_CRASH, Faults.INSTANCE_HANG, Faults.AZ_OUTAGE,
                   Faults.REGION_OUTAGE, Faults.NETWORK_PARTITION, Faults.ADDED_LATENCY,
                   Faults.REPLICATION_BREAK, Faults.STORAGE_LOSS)
PATH_FAULTS = (Faults.NETWORK_PARTITION, Faults.ADDED_LATENCY)
LOSS_RESETS_PER_S = 100.0
"""ASM: a busy connection sends ~100 packets a second; a loss probability p resets it at
p x 100 per second (a TCP proxy cannot drop packets, only reset connections)."""


def check_faults(scenario: Any) -> None:
    """Raise :class:`NotEmulated` for a fault the emulator cannot do to real servers."""
    if scenario.stochastic:
        raise NotEmulated(f"not emulated: stochastic faults (scenario {scenario.name!r}); "
                          "the emulator runs scheduled faults only")
    for i, fault in enumerate(scenario.scheduled):
        if fault.kind not in EMULATED_FAULTS:
            raise NotEmulated(f"not emulated: {fault.kind} (scenario {scenario.name!r} "
                              f"scheduled.{i}); the emulator does {', '.join(EMULATED_FAULTS)}")


class Nemesis:
    """Injects the scenario's faults at their (scaled) times and reverts the timed ones."""

    def __init__(self, topo: Topology, journal: Journal, scenario: Any,
                 rng: np.random.Generator) -> None:
        self.topo, self.journal, self.scenario, self.rng = topo, journal, scenario, rng
        self._reverts: list[asyncio.Task] = []
        self._at = 0.0  # when the faults being injected struck

    async def run(self) -> None:
        """Faults scheduled at one instant are injected together and recorded at one time,
        as the simulation's are (not a fraction of a millisecond apart, which would give
        the first an empty episode window)."""
        clock, last = self.journal.clock, None
        for fault in sorted(self.scenario.scheduled, key=lambda f: f.at_s):
            await asyncio.sleep(max(0.0, fault.at_s - clock()))
            if fault.at_s != last:
                self._at, last = clock(), fault.at_s
            self._inject(len(self.journal.faults) + 1, fault)
        if self._reverts:
            await asyncio.gather(*self._reverts)

    def _inject(self, fault_id: int, fault: Any) -> None:
        if fault.kind in PATH_FAULTS:
            self._inject_path(fault_id, fault)
            return
        if fault.kind == Faults.REPLICATION_BREAK:
            self._inject_break(fault_id, fault)
            return
        scope, affected, members, places = self._resolve(fault)
        duration = self._duration(fault)
        now = self._at
        end = None if duration is None else now + duration
        self.journal.faults.append(
            Fault(fault_id, fault.kind, scope, fault.disruption_class, now, end, affected))
        links: dict[int, Any] = {}
        if fault.kind == Faults.INSTANCE_HANG:
            for member in members:
                member.server.pause()
                member.hung = True
        else:  # the host is gone: its process, and every packet sent to it
            for member in members:
                links.update((id(link), link) for link in self.topo.take_down(member.name))
                if fault.kind == Faults.STORAGE_LOSS:  # and its volume
                    member.server.wipe()
                    member.storage_lost = True
        links.update((id(link), link) for link in self._links(places))
        for link in links.values():
            link.cut("both")
        self.topo.down.update(places)
        # a lost volume stays lost: its end (recorded, as the simulation's) reverts nothing,
        # only the control plane's restore brings the instance and its links back
        if duration is not None and fault.kind != Faults.STORAGE_LOSS:
            self._reverts.append(asyncio.create_task(
                self._revert(duration, fault.kind, members, list(links.values()), places)))

    async def _revert(self, duration: float, kind: str, members: list[Member],
                      links: list, places: set[str]) -> None:
        """The fault ends: links heal; a hung server resumes; a crashed one that was not
        failed over from starts again (crash recovery) - unless the control plane did."""
        await asyncio.sleep(duration)
        self.topo.down.difference_update(places)
        for link in links:
            link.heal()
        for member in members:
            if member.fenced:
                continue
            if kind == Faults.INSTANCE_HANG and member.server.running:
                member.server.resume()
                member.hung = False
            elif kind == Faults.INSTANCE_CRASH and not member.server.running:
                member.server.spawn()

    def _inject_break(self, fault_id: int, fault: Any) -> None:
        """The follower's inbound replication stops (links cut, bytes held) until the end."""
        name = self._node(fault.target)
        duration = self._duration(fault)
        now = self._at
        self.journal.faults.append(Fault(fault_id, fault.kind, f"stream:{name}",
                                         fault.disruption_class, now,
                                         None if duration is None else now + duration, ()))
        links = [link for (_, follower), link in self.topo.replication_links.items()
                 if follower == name]
        for link in links:
            link.cut("both")
        if duration is not None:
            self._reverts.append(asyncio.create_task(
                self._undo_after(duration, [link.heal for link in links])))

    def _node(self, target: str) -> str:
        """The member a node fault's target names (``primary``, ``standby``, ``replica``,
        ``node:NAME``), as the simulation resolves it."""
        topo = self.topo
        if target == "primary":
            return topo.primary
        if target in ("standby", "replica"):
            name = _first_follower(topo, target)
            if name is None:
                raise NotEmulated(f"not emulated: fault target {target!r}: no {target}")
            return name
        name = target.removeprefix("node:")
        if name not in topo.members:
            raise NotEmulated(f"not emulated: fault target {target!r}: no such member")
        return name

    def _duration(self, fault: Any) -> float | None:
        if fault.duration_s is None or isinstance(fault.duration_s, float):
            return fault.duration_s
        return float(fault.duration_s.draw(self.rng, 1)[0])

    def _inject_path(self, fault_id: int, fault: Any) -> None:
        """A partition or a degraded path between two places, one way or both, as the
        simulation's network blocks or degrades the directed pairs of locations."""
        a, b = (self.topo.place(p) for p in fault.between)
        if a is None or b is None:
            raise NotEmulated(f"not emulated: {fault.kind} between {fault.between}: "
                              "a place this design does not have")
        pairs = [(a, b)] if fault.one_way else [(a, b), (b, a)]
        duration = self._duration(fault)
        now = self._at
        scope = f"link:{a}{'->' if fault.one_way else '<->'}{b}"
        self.journal.faults.append(Fault(fault_id, fault.kind, scope, fault.disruption_class,
                                         now, None if duration is None else now + duration, ()))
        undo = []
        for link, src, dst in self.topo.ends():
            forward = any(x in src and y in dst for x, y in pairs)
            backward = any(x in dst and y in src for x, y in pairs)
            if not (forward or backward):
                continue
            if fault.kind == Faults.NETWORK_PARTITION:
                link.cut("both" if forward and backward else
                         "forward" if forward else "backward")
                undo.append(link.heal)
                continue
            base = link.delay_s  # a one-way-only slowdown is spread over both directions
            share = 1.0 if forward and backward else 0.5
            link.set_delay(base + share * fault.latency_ms / 1000.0)
            link.set_reset_rate(fault.loss * LOSS_RESETS_PER_S)
            undo.append(lambda link=link, base=base: (link.set_delay(base),
                                                      link.set_reset_rate(0.0)))
        if duration is not None:
            self._reverts.append(asyncio.create_task(self._undo_after(duration, undo)))

    async def _undo_after(self, duration: float, undo: list) -> None:
        await asyncio.sleep(duration)
        for step in undo:
            step()

    def _resolve(self, fault: Any) -> tuple[str, tuple[str, ...], list[Member], set[str]]:
        """``(scope, affected locations, members hit, places cut off)``."""
        topo, target = self.topo, fault.target
        primary = topo.members[topo.primary]
        if fault.kind in (Faults.INSTANCE_CRASH, Faults.INSTANCE_HANG, Faults.STORAGE_LOSS):
            name = self._node(target)
            return f"node:{name}", (), [topo.members[name]], set()
        if fault.kind == Faults.AZ_OUTAGE:
            az = primary.az if target == "primary_az" else target
            hit = [m for m in topo.members.values() if m.az == az]
            return f"az:{az}", (az,), hit, {az}
        region = primary.region if target == "primary_region" else target
        azs = tuple(sorted({m.az for m in topo.members.values() if m.region == region}))
        hit = [m for m in topo.members.values() if m.region == region]
        return f"region:{region}", (region, *azs), hit, {region, *azs}

    def _links(self, places: set[str]) -> list:
        """Every link with an end in ``places`` (a client end is its Region)."""
        topo, links = self.topo, []
        for (region, name), link in topo.client_links.items():
            member = topo.members[name]
            if region in places or member.az in places or member.region in places:
                links.append(link)
        for (a, b), link in topo.replication_links.items():
            ends = {topo.members[a].az, topo.members[b].az, topo.members[a].region,
                    topo.members[b].region}
            if ends & places:
                links.append(link)
        return links


def _first_follower(topo: Topology, target: str) -> str | None:
    """``standby``: the first synchronous standby; ``replica``: as the simulation picks the
    DR copy, a cross-Region replica, then any replica, then a readable standby."""
    home = topo.members[topo.primary].region
    followers = [m for m in topo.members.values() if m.name != topo.primary and not m.fenced]
    if target == "standby":
        tests = [lambda m: m.role == "standby"]
    else:
        tests = [lambda m: m.role == "replica" and m.region != home,
                 lambda m: m.role == "replica", lambda m: m.readable]
    for test in tests:
        for member in followers:
            if test(member):
                return member.name
    return None


__all__ = ["EMULATED_FAULTS", "Nemesis", "check_faults"]
