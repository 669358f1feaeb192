"""Observed clients on real PostgreSQL: the workload's calls through DNS and the link proxies.

Each client runs the study's observed workload (write fraction, keys, think times, retry
pause, operation time-out) against the design's endpoint *names*: it resolves a name
through its own resolver cache (:mod:`hadrsim.emulate.dns`) to a member, talks to that
member through the proxy of the link from its Region (:mod:`hadrsim.emulate.proxy`), and
records every call as the simulation's :class:`~hadrsim.simulator.records.ClientOp`, so the
same checkers read it.

A write is one statement in autocommit (:data:`SCHEMA`'s ``hadrsim_write``): it appends its
unique write id to ``hadrsim_writes`` (what the final read lists, Jepsen's set), replaces
the key's value, and returns the value it replaced and its version, the WAL insert position
(a larger one is a newer write, also across a promotion: a new timeline continues the log).

Outcomes, as the simulation's clients decide them:
- ``ok``: the statement returned (also a write whose commit was cancelled while it waited
  for its synchronous standby: PostgreSQL answers that cancel with success and a warning,
  the write committed on the primary only; see ``workload.cancel_after_s``);
- ``fail``: known not to have taken effect: no connection, a refused or failed connect, a
  server error (a read-only standby), or a read that timed out or lost its connection;
- ``unknown``: a write that timed out or lost its connection after it was sent (it may
  have committed: PostgreSQL commits a statement the client never hears about). A write
  that timed out while still connecting was never sent: ``fail``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import psycopg

from hadrsim.emulate.attempt import Attempt, settle
from hadrsim.emulate.dns import Resolver
from hadrsim.simulator.records import ClientOp, Commit
from hadrsim.simulator.vocabulary import OpKind, Outcome
from hadrsim.spec.workload import WorkloadSpec

SCHEMA = """
CREATE TABLE hadrsim_kv (key int PRIMARY KEY, value bigint, version bigint);
CREATE TABLE hadrsim_writes (write_id bigint PRIMARY KEY, key int NOT NULL);
INSERT INTO hadrsim_kv SELECT k, NULL, NULL FROM generate_series(0, {keys} - 1) AS k;
CREATE FUNCTION hadrsim_write(p_id bigint, p_key int)
RETURNS TABLE (prev_id bigint, new_version bigint) LANGUAGE plpgsql AS $$
DECLARE
  old_id bigint;
  position bigint;
BEGIN
  INSERT INTO hadrsim_writes VALUES (p_id, p_key);
  SELECT value INTO old_id FROM hadrsim_kv WHERE key = p_key FOR UPDATE;
  position := (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint;
  UPDATE hadrsim_kv SET value = p_id, version = position WHERE key = p_key;
  RETURN QUERY SELECT old_id, position;
END $$;
"""
"""The observed data: one row per key, and every observed write id (the final read's set)."""

_WRITE = "SELECT prev_id, new_version FROM hadrsim_write(%s, %s)"
_READ = "SELECT value, version FROM hadrsim_kv WHERE key = %s"


@dataclass
class Wiring:
    """What a client needs from the topology, looked up at each call (it changes)."""

    address: Callable[[str, str], tuple[str, int]]  # (client region, member) -> proxy
    timeline: Callable[[str], int]  # member -> its timeline now
    writer: str  # endpoint names
    reader: str | None  # None: reads go to the writer
    is_down: Callable[[str], bool]  # a Region (or AZ) is out: its clients are down with it


class Client:
    """One observed client: its calls in a loop from ``start`` until ``horizon``."""

    def __init__(self, name: str, region: str, spec: WorkloadSpec, wiring: Wiring,
                 resolver: Resolver, rng: np.random.Generator, write_ids: itertools.count,
                 clock: Callable[[], float]) -> None:
        self.name, self.region, self.spec = name, region, spec
        self.wiring, self.resolver, self.rng = wiring, resolver, rng
        self.write_ids, self.clock = write_ids, clock
        self.ops: list[ClientOp] = []
        self.commits: list[Commit] = []
        self.dense_until = 0.0
        self._conn: psycopg.AsyncConnection | None = None
        self._conn_member: str | None = None
        self._stray: set[asyncio.Task] = set()  # attempts abandoned at their time-out

    async def run(self, horizon_s: float, dense: Callable[[float], bool]) -> None:
        """Call, think, call until the horizon; the last call may end after it."""
        spec = self.spec
        await asyncio.sleep(spec.probe_interval_s * self.rng.random())
        try:
            while self.clock() < horizon_s:
                if self.wiring.is_down(self.region):
                    await asyncio.sleep(spec.probe_interval_s)  # down with its Region
                    continue
                failed = await self.call()
                now = self.clock()
                if failed:
                    self.dense_until = now + spec.observe_after_s
                    pause = spec.retry_backoff_s * (0.5 + self.rng.random())
                elif spec.idle_interval_s is None or now < self.dense_until or dense(now):
                    pause = spec.probe_interval_s * (0.5 + self.rng.random())
                else:
                    pause = spec.idle_interval_s * (0.5 + self.rng.random())
                await asyncio.sleep(pause)
        finally:
            await self._drop()
            await settle(self._stray)

    async def call(self) -> bool:
        """One call, recorded; whether it failed (anything but ``ok``).

        The attempt runs as its own task and is *abandoned* at the time-out
        (:mod:`hadrsim.emulate.attempt`), as a driver's socket time-out ends a call.
        """
        spec = self.spec
        is_write = self.rng.random() < spec.observed_write_fraction
        keys = spec.write_keys(self.region) if is_write else range(spec.observed_keys)
        key = keys[int(self.rng.random() * len(keys))]  # int(u * observed_keys) when all
        invoke = self.clock()
        endpoint = self.wiring.writer if is_write or self.wiring.reader is None \
            else self.wiring.reader
        member = self.resolver.resolve(endpoint, invoke)
        write_id = next(self.write_ids) if is_write else None
        if member is None:
            self._record(is_write, key, write_id, None, invoke, Outcome.FAIL, None, "no address")
            return True
        kept = self._conn if self._conn_member == member else None
        if kept is None:
            await self._drop()
        self._conn, self._conn_member = None, None  # the attempt owns it now
        held = Attempt(kept)
        attempt = asyncio.create_task(self._attempt(held, member, is_write, key, write_id))
        done = await self._wait(attempt, held, is_write, invoke)
        if not done:
            held.abandon(attempt, self._stray)
            # a write that reached the server may have committed; one never sent did not
            outcome = Outcome.UNKNOWN if is_write and held.sent else Outcome.FAIL
            self._record(is_write, key, write_id, None, invoke, outcome, member, "timeout")
            return True
        error = attempt.exception()
        if error is not None:
            held.close()
            server_said = isinstance(error, psycopg.Error) and error.sqlstate is not None
            unknown = is_write and held.sent and not server_said
            outcome = Outcome.UNKNOWN if unknown else Outcome.FAIL
            self._record(is_write, key, write_id, None, invoke, outcome, member, _reason(error))
            return True
        self._conn, self._conn_member = held.conn, member
        row = attempt.result()
        if is_write:
            self._record(True, key, write_id, row[1], invoke, Outcome.OK, member, None, row[0])
        else:
            self._record(False, key, row[0], row[1], invoke, Outcome.OK, member, None)
        return False

    async def _wait(self, attempt: asyncio.Task, held: Attempt, is_write: bool,
                    invoke: float) -> bool:
        """Wait for the attempt up to the time-out; a write still unanswered at
        ``cancel_after_s`` gets a cancel request first (a driver's query time-out), sent on
        its own so the call goes on waiting for its answer."""
        spec = self.spec
        cancel = spec.cancel_after_s if is_write else None
        if cancel is not None:
            done, _ = await asyncio.wait({attempt}, timeout=cancel)
            if done:
                return True
            conn = held.conn
            if held.sent and conn is not None:
                left = max(0.1, spec.op_timeout_s - (self.clock() - invoke))
                request = asyncio.create_task(_cancel(conn, left))
                self._stray.add(request)
                request.add_done_callback(self._stray.discard)
        left = max(0.0, spec.op_timeout_s - (self.clock() - invoke))
        done, _ = await asyncio.wait({attempt}, timeout=left)
        return bool(done)

    async def _attempt(self, held: Attempt, member: str, is_write: bool, key: int,
                       write_id: int | None) -> tuple:
        if held.conn is None or held.conn.closed:
            host, port = self.wiring.address(self.region, member)
            held.connected(await psycopg.AsyncConnection.connect(
                host=host, port=port, user="postgres", dbname="postgres", autocommit=True,
                sslmode="disable", gssencmode="disable",  # a round trip each, otherwise
                connect_timeout=max(2, int(self.spec.op_timeout_s + 0.999))))
        held.sent = True
        if is_write:
            cur = await held.conn.execute(_WRITE, (write_id, key))
        else:
            cur = await held.conn.execute(_READ, (key,))
        row = await cur.fetchone()
        if row is None:
            raise psycopg.OperationalError("no row returned")
        return row

    def _record(self, is_write: bool, key: int, value: int | None, version: int | None,
                invoke: float, outcome: str, member: str | None, error: str | None,
                prev: int | None = None) -> None:
        complete = self.clock()
        kind = OpKind.WRITE if is_write else OpKind.READ
        self.ops.append(ClientOp(self.name, self.region, kind, key, value, version, invoke,
                                 complete, outcome, member, error, prev))
        if is_write and outcome == Outcome.OK and member is not None:
            assert value is not None and version is not None
            timeline = self.wiring.timeline(member)
            self.commits.append(Commit(complete, member, timeline, version, version, 1,
                                       (value,)))

    async def _drop(self) -> None:
        """Close the connection without waiting on a server that may be gone or hung."""
        conn, self._conn, self._conn_member = self._conn, None, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            conn.pgconn.finish()  # the socket closes now; close() could wait on a dead peer
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), 0.2)


async def _cancel(conn: psycopg.AsyncConnection, timeout_s: float) -> None:
    """A cancel request for the statement running on ``conn`` (a new connection to the same
    address, through the same link), given up after ``timeout_s``."""
    with contextlib.suppress(Exception):
        await conn.cancel_safe(timeout=timeout_s)


def _reason(error: BaseException) -> str:
    """A short, stable reason for the record (the first line of the error)."""
    if isinstance(error, psycopg.Error) and error.sqlstate:
        return f"sqlstate {error.sqlstate}"
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:120]


__all__ = ["SCHEMA", "Client", "Wiring"]
