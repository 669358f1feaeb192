"""The DR runbook: an operator (or a script) promotes a cross-Region replica.

As the simulation's :class:`~hadrsim.simulator.failover.PromotionRunbook`: the writer is
checked from the first replica's Region with the study's ``failover.detection``; when it is
found down the operator is paged, waits the (scaled) operator delay drawn from the run's
seed (none when ``failover.mode`` is automatic), stands down if the writer answers again,
defers while the Region's own HA can still recover, and otherwise promotes the most
advanced replica that answers (``pg_promote``), then repoints the writer and reader names
after the (scaled) ``repoint_s``. The old primary's data after the replica's last received
position is what the promotion loses: PostgreSQL's asynchronous replication, for real.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from hadrsim.emulate.controller import FailoverController, promote, received_lsn
from hadrsim.emulate.detector import Detector
from hadrsim.emulate.dns import Zone
from hadrsim.emulate.journal import Journal
from hadrsim.emulate.topology import Member, Topology
from hadrsim.simulator.vocabulary import Ev

RECHECK_S = 30.0
"""A deferred runbook looks again after this long (the simulation's constant, not scaled)."""


class PromotionRunbook:
    """Watches the writer from a replica's Region; promotes a replica when it must."""

    def __init__(self, topo: Topology, zone: Zone, journal: Journal, policy: Any,
                 controller: FailoverController, rng: np.random.Generator) -> None:
        self.topo, self.zone, self.journal, self.policy = topo, zone, journal, policy
        self.controller, self.rng = controller, rng
        self.region = next(m.region for m in topo.members.values() if m.role == "replica")
        self.detector = Detector(topo, policy.detection, self.region, journal.clock, rng)
        self.promote_s: list[float] = []

    async def run(self, horizon_s: float) -> None:
        try:
            while True:
                down = await self.detector.failed(lambda: self.topo.primary, horizon_s)
                if down is None:
                    return
                if await self._page(down):
                    return
                self.detector.resume_after(self.journal.clock())
        finally:
            await self.detector.close()

    def _draw(self, law: Any) -> float:
        return float(law.draw(self.rng, 1)[0])

    async def _page(self, writer: str) -> bool:
        """The operator's decision; whether a replica was promoted."""
        journal = self.journal
        journal.event(Ev.OPERATOR_PAGED, writer)
        if self.policy.mode == "manual":
            await asyncio.sleep(self._draw(self.policy.operator_delay_s))
        while True:
            # whether the writer answers, asked of the writer itself (as the simulation's
            # runbook does): a slow cross-Region link is not an outage
            if self.topo.responsive(self.topo.primary):
                journal.event(Ev.FAILOVER_ABORTED, self.topo.primary, "writer healthy again")
                return False
            if not self.controller.can_recover():
                break
            journal.event(Ev.DR_DEFERRED, self.topo.primary, "in-Region recovery under way")
            await asyncio.sleep(RECHECK_S)
        replica = await self._candidate()
        if replica is None:
            journal.event(Ev.FAILOVER_ABORTED, None, "no replica to promote")
            return False
        await self._promote(replica)
        return True

    async def _candidate(self) -> Member | None:
        best, best_lsn = None, -1
        for member in self.topo.members.values():
            if member.role != "replica" or member.fenced:
                continue
            lsn = await received_lsn(member, self.controller.strays)
            if lsn is not None and lsn > best_lsn:
                best, best_lsn = member, lsn
        return best

    async def _promote(self, replica: Member) -> None:
        topo, journal = self.topo, self.journal
        journal.event(Ev.PROMOTION_STARTED, replica.name, "operator")
        journal.role(replica.name, "promoting", replica.timeline, replica.az, dataset="db")
        started = journal.clock()
        replica.timeline = await promote(replica)
        self.promote_s.append(journal.clock() - started)
        self.controller.retire()
        old = topo.members[topo.primary]
        old.fenced, old.role = True, "fenced"
        replica.role, topo.primary = "primary", replica.name
        journal.role(replica.name, "primary", replica.timeline, replica.az, dataset="db")
        journal.event(Ev.PROMOTION_COMPLETED, replica.name, "operator")
        await asyncio.sleep(self._draw(self.policy.repoint_s))
        self.zone.set(topo.writer_name, [replica.name])
        if topo.reader_name is not None:
            self.zone.set(topo.reader_name, [replica.name])


__all__ = ["RECHECK_S", "PromotionRunbook"]
