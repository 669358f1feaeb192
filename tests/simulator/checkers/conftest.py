"""Builders for hand-written records, so each test states only what matters to it.

Fixtures are session-scoped factories: they hold no state, and hypothesis
tests may use them without a function-scoped-fixture warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from hadrsim.simulator.checkers import Episode
from hadrsim.simulator.records import ClientOp, Commit, ControlEvent, Fault, FinalRead

EAST = "us-east-1"
WEST = "us-west-2"


def _op(
    kind: str,
    invoke_s: float,
    complete_s: float | None = None,
    outcome: str = "ok",
    value: int | None = None,
    client: str = "c1",
    region: str = WEST,
    *,
    key: int = 0,
    version: int | None = None,
    prev: int | None = None,
) -> ClientOp:
    return ClientOp(
        client=client,
        client_region=region,
        kind=kind,
        key=key,
        value=value,
        version=version,
        invoke_s=invoke_s,
        complete_s=invoke_s + 0.01 if complete_s is None else complete_s,
        outcome=outcome,
        node="db-1",
        error=None if outcome == "ok" else outcome,
        prev=prev,
    )


@pytest.fixture(scope="session")
def write() -> Callable[..., ClientOp]:
    """``write(invoke_s, complete_s=None, outcome="ok", value=None, client=, region=,
    key=0, version=None, prev=None)``."""
    return lambda *args, **kwargs: _op("write", *args, **kwargs)


@pytest.fixture(scope="session")
def read() -> Callable[..., ClientOp]:
    """``read(invoke_s, complete_s=None, outcome="ok", value=None, client=, region=,
    key=0, version=None)``."""
    return lambda *args, **kwargs: _op("read", *args, **kwargs)


@pytest.fixture(scope="session")
def fault() -> Callable[..., Fault]:
    """``fault(fault_id, start_s, affected=(EAST,), end_s=None)``: a region outage."""

    def build(
        fault_id: int,
        start_s: float,
        affected: tuple[str, ...] = (EAST,),
        end_s: float | None = None,
    ) -> Fault:
        return Fault(fault_id, "outage", f"region:{EAST}", "Region", start_s, end_s, affected)

    return build


@pytest.fixture(scope="session")
def episode() -> Callable[..., Episode]:
    """``episode(start_s, window_end_s, affected=(EAST,), fault_id=1)``."""

    def build(
        start_s: float, window_end_s: float, affected: tuple[str, ...] = (EAST,), fault_id: int = 1
    ) -> Episode:
        return Episode(
            fault_id, "outage", f"region:{EAST}", "Region", start_s, None, window_end_s, affected
        )

    return build


@pytest.fixture(scope="session")
def commit() -> Callable[..., Commit]:
    """``commit(timeline, lsn_from, lsn_to, write_ids=(), writes=None, time_s=0.0)``."""

    def build(
        timeline: int,
        lsn_from: int,
        lsn_to: int,
        write_ids: tuple[int, ...] = (),
        writes: int | None = None,
        time_s: float = 0.0,
    ) -> Commit:
        count = lsn_to - lsn_from + 1 if writes is None else writes
        return Commit(time_s, "db-1", timeline, lsn_from, lsn_to, count, write_ids)

    return build


@pytest.fixture(scope="session")
def final() -> Callable[..., FinalRead]:
    """``final(write_ids=(), ranges=(), available=True)``: the surviving database state."""

    def build(
        write_ids: Iterable[int] = (),
        ranges: tuple[tuple[int, int, int], ...] = (),
        available: bool = True,
    ) -> FinalRead:
        return FinalRead(1e9, "db-2", available, 1, 0, frozenset(write_ids), ranges)

    return build


@pytest.fixture(scope="session")
def event() -> Callable[..., ControlEvent]:
    """``event(time_s, name)``: a control-plane event."""
    return lambda time_s, name: ControlEvent(time_s, name, "db-1", "")
