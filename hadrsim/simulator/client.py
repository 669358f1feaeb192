"""Observed clients: they run real operations and record every one (Jepsen style).

A client resolves the endpoint through its DNS cache, sends the request over the
network, and waits for a reply or its timeout. Outcomes: ``ok``; ``fail`` when
the database refused or a read got no answer; ``unknown`` when a write got no
answer (it may have committed). After a failure it backs off and retries; the
cached DNS answer is kept until it expires, as real resolvers do.

A client sees the database only through the
:class:`~hadrsim.simulator.service.ClientService` protocol, so single-writer
and multi-active services are interchangeable here.

Clients probe densely around faults (see :mod:`hadrsim.spec.workload`) and
sparsely otherwise. A client whose own Region is down is down with it: it issues
nothing until its Region returns.

A read touches any key; a write one of the client's ``write_keys``: every key,
or with ``workload.home_region_writes`` only the keys homed in its Region
(:meth:`WorkloadSpec.write_keys`), drawn with the same single uniform, so with
the option off a run records exactly what it did before the option existed.
"""

from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING

from hadrsim.simulator.random import UniformSampler
from hadrsim.simulator.records import ClientOp
from hadrsim.simulator.routing import Resolver
from hadrsim.simulator.streaks import FailureStreaks
from hadrsim.simulator.vocabulary import Ev, OpKind, Outcome

if TYPE_CHECKING:
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.oplog import OpBlock
    from hadrsim.simulator.routing import DnsName
    from hadrsim.simulator.service import ClientService
    from hadrsim.simulator.steady import SteadyRuns
    from hadrsim.simulator.world import Timer, World
    from hadrsim.spec.workload import WorkloadSpec


class Call:
    """One call in flight: what the reply and the time-out need to record it.

    Its bound ``reply_*`` methods are what the database node answers through,
    instead of three closures per call.
    """

    __slots__ = ("client", "is_write", "key", "write_id", "invoke", "node", "timer", "done",
                 "cancel_timer")

    def __init__(self, client: ObservedClient, is_write: bool, key: int,
                 write_id: int | None, invoke: float, node: Node):
        self.client = client
        self.is_write = is_write
        self.key = key
        self.write_id = write_id
        self.invoke = invoke
        self.node = node
        self.timer: Timer | None = None
        self.cancel_timer: Timer | None = None
        self.done = False

    def reply_write(self, ok: bool, version, error, prev=None) -> None:
        client = self.client
        client.net.send(self.node.az, client.region, client.finish, self,
                        Outcome.OK if ok else Outcome.FAIL, self.write_id, version, error, prev)

    def reply_read(self, ok: bool, value, version, error) -> None:
        client = self.client
        client.net.send(self.node.az, client.region, client.finish, self,
                        Outcome.OK if ok else Outcome.FAIL, value, version, error)


class ObservedClient:
    """One client process of the workload whose operations are all recorded."""

    def __init__(
        self,
        world: World,
        net: Network,
        service: ClientService,
        workload: WorkloadSpec,
        name: str,
        region: str,
        write_ids: count,
    ):
        self.world = world
        self.net = net
        self.service = service
        self.spec = workload
        self.name = name
        self.region = region
        self.write_ids = write_ids
        self.resolver = Resolver(world, workload.dns_cache_s)
        self.uniform = UniformSampler(world.streams.generator(f"client/{name}"))
        self.use_reader = workload.reads_from == "reader"
        self.read_keys = range(workload.observed_keys)
        self.write_keys = workload.write_keys(region)
        self.failures_in_a_row = 0
        self._switched: DnsName | None = None  # endpoint chosen by application failover
        self.dense_until = 0.0
        self._generation = 0
        self._wake_at = 0.0
        self._waiting_for_region = False
        world.on_fault_ahead(self._fault_ahead)
        world.on_change(self._on_change)
        self.streaks = FailureStreaks(self) if workload.history == "compressed" else None
        self.steady: SteadyRuns | None = None  # set by simulate() where steady runs apply

    # --- scheduling -------------------------------------------------------------------
    def start(self) -> None:
        self._schedule(self.spec.probe_interval_s * self.uniform())

    def _schedule(self, delay: float) -> None:
        self._generation += 1
        self._wake_at = at = self.world.now + delay
        if self.streaks is not None and self.streaks.active:
            self.streaks.next_invoke = at  # the streak's next call moves
            return
        if self.steady is not None and self.steady.adopt(self, at):
            return  # its calls succeed alike: no event each (hadrsim.simulator.steady)
        self.world.call_later(delay, self._tick, self._generation)

    def tick_at(self, at_s: float, resolved: tuple[Node | None] | None = None) -> None:
        """The next call, at ``at_s``, is an ordinary one (a steady run hands it back).

        ``resolved``: the lookup the steady run already made for this call; a lookup is
        not free of side effects (a round-robin name turns), so it is not made twice.
        """
        self._generation += 1
        self._wake_at = at_s
        self.world.call_at(at_s, self._tick, self._generation, resolved)

    def resume_at(self, at_s: float) -> None:
        """A failure streak ended: the next call, at ``at_s``, is an ordinary one."""
        self._schedule(at_s - self.world.now)

    def note_wake(self, at_s: float) -> None:
        """A failure streak's next call is at ``at_s`` (what :meth:`_densify` looks at)."""
        self._wake_at = at_s

    def next_delay(self, failed: bool, now: float) -> float:
        """Think time after a call that ended at ``now`` (back-off if it failed)."""
        spec = self.spec
        if failed:
            self.dense_until = max(self.dense_until, now + spec.observe_after_s)
            return spec.retry_backoff_s * (0.5 + self.uniform())
        jitter = 0.5 + self.uniform()
        if spec.idle_interval_s is None or now < self.dense_until:
            return spec.probe_interval_s * jitter
        return spec.idle_interval_s * jitter

    def _fault_ahead(self, at_s: float) -> None:
        """The nemesis will act at ``at_s``: be probing densely from a bit before."""
        spec = self.spec
        if spec.idle_interval_s is None:
            return
        start = max(self.world.now, at_s - spec.observe_before_s)
        if start >= self.world.now:
            self.world.call_later(start - self.world.now, self._densify)

    def _densify(self) -> None:
        if self.streaks is not None:
            self.streaks.catch_up()
        spec = self.spec
        self.dense_until = max(self.dense_until, self.world.now + spec.observe_before_s
                               + spec.observe_after_s)
        if self._wake_at > self.world.now + spec.probe_interval_s and not self._waiting_for_region:
            self._schedule(spec.probe_interval_s * self.uniform())

    def _on_change(self) -> None:
        if self._waiting_for_region and self.net.is_up(self.region):
            self._waiting_for_region = False
            self._schedule(self.spec.probe_interval_s * self.uniform())
        elif self.spec.idle_interval_s is not None:
            self._densify()

    # --- one operation ------------------------------------------------------------------
    def _fail_over(self) -> None:
        """Application-level failover: move to the next endpoint of the chain."""
        chain = self.service.endpoints_from(self.region)
        current = self._switched or chain[0]
        position = chain.index(current) if current in chain else 0
        self._switched = chain[(position + 1) % len(chain)]
        self.failures_in_a_row = 0
        self.world.event(Ev.CLIENT_FAILOVER, None, f"{self.name} -> {self._switched.name}")

    def endpoint_for(self, is_write: bool) -> DnsName:
        """The name this client sends a write (or a read) to now."""
        if self._switched is not None:
            return self._switched
        if is_write or not self.use_reader:
            return self.service.writer_for(self.region)
        return self.service.reader_for(self.region)

    def _tick(self, generation: int, resolved: tuple[Node | None] | None = None) -> None:
        if generation != self._generation or self.world.now >= self.world.horizon_s:
            return  # past the horizon the system quiesces before the final read
        if not self.net.is_up(self.region):
            self._waiting_for_region = True  # this client is down with its Region
            return
        spec = self.spec
        is_write = self.uniform() < spec.observed_write_fraction
        key = self.key_of(is_write, self.uniform())
        node = (self.resolver.lookup(self.endpoint_for(is_write)) if resolved is None
                else resolved[0])
        invoke = self.world.now
        write_id = next(self.write_ids) if is_write else None
        if node is None:
            kind = OpKind.WRITE if is_write else OpKind.READ
            self._record(kind, key, write_id, None, invoke, Outcome.FAIL, None, "no endpoint")
            return
        op = Call(self, is_write, key, write_id, invoke, node)
        if is_write:
            self.net.send(self.region, node.az, node.receive_write, key, write_id,
                          op.reply_write)
        else:
            self.net.send(self.region, node.az, node.receive_read, key, op.reply_read)
        self.arm_timeout(op)

    def key_of(self, is_write: bool, u: float) -> int:
        """The key of a call whose key draw is ``u`` (in [0, 1)): a read's any key, a
        write's one of ``write_keys`` (``int(u * observed_keys)`` when that is every key)."""
        keys = self.write_keys if is_write else self.read_keys
        return keys[int(u * len(keys))]

    def new_op(self, is_write: bool, key: int, write_id: int | None, invoke: float,
               node: Node) -> Call:
        """A call in flight (a failure streak hands its last call back as one)."""
        return Call(self, is_write, key, write_id, invoke, node)

    def arm_timeout(self, op: Call) -> None:
        """The client gives up on ``op`` ``op_timeout_s`` after it was invoked, and cancels
        a write ``cancel_after_s`` after it (a cancel time already past was a cancel sent
        to a node that did not answer: a failure streak's call)."""
        world, invoke = self.world, op.invoke
        op.timer = world.call_cancellable(invoke + self.spec.op_timeout_s - world.now,
                                          self._timeout, op)
        cancel = self.spec.cancel_after_s
        if cancel is not None and op.is_write and invoke + cancel > world.now:
            op.cancel_timer = world.call_cancellable(invoke + cancel - world.now,
                                                     self._cancel, op)

    def _cancel(self, op: Call) -> None:
        """Send a cancel request for ``op`` to the node it went to (as a driver does)."""
        op.cancel_timer = None
        node = op.node
        self.net.send(self.region, node.az, node.receive_cancel, op.write_id)

    # --- replies and time-outs ------------------------------------------------------------
    def _timeout(self, op: Call) -> None:
        outcome = Outcome.UNKNOWN if op.is_write else Outcome.FAIL  # a write may have landed
        self.finish(op, outcome, op.write_id, None, "timeout")

    def finish(self, op: Call, outcome: str, value, version, error, prev=None) -> None:
        """The reply to ``op`` arrived (or its time-out fired): record it once."""
        if op.done:
            return  # a late reply after the timeout is ignored
        op.done = True
        if op.timer is not None:  # always set: the time-out is armed as the op is sent
            self.world.cancel(op.timer)  # answered in time: the time-out costs no event
        if op.cancel_timer is not None:
            self.world.cancel(op.cancel_timer)
        kind = OpKind.WRITE if op.is_write else OpKind.READ
        self._record(kind, op.key, value, version, op.invoke, outcome, op.node.name, error, prev)

    def _record(self, kind, key, value, version, invoke, outcome, node, error, prev=None) -> None:
        if not self.net.is_up(self.region):
            self._waiting_for_region = True  # the client died with its Region mid-call
            return
        now = self.world.now
        self.log_op(kind, key, value, version, invoke, now, outcome, node, error, prev)
        failed = outcome != Outcome.OK
        delay = self.next_delay(failed, now)
        if failed and self.streaks is not None and self.streaks.start(now + delay):
            return  # the next calls fail alike: no event each (hadrsim.simulator.streaks)
        self._schedule(delay)

    def log_failures(self, ops: OpBlock | list[ClientOp], last_complete: float) -> None:
        """Append a failure streak's calls (no application failover: see streaks)."""
        self.world.rec.ops.extend(ops)
        self.failures_in_a_row += len(ops)
        self.dense_until = max(self.dense_until, last_complete + self.spec.observe_after_s)

    def log_op(self, kind, key, value, version, invoke, complete, outcome, node, error,
               prev=None) -> None:
        """Append one call to the history and count it towards application failover."""
        self.failures_in_a_row = 0 if outcome == Outcome.OK else self.failures_in_a_row + 1
        threshold = self.spec.app_failover_after
        if threshold is not None and self.failures_in_a_row >= threshold:
            self._fail_over()
        self.world.rec.ops.append(
            ClientOp(self.name, self.region, kind, key, value, version, invoke, complete,
                     outcome, node, error, prev)
        )
