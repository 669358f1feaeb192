"""A database service as clients see it: endpoints in front of the active group.

:class:`ClientService` is the seam: what an observed client (and the run, at
its end) asks of any database service. Two families implement it: the
single-writer :class:`Service` here, and the multi-active
:class:`~hadrsim.simulator.multileader.MultiActiveService` (and its MRSC
subclass). ``mypy hadrsim/simulator`` checks both against the protocol (see
the ``_conforms`` lines at the bottom of each module).

The *active* group is the one the writer endpoint belongs to. A managed failover
changes its primary; a disaster-recovery promotion replaces the whole group (the
old one lives on, fenced off, with whatever stale clients still write to it).
The final read after a run reads the active group's primary: that is the data
the business keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from hadrsim.simulator.records import FinalRead, ReplicaState

if TYPE_CHECKING:
    from hadrsim.simulator.log import Log
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.routing import DnsName, Endpoint
    from hadrsim.simulator.world import World


class ClientService(Protocol):
    """What clients and the end of a run need from a database service."""

    def writer_for(self, region: str) -> DnsName:
        """The name a client in ``region`` sends writes to."""
        ...

    def reader_for(self, region: str) -> DnsName:
        """The name a client in ``region`` sends reads to (when it reads from readers)."""
        ...

    def endpoints_from(self, region: str) -> Sequence[DnsName]:
        """Every writer name, the Region's own first (application-level failover)."""
        ...

    def final_read(self) -> FinalRead:
        """The data the business keeps, read after quiescence."""
        ...

    def replica_states(self, keys: range) -> list[ReplicaState]:
        """Every client-visible copy's values of ``keys`` (divergence checks)."""
        ...


class Service:
    """The writer and reader endpoints and the group behind them.

    Models wire Region-local endpoints, a DNS failover record and extra nodes
    through the ``set_*`` / :meth:`add_node` methods, never by editing its
    dictionaries.
    """

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
        self._dr_target: Callable[[], Node | None] | None = None
        self.local_readers_by_region: dict[str, Endpoint] = {}
        world.on_change(self._on_change)

    # --- wiring (models at build time, runbooks at promotion) ---------------------------
    def set_local_writer(self, region: str, endpoint: Endpoint | None) -> None:
        """Clients in ``region`` write through ``endpoint`` (None: the global writer)."""
        if endpoint is None:
            self.local_writers.pop(region, None)
        else:
            self.local_writers[region] = endpoint

    def set_local_reader(self, region: str, endpoint: Endpoint | None) -> None:
        """Clients in ``region`` read through ``endpoint`` (None: the global reader)."""
        if endpoint is None:
            self.local_readers_by_region.pop(region, None)
        else:
            self.local_readers_by_region[region] = endpoint

    def add_node(self, node: Node) -> None:
        """A node outside the active group that still belongs to the service (its
        end state counts): a secondary Region's cluster, a storage copy, a restore."""
        self.nodes[node.name] = node

    def set_front(self, record: DnsName) -> None:
        """A DNS failover record (Route 53) now fronts the writer endpoint."""
        self.front = record

    def set_dr_target(self, choose: Callable[[], Node | None]) -> None:
        """Who decides where a DR promotion sends writers (the promotion runbook)."""
        self._dr_target = choose

    def dr_target(self) -> Node | None:
        """The replica a DR promotion sends writers to now (None: no runbook, or none)."""
        return self._dr_target() if self._dr_target is not None else None

    def activate(self, group: ReplicationGroup) -> None:
        """``group`` is the active group from now on (a promotion or a restore)."""
        self.group = group

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
        ids: frozenset[int]
        spans: tuple[tuple[int, int, int], ...]
        if holder.storage_lost:
            ids, spans = frozenset(), ()
        else:
            ids = holder.timeline.write_ids_upto(holder.lsn)
            spans = tuple((t.tid, lo, hi) for t, lo, hi in holder.timeline.lineage(holder.lsn))
        return FinalRead(
            self.world.now, holder.name, holder.responsive, holder.timeline.tid, holder.lsn,
            ids, spans,
        )


if TYPE_CHECKING:

    def _conforms(service: Service) -> ClientService:
        return service  # mypy checks Service implements the seam
