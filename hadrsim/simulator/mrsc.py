"""Multi-Region strong consistency (DynamoDB global tables, MRSC): leaderless majority writes.

An MRSC table has three members in three Regions of one set: three replicas, or
two replicas and a witness (calibration.md §7, S16). Every replica takes writes
and reads; a witness holds replicated data and counts towards the majority but
serves no client.

*Write.* S16: a write is acknowledged once it is durably stored in at least one
other Region of the set. The Region that takes the write proposes the item's next
version (``base + 1``, ``base`` the newest version it holds) to both other members
at once, while it persists the write itself. A member accepts (durably, after its
own write latency) unless it holds a newer version of the item or is proposing
one itself. The write commits when the local copy is durable and one other member
accepted: a majority of three, so its latency is the local write plus the round
trip to the nearest reachable member (calibration.md §7, S16: "local + RTT to
nearest set member"). Acknowledged writes are on two members: RPO 0.

*Conflicts.* Two writes to one item cannot both gather a majority for one version.
A proposer that only learns its copy was behind (every answer: "I hold newer")
takes the newer versions from the answers and proposes once more on top of them;
a write that raced another Region's proposal for the item fails with
``ReplicatedWriteConflictException`` (S16): a failed write, never a lost update.
A Region that reaches no other member fails its writes at once (unavailable);
one that reaches a single member keeps writing through it. A crashed or hung
member refuses connections (it never gets a proposal); a member that got one and
went silent holds the item's writes in that Region until it answers or the
proposal is resent (these wait at most ``_QUEUE_WAIT_S``, then fail).

*Replication.* Every version a member holds is committed (an accept exists only
beside its proposer's durable proposal, so on two members), so members push what
they store to each other, idempotently, and resend what was not confirmed after
a partition or an outage.

*Reads.* S16: MRSC strongly consistent reads "return the latest version of an item
irrespective of the Region". Modelled as the local copy plus one round trip to the
first other member that answers (with itself, a majority of three, so it holds
every acknowledged write); the newer of the two is returned. An isolated Region
cannot serve them. Eventually consistent reads are local and may miss the last
few milliseconds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hadrsim.simulator.multileader import ACTIVE, MultiActiveService, _runs
from hadrsim.simulator.node import Node
from hadrsim.simulator.records import Commit, FinalRead, ReplicaState

if TYPE_CHECKING:
    from collections.abc import Callable

    from hadrsim.simulator.log import Timeline
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.service import ClientService
    from hadrsim.simulator.world import World

WITNESS = "witness"
CONFLICT = "ReplicatedWriteConflictException"  # S16
_RESEND_S = 1.0  # ASM: an unanswered proposal is resent after 1 s (a lost message)
_QUEUE_WAIT_S = 1.0  # ASM: a write queued behind another write to its item gives up
_GENERATION_BITS = 32  # a restored table's versions start above the old table's


@dataclass
class _Proposal:
    """One write this member is trying to commit (durable here from its receipt)."""

    key: int
    write_id: int
    base: int  # the newest version the proposer held
    version: int  # the version it proposes
    prev: int | None  # the write it replaces (ALL_OLD)
    reply: Callable | None
    persisted: bool = False
    accepted: bool = False
    retried: bool = False
    stale: set[str] = field(default_factory=set)  # members holding a newer version
    busy: set[str] = field(default_factory=set)  # members proposing one themselves
    asked: set[str] = field(default_factory=set)  # members it reached at least once


class MrscMember(Node):
    """One member of an MRSC table: a Regional replica, or the witness."""

    def __init__(self, world: World, net: Network, name: str, region: str, root: Timeline,
                 *, log_id: int, write_latency: Sampler, read_staleness: Sampler,
                 consistent_reads: bool, witness: bool = False, generation: int = 0,
                 dataset: str = "db"):
        # a witness is internal: it serves no client
        super().__init__(world, net, name, region, root, internal=witness)
        self.log_id = log_id
        self.set_role(WITNESS if witness else ACTIVE)
        self.dataset = dataset  # after the first role record: see LwwReplica
        self.write_latency = write_latency
        self.read_staleness = read_staleness
        self.consistent_reads = consistent_reads
        self.floor = generation << _GENERATION_BITS
        self.peers: list[MrscMember] = []
        self.fenced = False  # replaced by a restored table: refuses writes
        # key -> version -> (when stored here, write id): every version is committed
        self.versions: dict[int, dict[int, tuple[float, int]]] = {}
        self.history: dict[int, list[tuple[float, int, int]]] = {}  # tops, in time order
        self.journal: list[tuple[int, int, int]] = []  # what it stored, in order
        self.committed: list[int] = []  # write ids of its own commits (commit records)
        self.inflight: dict[int, _Proposal] = {}
        self.queued: dict[int, deque] = {}
        self._received: dict[str, int] = {}  # peer -> journal entries taken in order
        self._sent: dict[str, int] = {}
        self._acked: dict[str, int] = {}

    # --- the item store ---------------------------------------------------------------
    def top(self, key: int) -> tuple[int, int | None]:
        """The newest version held of ``key`` and its write id (``(floor, None)`` if none)."""
        history = self.history.get(key)
        if not history:
            return self.floor, None
        _t, version, write_id = history[-1]
        return version, write_id

    def state(self, keys: range) -> tuple[tuple[int, int | None], ...]:
        return tuple((key, self.top(key)[1]) for key in keys)

    def _store(self, key: int, version: int, write_id: int) -> None:
        held = self.versions.setdefault(key, {})
        if version in held:
            return
        held[version] = (self.world.now, write_id)
        if version > self.top(key)[0] or key not in self.history:
            self.history.setdefault(key, []).append((self.world.now, version, write_id))
        self.journal.append((key, version, write_id))
        for peer in self.peers:
            self._push(peer)

    def _newer_than(self, key: int, base: int) -> list[tuple[int, int, int]]:
        return [(key, v, w) for v, (_t, w) in self.versions.get(key, {}).items() if v > base]

    # --- client writes ----------------------------------------------------------------
    def receive_write(self, key: int, write_id: int, reply) -> None:
        if not self.responsive:
            return
        if self.fenced or self.internal:
            reply(False, None, "table replaced by a restore" if self.fenced else "witness")
            return
        if key in self.inflight or self.queued.get(key):
            waiting = (write_id, reply)
            self.queued.setdefault(key, deque()).append(waiting)
            self.world.call_later(_QUEUE_WAIT_S, self._give_up, key, waiting)
            return
        self._propose(key, write_id, reply)

    def _give_up(self, key: int, waiting: tuple[int, Callable]) -> None:
        """A write queued behind another write to its item for too long fails, unapplied."""
        queue = self.queued.get(key)
        if queue and waiting in queue:
            queue.remove(waiting)
            waiting[1](False, None, f"{CONFLICT}: timed out behind another write to the item")

    def _propose(self, key: int, write_id: int, reply, retried: bool = False) -> None:
        base, prev = self.top(key)
        proposal = _Proposal(key, write_id, base, max(base, self.floor) + 1, prev, reply,
                             retried=retried)
        self.inflight[key] = proposal
        self.world.call_later(self.write_latency(), self._persisted, proposal)
        if not self._ask(proposal):
            self._fail(proposal, "unavailable: no other member of the set reachable")
            return
        self.world.call_later(_RESEND_S, self._resend, proposal)

    def _ask(self, proposal: _Proposal) -> bool:
        """Send the proposal to the members that have not answered; True if any left."""
        sent = False
        for peer in self.peers:
            # a crashed or hung member refuses the connection: it never gets the proposal
            if peer.name in proposal.stale | proposal.busy or not peer.responsive:
                continue
            args = (self, proposal.key, proposal.base, proposal.version, proposal.write_id)
            if self.net.send(self.az, peer.az, peer._on_proposal, *args):
                proposal.asked.add(peer.name)
                sent = True
        return sent

    def _resend(self, proposal: _Proposal) -> None:
        if self.inflight.get(proposal.key) is not proposal:
            return
        if self.responsive:
            self._ask(proposal)
        self.world.call_later(_RESEND_S, self._resend, proposal)

    def _persisted(self, proposal: _Proposal) -> None:
        proposal.persisted = True
        self._decide(proposal)

    def _on_answer(self, peer: MrscMember, key: int, write_id: int, version: int,
                   verdict: str, newer: list) -> None:
        proposal = self.inflight.get(key)
        if not self.responsive or proposal is None or (proposal.write_id, proposal.version) \
                != (write_id, version):
            return
        for entry in newer:
            self._store(*entry)
        if verdict == "accept":
            proposal.accepted = True
        else:
            (proposal.stale if verdict == "stale" else proposal.busy).add(peer.name)
        self._decide(proposal)

    def _decide(self, proposal: _Proposal) -> None:
        if self.inflight.get(proposal.key) is not proposal or not self.responsive:
            return
        if proposal.accepted:
            if proposal.persisted:
                self._commit(proposal)
            return
        if proposal.stale and not proposal.busy and not proposal.retried:
            # a newer version exists on a majority: this copy was behind; build on it
            self.inflight.pop(proposal.key)
            self._propose(proposal.key, proposal.write_id, proposal.reply, retried=True)
        elif proposal.stale or proposal.busy >= proposal.asked:
            # no member that got it can still accept it (one that never got it cannot)
            self._fail(proposal, f"{CONFLICT}: the item was modified in another Region")

    def _commit(self, proposal: _Proposal) -> None:
        self.inflight.pop(proposal.key)
        self._store(proposal.key, proposal.version, proposal.write_id)
        self.committed.append(proposal.write_id)
        seq = len(self.committed)
        self.world.rec.commits.append(
            Commit(self.world.now, self.name, self.log_id, seq, seq, 1, (proposal.write_id,))
        )
        if proposal.reply is not None:
            proposal.reply(True, proposal.version, None, proposal.prev)
        self._next(proposal.key)

    def _fail(self, proposal: _Proposal, error: str) -> None:
        """No member accepted it and none will: nothing of it remains anywhere."""
        self.inflight.pop(proposal.key, None)
        if proposal.reply is not None:
            proposal.reply(False, None, error)
        self._next(proposal.key)

    def _next(self, key: int) -> None:
        waiting = self.queued.get(key)
        if waiting:
            self._propose(key, *waiting.popleft())

    # --- as a peer: proposals and reads -------------------------------------------------
    def _on_proposal(self, origin: MrscMember, key: int, base: int, version: int,
                     write_id: int) -> None:
        if not self.responsive:
            return
        held = self.versions.get(key, {}).get(version)
        if held is not None and held[1] == write_id:
            verdict, newer = "accept", []  # a resent proposal it already accepted
        elif self.top(key)[0] > base:
            verdict, newer = "stale", self._newer_than(key, base)
        elif key in self.inflight:
            verdict, newer = "busy", []
        else:
            self._store(key, version, write_id)  # durable: the slot is taken from now
            verdict, newer = "accept", []
        self.world.call_later(self.write_latency() if verdict == "accept" else 0.0,
                              self._answer, origin, key, write_id, version, verdict, newer)

    def _answer(self, origin: MrscMember, key, write_id, version, verdict, newer) -> None:
        if self.responsive:
            self.net.send(self.az, origin.az, origin._on_answer, self, key, write_id, version,
                          verdict, newer)

    def _on_read_top(self, origin: MrscMember, key: int, back) -> None:
        if self.responsive:
            self.net.send(self.az, origin.az, back, *self.top(key))

    # --- client reads ------------------------------------------------------------------
    def receive_read(self, key: int, reply) -> None:
        if not self.responsive:
            return
        if not self.consistent_reads:
            reply(True, *self._read_as_of(key, self.world.now - self.read_staleness()), None)
            return
        answered = [False]

        def back(version: int, write_id: int | None) -> None:
            if answered[0] or not self.responsive:
                return
            answered[0] = True
            mine = self.top(key)
            best = (version, write_id) if version > mine[0] else mine
            reply(True, best[1], best[0] if best[1] is not None else None, None)

        sent = [self.net.send(self.az, p.az, p._on_read_top, self, key, back)
                for p in self.peers if p.responsive]
        if not any(sent):
            reply(False, None, None, "unavailable: no other member of the set reachable")

    def _read_as_of(self, key: int, as_of: float) -> tuple[int | None, int | None]:
        history = self.history.get(key, [])
        i = bisect_right(history, as_of, key=lambda item: item[0])
        if i == 0:
            return None, None
        _t, version, write_id = history[i - 1]
        return write_id, version

    # --- replication between members ----------------------------------------------------
    def _push(self, peer: MrscMember) -> None:
        if not self.responsive:
            return  # the journal waits on this member's storage until it is back
        start, end = self._sent.get(peer.name, 0), len(self.journal)
        if start >= end:
            return
        if self.net.send(self.az, peer.az, peer._take, self, start, self.journal[start:end]):
            self._sent[peer.name] = end

    def _take(self, origin: MrscMember, start: int, batch: list) -> None:
        if not self.responsive:
            return
        have = self._received.get(origin.name, 0)
        if start > have:  # an earlier batch was lost on the way: ask for it again
            self.net.send(self.az, origin.az, origin._rewind, self, have)
            return
        for entry in batch[have - start:]:
            self._store(*entry)
        done = max(have, start + len(batch))
        self._received[origin.name] = done
        self.net.send(self.az, origin.az, origin._confirm, self, done)

    def _confirm(self, peer: MrscMember, done: int) -> None:
        self._acked[peer.name] = max(self._acked.get(peer.name, 0), done)

    def _rewind(self, peer: MrscMember, have: int) -> None:
        self._sent[peer.name] = min(self._sent.get(peer.name, 0), have)
        self._push(peer)

    def catch_up(self) -> None:
        """Resend what peers have not confirmed (after a partition or outage heals)."""
        for peer in self.peers:
            self._sent[peer.name] = self._acked.get(peer.name, 0)
            self._push(peer)

    def seed_from(self, other: MrscMember, as_of: float) -> None:
        """Point-in-time restore: this fresh member holds ``other``'s items as of a time."""
        for key, held in other.versions.items():
            kept = sorted((v, w) for v, (t, w) in held.items() if t <= as_of)
            if kept:
                self.versions[key] = {v: (self.world.now, w) for v, w in kept}
                version, write_id = kept[-1]
                self.history[key] = [(self.world.now, version, write_id)]


class MrscService(MultiActiveService[MrscMember]):
    """Client view of an MRSC table: a Regional endpoint per replica; the witness has none."""

    def final_read(self) -> FinalRead:
        """The data the business keeps: every version the table's members hold.

        Every version a member holds is committed (see the module docstring), so
        the surviving writes are their union, overwritten ones included (set
        semantics); ``surviving_ranges`` list the commit records of those writes.
        """
        current = self.replicas
        holder = next((m for m in current if m.responsive and not m.internal), current[0])
        survived = {w for m in current for held in m.versions.values() for _t, w in held.values()}
        spans = []
        for member in self.nodes.values():
            seqs = [seq for seq, w in enumerate(member.committed, 1) if w in survived]
            spans += [(member.log_id, lo, hi) for lo, hi in _runs(seqs)]
        return FinalRead(self.world.now, holder.name, holder.responsive, holder.log_id,
                         len(holder.committed), frozenset(survived), tuple(spans))

    def replica_states(self, keys: range) -> list[ReplicaState]:
        return [ReplicaState(m.name, m.dataset, m.role, m.responsive, m.state(keys))
                for m in self.replicas if not m.internal]


if TYPE_CHECKING:

    def _conforms(service: MrscService) -> ClientService:
        return service  # mypy checks MrscService implements the seam
