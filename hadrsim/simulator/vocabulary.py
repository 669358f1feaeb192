"""The names producers and consumers of the record share: one definition each.

Metric names, control-event kinds (what :meth:`World.event` records and the event log, the RTO
breakdown and the report read), client operation kinds and outcomes. They are plain
``str`` constants, not enum members, because records are hashed and stored by value
(``marshal``) and must stay plain strings. A test checks that no module writes an event
name as a string literal.
"""

from __future__ import annotations

from typing import Final

from hadrsim.simulator.records import CORRUPT_BASE

__all__ = ["EVENT_NAMES", "Ev", "Metric", "OpKind", "Outcome", "corrupting_fault", "is_corrupt"]


class Ev:
    """Control-plane event kinds (``ControlEvent.event``), like RDS event messages."""

    BACKUP_FAILED: Final = "backup_failed"
    CLIENT_FAILOVER: Final = "client_failover"
    COMMITS_BLOCKED: Final = "commits_blocked"
    CORRUPTION_DETECTED: Final = "corruption_detected"
    CORRUPTION_SKIPPED: Final = "corruption_skipped"
    CORRUPTION_WRITTEN: Final = "corruption_written"
    DNS_HEALTH_CHANGED: Final = "dns_health_changed"
    DR_DEFERRED: Final = "dr_deferred"
    ENDPOINT_UPDATED: Final = "endpoint_updated"
    EXPERIMENT_STOPPED: Final = "experiment_stopped"
    FAILOVER_ABORTED: Final = "failover_aborted"
    FAILOVER_VETOED: Final = "failover_vetoed"
    FAILURE_DETECTED: Final = "failure_detected"
    FAULT_CANCELLED: Final = "fault_cancelled"
    FAULT_NOT_APPLICABLE: Final = "fault_not_applicable"
    HYDRATION_STARTED: Final = "hydration_started"
    INSTANCE_DELETED: Final = "instance_deleted"
    INSTANCE_RELOCATED: Final = "instance_relocated"
    OPERATOR_PAGED: Final = "operator_paged"
    PRIMARY_CHANGED: Final = "primary_changed"
    PROMOTION_COMPLETED: Final = "promotion_completed"
    PROMOTION_STARTED: Final = "promotion_started"
    RESTORE_COMPLETED: Final = "restore_completed"
    RESTORE_IMPOSSIBLE: Final = "restore_impossible"
    RESTORE_STARTED: Final = "restore_started"
    RESTORED_TO: Final = "restored_to"
    REWOUND: Final = "rewound"
    SEGMENT_REPAIR_COMPLETED: Final = "segment_repair_completed"
    SEGMENT_REPAIR_STARTED: Final = "segment_repair_started"
    STANDBY_IN_SYNC: Final = "standby_in_sync"
    STANDBY_OUT_OF_SYNC: Final = "standby_out_of_sync"
    SWITCHOVER_ABORTED: Final = "switchover_aborted"
    SWITCHOVER_COMPLETED: Final = "switchover_completed"
    SWITCHOVER_SKIPPED: Final = "switchover_skipped"
    SWITCHOVER_STARTED: Final = "switchover_started"


EVENT_NAMES: Final = frozenset(
    value for name, value in vars(Ev).items() if not name.startswith("_"))


class Metric:
    """The headline metric names :func:`run_metrics` produces and verdicts, summaries and
    tables read (per run and per episode)."""

    RTO_WRITE_S: Final = "rto_write_s"  # client-observed write recovery
    RTO_READ_S: Final = "rto_read_s"  # client-observed read recovery time
    RPO_S: Final = "rpo_s"  # loss window of acknowledged writes
    LOST_WRITES: Final = "lost_writes"  # acknowledged writes missing from the surviving state
    AVAILABILITY_WRITE: Final = "availability_write"  # share of the horizon writes were available
    AVAILABILITY_READ: Final = "availability_read"  # share of the horizon reads were available
    RECOVERED_WRITE: Final = "recovered_write"  # writes recovered in the window
    RECOVERED_READ: Final = "recovered_read"  # reads recovered in the window
    SPLIT_BRAIN_S: Final = "split_brain_s"  # seconds two writers accepted writes at once
    STALE_READ_RATIO: Final = "stale_read_ratio"  # reads older than acknowledged


class OpKind:
    """What an observed client does (``ClientOp.kind``)."""

    READ: Final = "read"
    WRITE: Final = "write"


class Outcome:
    """How a client operation ended (``ClientOp.outcome``)."""

    OK: Final = "ok"  # acknowledged
    FAIL: Final = "fail"  # known not to have taken effect
    UNKNOWN: Final = "unknown"  # timed out: a write may or may not have committed


def is_corrupt(write_id: int | None) -> bool:
    """Whether a write id (a read's value, a surviving id) was written by corruption."""
    return write_id is not None and write_id < 0


def corrupting_fault(write_id: int | None) -> int | None:
    """The fault id whose corruption wrote ``write_id`` (None: a client's write)."""
    return -write_id // CORRUPT_BASE if write_id is not None and write_id < 0 else None
