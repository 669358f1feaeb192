"""Failure streaks: a client's run of identical failures, recorded without an event per call.

While nothing a client can reach changes, each call it makes to a name with no
answer, an unreachable place, a node that does not answer, or a copy that refuses
it (read-only, not readable) fails exactly like the last: same node, same error,
a time-out or a refusal. Simulating those calls one by one is most of an outage's
cost (a client retries every second for as long as the outage lasts), so after a
failure whose repetition is certain the client stops scheduling calls and keeps
only where it is in its retry sequence. The calls are written into the history
when something changes (:meth:`World.touched`: a fault, a role, a policy, a DNS
record or health status), when a cached DNS answer that differs from the record
expires, or at the horizon, with the same records, times and write ids the
calls would have had. A call in flight at that instant is handed back to the
ordinary machinery exactly where it is (request or refusal on its way, time-out
armed), so what happens next is decided by the new state, as before.

Exact in law, not draw for draw: the client's own draws (write or read, key,
back-off) are the same stream in the same order, but a refusal's network delays
come from the client's own stream instead of the shared one, so other messages
see other (equally distributed) jitter. ``workload.history: per_op`` keeps one
event per call, for the equivalence tests (tests/simulator/test_streaks*.py).
Application-level failover (``app_failover_after``) needs the failure count at
each call, so its clients never compress.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np

from hadrsim.simulator.node import Node
from hadrsim.simulator.oplog import OpBlock, Pick, Piece, Same
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.records import ClientOp
from hadrsim.simulator.vocabulary import OpKind, Outcome

if TYPE_CHECKING:
    from hadrsim.simulator.client import ObservedClient
    from hadrsim.simulator.routing import Answer, DnsName

NO_ENDPOINT = "no endpoint"  # the name answers nothing: fails at once
DROPPED = "dropped"  # the place is unreachable: the request is lost as it leaves
IGNORED = "ignored"  # the node does not answer: the request arrives and is lost
REFUSED = "refused"  # the node answers no: a round trip
_CHUNK = 4096  # calls written per numpy pass
_BLOCK = 64  # from this many calls on, a chunk is kept as columns (simulator.oplog)


@dataclass(frozen=True, slots=True)
class Failure:
    """How every call of one kind fails while nothing changes."""

    how: str
    node: Node | None
    error: str
    chain: tuple[tuple[DnsName, Answer], ...]


def fixed_failure(client: ObservedClient, node: Node | None, is_write: bool) -> Failure | None:
    """How a call to ``node`` fails now, if it must; None if its outcome is not certain."""
    if node is None:
        return Failure(NO_ENDPOINT, None, "no endpoint", ())
    net, here, there = client.net, client.region, node.az
    if net.loss_between(here, there) > 0 or net.loss_between(there, here) > 0:
        return None  # each message is a draw: not certain
    if not net.reachable(here, there):
        return Failure(DROPPED, node, "timeout", ())
    cold = node.cold_start
    if cold is not None and cold.penalty is not None and cold.until_s > client.world.now:
        return None  # a cold node delays each request by a draw
    if not node.responsive:
        return Failure(IGNORED, node, "timeout", ())
    if not answers_like_a_node(node) or not net.reachable(there, here):
        return None
    refusal = node.write_refusal() if is_write else node.read_refusal()
    return None if refusal is None else Failure(REFUSED, node, refusal, ())


def predict(client: ObservedClient,
            next_invoke: float) -> tuple[dict[bool, Failure], float] | None:
    """How each kind of call from ``next_invoke`` on must fail while nothing changes, and
    until when at most (a cached DNS answer expires, the horizon); None if not certain.

    Keyed by ``is_write``; a kind the workload never issues is left out.
    """
    spec = client.spec
    valid_until = client.world.horizon_s
    if spec.app_failover_after is not None or spec.retry_backoff_s <= 0 \
            or next_invoke >= valid_until:
        return None
    failures = {}
    for is_write, share in ((True, spec.observed_write_fraction),
                            (False, 1.0 - spec.observed_write_fraction)):
        if share <= 0:
            continue
        plan = client.resolver.plan(client.endpoint_for(is_write), next_invoke)
        if plan is None:
            return None
        node, chain, expires = plan
        failure = fixed_failure(client, node, is_write)
        if failure is None:
            return None
        failures[is_write] = replace(failure, chain=tuple(chain))
        valid_until = min(valid_until, expires)
    return (failures, valid_until) if valid_until > next_invoke else None


def answers_like_a_node(node: Node) -> bool:
    """A node whose refusals are :meth:`Node.write_refusal` / :meth:`Node.read_refusal`."""
    cls = type(node)
    return (cls.receive_write is Node.receive_write and cls.receive_read is Node.receive_read
            and cls._receive_write is Node._receive_write
            and cls._receive_read is Node._receive_read)


class FailureStreaks:
    """One client's current failure streak, if any (see the module docstring)."""

    def __init__(self, client: ObservedClient):
        self.client = client
        self.active = False
        self.next_invoke = 0.0
        self._failures: dict[bool, Failure] = {}
        self._epoch = 0
        world = client.world
        self._jitter = Sampler(client.net.jitter_law,
                               world.streams.generator(f"client/{client.name}/streak"))
        world.on_touch(self._touched)
        world.on_pause(self.catch_up)

    # --- entering and leaving -----------------------------------------------------------
    def start(self, next_invoke: float) -> bool:
        """After a failure: go quiet if every next call must fail alike; True if it did."""
        prediction = predict(self.client, next_invoke)
        if prediction is None:
            return False
        self._failures, valid_until = prediction
        self.active = True
        self.next_invoke = next_invoke
        self._epoch += 1
        world = self.client.world
        world.call_later(valid_until - world.now, self._deadline, self._epoch)
        return True

    def catch_up(self) -> None:
        """Write the calls made before now (the client is about to look at its schedule)."""
        if self.active:
            self._materialize(self.client.world.now)

    def _touched(self) -> None:
        if self.active:
            self._end()

    def _deadline(self, epoch: int) -> None:
        if epoch == self._epoch and self.active:
            self._end()

    def _end(self) -> None:
        client = self.client
        world = client.world
        self._materialize(world.now)
        if not self.active:
            return  # a call in flight went back to the ordinary machinery
        self.active = False
        if self.next_invoke < world.horizon_s:
            client.resume_at(self.next_invoke)

    # --- writing the calls ----------------------------------------------------------------
    def _materialize(self, until: float) -> None:
        """Record every call invoked before ``until`` that also ended before it.

        In chunks, with numpy: each call takes three of the client's uniforms (write or
        read, key, back-off) in the order the calls one by one would, and its times are
        added up in that order too (``np.add.accumulate`` is sequential), so the records
        are the ones the calls made one by one would have written.
        """
        client = self.client
        stop = min(until, client.world.horizon_s)
        while self.active and self.next_invoke < stop:
            room = (stop - self.next_invoke) / (0.5 * client.spec.retry_backoff_s)
            self._chunk(until, stop, int(min(_CHUNK, room + 2)))

    def _chunk(self, until: float, stop: float, n: int) -> None:
        client = self.client
        spec = client.spec
        u = client.uniform.peek(3 * n).reshape(n, 3)
        writes = u[:, 0] < spec.observed_write_fraction
        keys = (u[:, 1] * spec.observed_keys).astype(np.int64)
        home = client.write_keys  # as ObservedClient.key_of: a write's key among its own
        if len(home) != spec.observed_keys:
            keys[writes] = home.start + home.step * (u[writes, 1] * len(home)).astype(np.int64)
        backs = spec.retry_backoff_s * (0.5 + u[:, 2])
        legs, refused = self._legs(writes)
        steps = np.empty((n, 3))
        steps[:, :2] = legs
        steps[:, 2] = backs
        times = np.add.accumulate(np.concatenate(([self.next_invoke], steps.ravel())))
        invokes, there, completes = times[0:-1:3], times[1::3], times[2::3]
        late = np.flatnonzero((invokes >= stop) | (completes >= until))
        logged = int(late[0]) if late.size else n
        back = late.size > 0 and invokes[logged] < stop  # in flight at ``until``
        taken = logged + int(back)
        client.uniform.skip(3 * logged + 2 * int(back))
        self._jitter.skip(2 * int(refused[:taken].sum()))
        self._replay_lookups(writes[:taken], invokes[:taken])
        ids = np.zeros(taken, dtype=np.int64)
        ids[writes[:taken]] = list(islice(client.write_ids, int(writes[:taken].sum())))
        self._log(writes[:logged], keys, ids, invokes, completes, logged)
        if back:
            self.active = False
            k = logged
            failure = self._failures[bool(writes[k])]
            self._hand_back(failure, bool(writes[k]), int(keys[k]),
                            int(ids[k]) if writes[k] else None, float(invokes[k]),
                            float(there[k]) if refused[k] else None, float(completes[k]))
            return
        self.next_invoke = float(times[3 * logged])
        client.note_wake(self.next_invoke)

    def _replay_lookups(self, writes: np.ndarray, invokes: np.ndarray) -> None:
        """Renew the client's DNS cache as these calls' lookups would: a name both kinds
        go through is renewed by the calls of both, in time order."""
        links: dict[str, tuple[tuple[DnsName, Answer], np.ndarray]] = {}
        for is_write, failure in self._failures.items():
            mine = writes == is_write
            for link in failure.chain:
                known = links.get(link[0].name)
                links[link[0].name] = (link, mine if known is None else known[1] | mine)
        for link, mask in links.values():
            self.client.resolver.replay((link,), invokes[mask])

    def _legs(self, writes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per call, the time to its arrival and from there to its end; which are refusals."""
        client, n = self.client, len(writes)
        legs = np.zeros((n, 2))
        refused = np.zeros(n, dtype=bool)
        for is_write, failure in self._failures.items():
            mine = writes == is_write
            if failure.how in (DROPPED, IGNORED):
                legs[mine, 0] = client.spec.op_timeout_s
            elif failure.how == REFUSED:
                refused |= mine
        if refused.any():
            jitter = self._jitter.peek(2 * n).reshape(n, 2)
            order = np.cumsum(refused) - 1  # the j-th refusal takes the j-th pair of draws
            net, here = client.net, client.region
            for is_write, failure in self._failures.items():
                mine = refused & (writes == is_write)
                if mine.any():
                    node = failure.node
                    assert node is not None
                    draws = jitter[order[mine]]
                    legs[mine, 0] = net.path_delay_s(here, node.az, draws[:, 0])
                    legs[mine, 1] = net.path_delay_s(node.az, here, draws[:, 1])
        return legs, refused

    def _log(self, writes: np.ndarray, keys: np.ndarray, ids: np.ndarray, invokes: np.ndarray,
             completes: np.ndarray, n: int) -> None:
        """Append the first ``n`` calls to the history, as :meth:`ObservedClient.log_op` would."""
        if not n:
            return
        client = self.client
        name, region = client.name, client.region
        shape = {}  # is_write -> (kind, outcome, node, error): the same for every such call
        for is_write, failure in self._failures.items():
            timed_out = failure.how in (DROPPED, IGNORED)
            shape[is_write] = (
                OpKind.WRITE if is_write else OpKind.READ,
                Outcome.UNKNOWN if timed_out and is_write else Outcome.FAIL,
                failure.node.name if failure.node is not None else None,
                failure.error,
            )
        if n < _BLOCK:  # a few calls: rows are cheaper than the arrays of a block
            rows = []
            for is_write, key, write_id, invoke, complete in zip(
                    writes[:n].tolist(), keys[:n].tolist(), ids[:n].tolist(),
                    invokes[:n].tolist(), completes[:n].tolist(), strict=True):
                kind_, outcome_, node_, error_ = shape[is_write]
                rows.append(ClientOp(name, region, kind_, key, write_id if is_write else None,
                                     None, invoke, complete, outcome_, node_, error_))
            client.log_failures(rows, completes[n - 1].item())
            return
        # one block of columns, not a row per call (oplog: outages make millions)
        write = writes[:n]
        writes_n = int(write.sum())
        both = len(shape) == 2 and 0 < writes_n < n
        index = write.astype(np.intp)
        kind, outcome, node, error = (
            Pick((shape[False][i], shape[True][i]), index) if both
            else Same(shape[bool(write[0])][i]) for i in range(4))
        values: Piece  # a write's id, a read's None
        if writes_n == n:
            values = ids[:n].copy()
        elif not writes_n:
            values = Same(None)
        else:
            values = np.full(n, None, dtype=object)
            values[write] = ids[:n][write].tolist()
        block = OpBlock(n, (Same(name), Same(region), kind, keys[:n].copy(), values,
                            Same(None), invokes[:n].copy(), completes[:n].copy(), outcome,
                            node, error, Same(None)))
        client.log_failures(block, completes[n - 1].item())

    def _delay(self, src: str, dst: str) -> float:
        return self.client.net.path_delay_s(src, dst, self._jitter())

    def _hand_back(self, failure: Failure, is_write: bool, key: int, write_id: int | None,
                   invoke: float, there_s: float | None, complete: float) -> None:
        """The call in flight now continues as an ordinary call, from where it is."""
        client = self.client
        world, net, node = client.world, client.net, failure.node
        assert node is not None  # a call with no endpoint ends as it starts
        now = world.now
        op = client.new_op(is_write, key, write_id, invoke, node)
        if failure.how == IGNORED:
            there_s = invoke + self._delay(client.region, node.az)
        if failure.how == REFUSED and there_s is not None and there_s <= now:
            # the refusal is on its way back
            value = write_id if is_write else None
            extra = (None,) if is_write else ()
            net.deliver_at(complete, node.az, client.region, client.finish, op, Outcome.FAIL,
                           value, None, failure.error, *extra)
        elif there_s is not None and there_s > now:  # the request is still on its way
            if is_write:
                net.deliver_at(there_s, client.region, node.az, node.receive_write, key,
                               write_id, op.reply_write)
            else:
                net.deliver_at(there_s, client.region, node.az, node.receive_read, key,
                               op.reply_read)
        client.arm_timeout(op)
