"""A database service as clients see it: endpoints in front of the active group.

The *active* group is the one the writer endpoint belongs to. A managed failover
changes its primary; a disaster-recovery promotion replaces the whole group (the
old one lives on, fenced off, with whatever stale clients still write to it).
The final read after a run reads the active group's primary: that is the data
the business keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hadrsim.simulator.records import FinalRead, ReplicaState

if TYPE_CHECKING:
    from hadrsim.simulator.log import Log
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.routing import DnsName, Endpoint
    from hadrsim.simulator.world import World


class Service:
    """The writer and reader endpoints and the group behind them."""

    def __init__(
        self,
        world: World,
        log: Log,
        group: ReplicationGroup,
        writer: Endpoint,
        reader: Endpoint,
    ):
        self.world = world
        self.log = log
        self.group = group
        self.writer = writer
        self.reader = reader
        self.nodes: dict[str, Node] = {n.name: n for n in group.members()}
        # Region-local endpoints (a global database's secondary clusters)
        self.local_writers: dict[str, Endpoint] = {}
        # a DNS failover record in front of the writer (Route 53), if any
        self.front: DnsName | None = None
        # where a DR promotion sends writers (the runbook's choice): the failover
        # record's secondary asks it, so both fail over to the same replica
        self.dr_target: Callable[[], Node | None] | None = None
        self.local_readers_by_region: dict[str, Endpoint] = {}
        world.on_change(self._on_change)

    def writer_for(self, region: str) -> DnsName:
        return self.local_writers.get(region, self.front or self.writer)

    def reader_for(self, region: str) -> Endpoint:
        return self.local_readers_by_region.get(region, self.reader)

    def endpoints_from(self, region: str) -> list[DnsName]:
        """The client's own endpoint first, then the others (application failover)."""
        own = self.writer_for(region)
        others = [self.writer, *self.local_writers.values()]
        return [own] + [e for e in dict.fromkeys(others) if e is not own]

    def _on_change(self) -> None:
        # a follower that came back gets the primary's current position right away
        self.group.catch_up()

    def local_readers(self) -> list[Node]:
        """Available readable followers in the primary's Region, or the primary if none.

        Like the RDS reader endpoint, the control plane lists only instances it
        knows to be available, as of the moment it rewrites the record.
        """
        primary = self.group.primary
        readers = [
            n for n in self.group.members()
            if n is not primary and n.readable and n.region == primary.region and n.responsive
        ]
        return readers or [primary]

    def replica_states(self, keys: range) -> list[ReplicaState]:
        """Every node's end state, storage-lost nodes excluded (they hold nothing)."""
        return [
            ReplicaState(node.name, node.dataset, node.role, node.responsive, node.state(keys))
            for node in self.nodes.values()
            if not node.storage_lost and not node.internal
        ]

    def final_read(self) -> FinalRead:
        holder = self.group.primary
        if holder.storage_lost:
            ids, spans = frozenset(), ()
        else:
            ids = holder.timeline.write_ids_upto(holder.lsn)
            spans = tuple((t.tid, lo, hi) for t, lo, hi in holder.timeline.lineage(holder.lsn))
        return FinalRead(
            self.world.now, holder.name, holder.responsive, holder.timeline.tid, holder.lsn,
            ids, spans,
        )
