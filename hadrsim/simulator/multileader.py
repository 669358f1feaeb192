"""Multi-active replicas with last-writer-wins (DynamoDB global tables, MREC).

Every Region's replica accepts writes. A write is stamped with the replica's
clock (simulated time plus any clock skew, so the skew fault matters) and the
replica's index as a tie-break; the pair, packed into one integer, is the
write's *version*. A Region serializes the writes to one item: a write that
commits after a later-stamped write of its own Region (write latencies differ)
replaces it anyway, stamped a microsecond above it, so last writer wins only
between Regions, never within one (nothing a Region acknowledged is discarded
by that Region's own next write). Each replica replicates its own writes to
every peer in order, asynchronously, with a lag; a peer keeps an item only if
the incoming version is newer (last writer wins, conflicts not logged, S17).
Replication is durable and resumes after a partition or outage: delayed, not
lost (S35d), unless the Region never returns.

An acknowledged write replies with the item it replaced (``ALL_OLD``), which is
what the lost-update checker needs. Eventually consistent reads see the item as
of a short staleness ago; strongly consistent reads see the replica's latest.

What survives (the final read): a single-writer design keeps the writes of its
durable log, a later overwrite included (set semantics: overwritten is not
lost). A multi-active table has no single log; its equivalent is each key's
*surviving history*: the item a read returns after quiescence, then the item
that write replaced at its origin, and so on back (the ``prev`` chain each
origin recorded when it committed). A write overwritten by one whose origin had
already applied it is in that chain (a normal overwrite); a write that
last-writer-wins discarded, or one superseded by a write its origin never saw,
is not, so it counts as lost, as DESIGN.md's RPO defines.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from hadrsim.simulator.node import Node
from hadrsim.simulator.records import (
    Apply,
    Commit,
    FinalRead,
    ReplicaState,
    corrupt_write_id,
)
from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.log import Timeline
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.routing import Endpoint
    from hadrsim.simulator.service import ClientService
    from hadrsim.simulator.world import World

ACTIVE = "active"
_ORIGIN_BITS = 64  # versions pack (microsecond timestamp, origin index)


class LwwReplica(Node):
    """One Region's replica of a multi-active table."""

    def __init__(
        self,
        world: World,
        net: Network,
        name: str,
        az: str,
        root: Timeline,
        *,
        index: int,
        write_latency: Sampler,
        replication_lag: Sampler,
        lag_regime_s: float,
        read_staleness: Sampler,
        consistent_reads: bool,
        log_id: int | None = None,
        dataset: str = "db",
    ):
        super().__init__(world, net, name, az, root)
        self.index = index
        # the commit records' timeline: distinct for a restored table's replicas
        self.log_id = index if log_id is None else log_id
        self.set_role(ACTIVE)
        # set after the first role record, which has always named the default
        # dataset (pinned history hashes); fixing that is a deliberate, separate change
        self.dataset = dataset
        self.write_latency = write_latency
        self.replication_lag = replication_lag
        self.lag_regime_s = lag_regime_s
        self.read_staleness = read_staleness
        self.consistent_reads = consistent_reads
        self.peers: list[LwwReplica] = []
        # key -> [(apply time, version, write id)], versions increasing
        self.items: dict[int, list[tuple[float, int, int]]] = {}
        self.outbox: list[tuple[int, int, int]] = []  # own writes: (key, version, write id)
        self.received: dict[int, int] = {}  # origin index -> writes applied in order
        self.applied_ids: dict[int, float] = {}  # write id -> when it reached this replica
        self.prev_of: dict[int, int | None] = {}  # own write id -> item it replaced here
        self.fenced = False  # replaced by a restored table: refuses writes
        self._acked_by: dict[str, int] = {}  # peer name -> own writes it confirmed
        self._lag: dict[str, tuple[float, float]] = {}  # peer -> (lag, until)
        self._last_send: dict[str, float] = {}

    def state(self, keys: range) -> tuple[tuple[int, int | None], ...]:
        return tuple((key, self._current(key)[1]) for key in keys)

    def _current(self, key: int) -> tuple[int | None, int | None]:
        history = self.items.get(key)
        if not history:
            return None, None
        _t, version, write_id = history[-1]
        return version, write_id

    def _apply(self, key: int, version: int, write_id: int) -> bool:
        """Keep the newer of the current item and this write; True if it won."""
        self.applied_ids.setdefault(write_id, self.world.now)
        current, _ = self._current(key)
        if current is not None and current >= version:
            return False
        self.items.setdefault(key, []).append((self.world.now, version, write_id))
        return True

    # --- client requests ---------------------------------------------------------------
    def receive_write(self, key: int, write_id: int, reply) -> None:
        if not self.responsive:
            return
        if self.fenced:
            reply(False, None, "table replaced by a restore")
            return
        stamp = int(round((self.world.now + self.clock_skew_s) * 1e6))
        version = stamp * _ORIGIN_BITS + self.index
        self.world.call_later(self.write_latency(), self._commit, key, version, write_id, reply)

    def _commit(self, key: int, version: int, write_id: int, reply) -> None:
        if not self.responsive:
            return  # died before the write was durable: the client times out
        current, prev = self._current(key)
        if current is not None and current >= version and current % _ORIGIN_BITS == self.index:
            # a write of this Region stamped later committed first (write latencies are
            # drawn per write): a Region serializes an item's writes, so this one still
            # replaces it, one microsecond later; last writer wins only between Regions
            version = current + _ORIGIN_BITS
        self.prev_of[write_id] = prev
        self._apply(key, version, write_id)
        self.outbox.append((key, version, write_id))
        seq = len(self.outbox)
        self.world.rec.commits.append(
            Commit(self.world.now, self.name, self.log_id, seq, seq, 1, (write_id,))
        )
        reply(True, version, None, prev)
        for peer in self.peers:
            self._ship(peer, seq)

    def receive_read(self, key: int, reply) -> None:
        if not self.responsive:
            return
        history = self.items.get(key)
        if not history:
            reply(True, None, None, None)
            return
        if self.consistent_reads:
            _t, version, write_id = history[-1]
        else:
            as_of = self.world.now - self.read_staleness()
            i = bisect_right(history, as_of, key=lambda item: item[0])
            if i == 0:
                reply(True, None, None, None)
                return
            _t, version, write_id = history[i - 1]
        reply(True, write_id, version, None)

    # --- replication ----------------------------------------------------------------------
    def _ship(self, peer: LwwReplica, upto: int) -> None:
        now = self.world.now
        lag, until = self._lag.get(peer.name, (0.0, -1.0))
        if now >= until:
            lag, until = self.replication_lag(), now + self.lag_regime_s
            self._lag[peer.name] = (lag, until)
        send_at = max(now + lag, self._last_send.get(peer.name, 0.0))
        self._last_send[peer.name] = send_at
        self.world.call_later(send_at - now, self._send, peer, upto)

    def _send(self, peer: LwwReplica, upto: int) -> None:
        if not self.responsive:
            return  # the outbox waits on this replica's storage until it is back
        start = self._acked_by.get(peer.name, 0)
        if upto <= start:
            return
        batch = self.outbox[start:upto]
        self.net.send(self.az, peer.az, peer._receive, self, start, batch)

    def _receive(self, origin: LwwReplica, start: int, batch: list) -> None:
        if not self.responsive:
            return
        have = self.received.get(origin.index, 0)
        if start > have:
            return  # a gap (an earlier batch was lost): the catch-up will resend
        for key, version, write_id in batch[have - start:]:
            self._apply(key, version, write_id)
        done = start + len(batch)
        if done > have:
            self.received[origin.index] = done
            self.world.rec.applies.append(
                Apply(self.world.now, self.name, origin.name, origin.log_id, done)
            )
        self.net.send(self.az, origin.az, origin._confirm, self, done)

    def _confirm(self, peer: LwwReplica, done: int) -> None:
        if done > self._acked_by.get(peer.name, 0):
            self._acked_by[peer.name] = done

    def seed_from(self, other: LwwReplica, as_of: float) -> None:
        """Point-in-time restore: this fresh replica holds ``other``'s data as of a time."""
        for key, history in other.items.items():
            i = bisect_right(history, as_of, key=lambda item: item[0])
            if i:
                _t, version, write_id = history[i - 1]
                self.items[key] = [(self.world.now, version, write_id)]
        self.applied_ids = {w: self.world.now for w, t in other.applied_ids.items()
                            if t <= as_of}

    def catch_up(self) -> None:
        """Resend what peers have not confirmed (after a partition or outage heals)."""
        if not self.responsive:
            return
        for peer in self.peers:
            if self._acked_by.get(peer.name, 0) < len(self.outbox):
                self._ship(peer, len(self.outbox))


class TableMember(Protocol):
    """A member of a multi-active table, as the table's wiring and restore see it."""

    name: str
    region: str
    dataset: str
    role: str
    fenced: bool
    peers: list[Any]

    @property
    def responsive(self) -> bool: ...

    def state(self, keys: range) -> tuple[tuple[int, int | None], ...]: ...

    def catch_up(self) -> None: ...

    def seed_from(self, other: Any, as_of: float) -> None: ...


M = TypeVar("M", bound=TableMember)


def connect(members: Sequence[TableMember]) -> None:
    """Every member replicates to every other one (in the given order)."""
    for member in members:
        member.peers = [m for m in members if m is not member]


class MultiActiveService(Generic[M]):
    """Client-facing view of a multi-active table: one endpoint per Region.

    It connects its members to each other (:func:`connect`); a restore swaps in
    a new table through :meth:`replace_replicas`.
    """

    def __init__(self, world: World, replicas: Sequence[M], endpoints: dict[str, Endpoint]):
        self.world = world
        self.replicas: list[M] = list(replicas)
        self.nodes: dict[str, M] = {r.name: r for r in replicas}
        self.local_writers = endpoints
        self.local_readers_by_region = endpoints
        self.writer = endpoints[replicas[0].region]
        self.reader = self.writer
        self.group = None  # no single-writer group (fault targets check for None)
        connect(self.replicas)
        world.on_change(self._on_change)

    def endpoint_in(self, region: str) -> Endpoint | None:
        """The Regional endpoint of ``region`` (None: a Region without one, a witness's)."""
        return self.local_writers.get(region)

    def replace_replicas(self, fresh: Sequence[M]) -> None:
        """A restored table takes over: the old members are fenced, kept for their end state."""
        connect(fresh)
        for replica in self.replicas:
            replica.fenced = True
        self.replicas = list(fresh)
        self.nodes.update({r.name: r for r in fresh})

    def _on_change(self) -> None:
        for replica in self.replicas:
            replica.catch_up()

    def writer_for(self, region: str) -> Endpoint:
        return self.local_writers.get(region, self.writer)

    def reader_for(self, region: str) -> Endpoint:
        return self.local_readers_by_region.get(region, self.reader)

    def endpoints_from(self, region: str) -> list[Endpoint]:
        """The Region's own endpoint first, then the others (application failover)."""
        own = self.writer_for(region)
        return [own] + [e for e in self.local_writers.values() if e is not own]

    def final_read(self) -> FinalRead:
        """The data the business keeps: the first available replica's, in Region order.

        ``write_ids`` are the writes in each key's surviving history at that replica
        (see the module docstring), not every write it ever applied: writes that
        last-writer-wins discarded are lost. ``surviving_ranges`` list the commit
        records of those writes, one range per run of surviving commits of an origin.
        """
        replicas = cast("list[LwwReplica]", self.replicas)
        holder = next((r for r in replicas if r.responsive), replicas[0])
        everyone = cast("list[LwwReplica]", list(self.nodes.values()))
        prev_of: dict[int, int | None] = {}
        for replica in everyone:
            prev_of.update(replica.prev_of)
        survived: set[int] = set()
        for history in holder.items.values():
            write_id: int | None = history[-1][2]
            while write_id is not None and write_id not in survived:
                survived.add(write_id)
                write_id = prev_of.get(write_id)
        spans = []
        for replica in everyone:
            seqs = [seq for seq, (_k, _v, w) in enumerate(replica.outbox, 1) if w in survived]
            spans += [(replica.log_id, lo, hi) for lo, hi in _runs(seqs)]
        return FinalRead(
            self.world.now, holder.name, holder.responsive, holder.log_id, len(holder.outbox),
            frozenset(survived), tuple(spans),
        )

    def replica_states(self, keys: range) -> list[ReplicaState]:
        return [
            ReplicaState(r.name, r.dataset, r.role, r.responsive, r.state(keys))
            for r in self.replicas
        ]


class MultiActiveRestore:
    """Logical corruption of a multi-active table and its point-in-time restore.

    The bad writes go through one Region's replica and replicate everywhere (a
    global table copies the corruption; under MRSC through its majority writes,
    :mod:`hadrsim.simulator.mrsc`). DynamoDB PITR restores any second of
    the retention, up to ~5 minutes ago (S18, S18b), into a *new* table; here the
    new table gets a member in every Region seeded from the chosen point, and
    the Regional endpoints are repointed after a configuration change.
    """

    def __init__(self, world: World, service: MultiActiveService[Any], *, keys: range,
                 restore: Sampler, repoint: Sampler, lrt_lag_s: float, retention_s: float,
                 new_replica: Callable[[Any, str], Any]):
        self.world = world
        self.service = service
        self.keys = keys
        self.restore = restore
        self.repoint = repoint
        self.lrt_lag_s = lrt_lag_s
        self.retention_s = retention_s
        self.new_replica = new_replica
        self._restores = 0

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> None:
        source = self.service.replicas[0]
        at = self.world.now
        for key in self.keys:
            source.receive_write(key, corrupt_write_id(fault_id, key), _no_reply)
        self.world.event(Ev.CORRUPTION_WRITTEN, source.name, f"{len(self.keys)} keys")
        self.world.call_later(detection_s + decision_s, self._start, at - 1e-3)

    def _start(self, wanted: float) -> None:
        now = self.world.now
        point = min(wanted, now - self.lrt_lag_s)
        if point < now - self.retention_s:
            self.world.event(Ev.RESTORE_IMPOSSIBLE, None, "beyond PITR retention")
            return
        self.world.event(Ev.RESTORE_STARTED, None, f"to t={point:.3f}")
        self.world.call_later(self.restore(), self._finish, point)

    def _finish(self, point: float) -> None:
        self._restores += 1
        old = self.service.replicas
        source = next((r for r in old if r.responsive), old[0])
        fresh = [self.new_replica(r, f"restored{self._restores}") for r in old]
        for replica in fresh:
            replica.seed_from(source, point)
        self.service.replace_replicas(fresh)
        after = self.repoint()
        for replica in fresh:
            endpoint = self.service.endpoint_in(replica.region)
            if endpoint is not None:  # an MRSC witness has no endpoint
                endpoint.repoint([replica], after_s=after)
        self.world.event(Ev.RESTORE_COMPLETED, fresh[0].name, f"to t={point:.3f}")
        self.world.changed()


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs ``(first, last)`` of an increasing list of integers."""
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and runs[-1][1] == seq - 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


def _no_reply(*_args) -> None:
    """The corrupting writer is not an observed client."""


if TYPE_CHECKING:

    def _conforms(service: MultiActiveService[LwwReplica]) -> ClientService:
        return service  # mypy checks MultiActiveService implements the seam
