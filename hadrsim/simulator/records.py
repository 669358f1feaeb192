"""Tidy records: the facts a run leaves behind.

The simulation never reports a metric about itself. It only appends these flat
records; every metric (RTO, RPO, availability, latency, consistency) is computed
afterwards by pure functions in :mod:`hadrsim.simulator.checkers` over them.
Each record type is a ``NamedTuple`` so that a list of them becomes a pandas
DataFrame in one call and is cheap to create on hot paths.

Times are simulated seconds (float). Write identities (``value``) are unique
integers per run, so a write can be recognised in the surviving database state
(Jepsen's "set" workload idea).
"""

from __future__ import annotations

from typing import Any, NamedTuple

CORRUPT_BASE = 1_000_000
"""Logical corruption writes negative ids, ``-(fault_id * CORRUPT_BASE + key)``, so a read
that returns one is known to be corrupt and the checker knows which fault wrote it."""


def corrupt_write_id(fault_id: int, key: int) -> int:
    """The write id a corrupting write of ``fault_id`` puts in ``key``."""
    return -(fault_id * CORRUPT_BASE + key)


class ClientOp(NamedTuple):
    """One operation of an observed client, from invocation to outcome.

    ``outcome`` is ``"ok"`` (acknowledged), ``"fail"`` (known not to have taken
    effect) or ``"unknown"`` (timed out: a write may or may not have committed).
    For a write, ``value`` is its unique write id and ``version`` the commit
    position the database acknowledged; for a read, ``value`` is the write id it
    returned (``None`` when the key had never been written) and ``version`` that
    write's position. Versions of one key are ordered: a larger version is a newer
    write (log position for single-writer designs, timestamp for last-writer-wins).
    ``prev`` is, for an acknowledged write, the write id it replaced at the node
    that applied it (DynamoDB's ``ReturnValues=ALL_OLD``; ``None`` if the key was
    empty); the lost-update checker uses it.
    """

    client: str
    client_region: str
    kind: str  # "write" | "read"
    key: int
    value: int | None
    version: int | None
    invoke_s: float
    complete_s: float
    outcome: str  # "ok" | "fail" | "unknown"
    node: str | None
    error: str | None
    prev: int | None = None


class Commit(NamedTuple):
    """A group-commit batch made durable and acknowledged on a primary.

    ``lsn_from``..``lsn_to`` (inclusive) on ``timeline`` hold ``writes`` writes of
    the whole workload (observed and background); ``write_ids`` are the observed
    client writes among them.
    """

    time_s: float
    node: str
    timeline: int
    lsn_from: int
    lsn_to: int
    writes: int
    write_ids: tuple[int, ...]


class Apply(NamedTuple):
    """A follower made a primary's log durable up to ``lsn`` on ``timeline``."""

    time_s: float
    node: str
    source: str
    timeline: int
    lsn: int


class Fault(NamedTuple):
    """A fault episode as injected: what, where, when, and its disruption class.

    ``scope`` names what failed (``node:db-1``, ``az:use1-az1``,
    ``region:us-east-1``, ``link:a->b``); ``affected_locations`` lists the
    regions/AZs that were down with it (a region outage takes its AZs), which the
    RTO checker uses to tell surviving clients from dead ones. ``end_s`` is
    ``None`` for a permanent fault.
    """

    fault_id: int
    kind: str
    scope: str
    disruption: str  # Software | Hardware | AZ | Region
    start_s: float
    end_s: float | None
    affected_locations: tuple[str, ...]


class RoleChange(NamedTuple):
    """A node took a role (primary, standby, replica, promoting, active).

    ``primary`` is a single writer of its dataset; ``active`` is one of several
    writers by design (multi-active, last writer wins), which is not split brain.
    ``dataset`` names the data the node serves; ``az`` where it lives.
    """

    time_s: float
    node: str
    role: str
    timeline: int
    dataset: str = ""
    az: str = ""


class ControlEvent(NamedTuple):
    """A control-plane event, like an RDS event: failure detected, promoted, ..."""

    time_s: float
    event: str
    node: str | None
    detail: str


class FinalRead(NamedTuple):
    """The authoritative database state after the run (the final read).

    ``write_ids`` are the observed writes present in the durable log of the node
    that holds the dataset at the end; ``lsn_count`` counts all workload writes in
    that log (background writes included), ``timeline`` and ``lsn`` give its tip.
    """

    time_s: float
    node: str | None
    available: bool
    timeline: int
    lsn: int
    write_ids: frozenset[int]
    surviving_ranges: tuple[tuple[int, int, int], ...]  # (timeline, lsn_from, lsn_to)


class ReplicaState(NamedTuple):
    """One replica's state at the end of the run, for divergence checks.

    ``values`` maps each observed key to the write id the replica holds for it
    (what a read there would return), ``available`` whether it was answering.
    """

    node: str
    dataset: str
    role: str
    available: bool
    values: tuple[tuple[int, int | None], ...]


RECORD_TYPES: dict[str, Any] = {  # record list name -> its NamedTuple class
    "ops": ClientOp,
    "commits": Commit,
    "applies": Apply,
    "faults": Fault,
    "roles": RoleChange,
    "control": ControlEvent,
}
