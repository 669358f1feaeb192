"""Health checks from a Region's control plane, as the simulation's detector makes them.

Probes go on a fixed grid every ``interval_s`` (its phase drawn from the run's seed), each
a ``SELECT 1`` through the control link from the observer's Region, judged
after ``min(timeout_s, interval_s)``; ``failure_threshold`` failures in a row are a
detected failure (:class:`hadrsim.simulator.detector.FailureDetector`). While the
observer's own Region is down, it does not probe (its control plane is down with it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg

from hadrsim.emulate.attempt import Attempt, settle
from hadrsim.emulate.topology import Topology


class Detector:
    """Probes ``target()`` from ``region`` until it fails ``failure_threshold`` times."""

    def __init__(self, topo: Topology, check: Any, region: str, clock: Callable[[], float],
                 rng: np.random.Generator) -> None:
        self.topo, self.check, self.region, self.clock = topo, check, region, clock
        self.timeout_s = min(check.timeout_s, check.interval_s)
        self.next_probe = float(rng.uniform(0.0, check.interval_s))
        self._late: set[asyncio.Task] = set()
        self._conn: psycopg.AsyncConnection | None = None
        self._member: str | None = None

    async def failed(self, target: Callable[[], str | None], horizon_s: float) -> str | None:
        """The member found down (None: the horizon came first)."""
        failures = 0
        while self.next_probe < horizon_s:
            await asyncio.sleep(max(0.0, self.next_probe - self.clock()))
            self.next_probe += self.check.interval_s
            member = target()
            if member is None or self.topo.is_down(self.region):
                failures = 0
                continue
            failures = 0 if await self.healthy(member) else failures + 1
            if failures >= self.check.failure_threshold:
                return member
        return None

    async def healthy(self, member: str) -> bool:
        """``SELECT 1`` in time, on a connection kept open between probes: one round trip,
        as the simulation's ping (a new connection would cost three). A late probe is
        abandoned with its socket shut down (:func:`~hadrsim.emulate.attempt.sever`)."""
        kept = self._conn if self._member == member else None
        if kept is None:
            self._drop()
        self._conn, self._member = None, None  # the probe owns it now
        held = Attempt(kept)
        probe = asyncio.create_task(self._probe(held, member))
        done, _ = await asyncio.wait({probe}, timeout=self.timeout_s)
        if not done:
            held.abandon(probe, self._late)
            return False
        if probe.exception() is not None:
            held.close()
            return False
        self._conn, self._member = held.conn, member
        return True

    async def _probe(self, held: Attempt, member: str) -> None:
        if held.conn is None or held.conn.closed:
            host, port = self.topo.control_address(self.region, member)
            held.connected(await psycopg.AsyncConnection.connect(
                host=host, port=port, user="postgres", dbname="postgres", autocommit=True,
                connect_timeout=2, sslmode="disable", gssencmode="disable"))
        held.sent = True
        await held.conn.execute("SELECT 1")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()  # no task uses it: a probe hands it back when done

    async def close(self) -> None:
        """Close the probe connection; cancel probes still hanging on a silent server."""
        self._drop()
        await settle(self._late)

    def resume_after(self, at_s: float) -> None:
        """Probe again on the grid from ``at_s`` (after acting on a failure)."""
        while self.next_probe < at_s:
            self.next_probe += self.check.interval_s


__all__ = ["Detector"]
