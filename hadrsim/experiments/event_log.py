"""An RDS-style event log of one run, in the shape ``rds.describe_events`` returns.

The simulator's control plane records what it did (``failure_detected``,
``promotion_started``, ``endpoint_updated`` ...). This module words those records as
RDS would — ``Date``, ``SourceIdentifier``, ``SourceType``, ``EventCategories`` (the
real RDS categories: availability, failover, failure, recovery, restoration,
read replica, backup, notification, global-failover) and ``Message`` — so a simulated
failover reads like the event stream an operator watches. RDS event IDs are not
given: the simulator's steps do not map one to one onto them. Injected faults are
listed too (SourceType ``fault-injection``, category ``fault``), clearly not RDS's,
so the log reads as a timeline. Times are seconds from the run start; ``Date``
counts them from a fixed epoch (2026-01-01T00:00:00Z) so a log is reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from hadrsim.simulator.recorder import Recorder

__all__ = ["EPOCH", "event_log", "describe_events"]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

# control event -> (categories, message template); {node} and {detail} are filled in
_WORDING: dict[str, tuple[tuple[str, ...], str]] = {
    "failure_detected": (("failure",), "Health checks of DB instance {node} failed ({detail})"),
    "failover_vetoed": (("failover",), "Failover of {node} not started: {detail}"),
    "promotion_started": (("failover",), "Started failover to DB instance {node} ({detail})"),
    "promotion_completed": (("failover",), "Completed failover to DB instance {node} "
                                           "({detail})"),
    "failover_aborted": (("failover",), "Failover failed: {detail}"),
    "primary_changed": (("failover",), "DB instance {node} is now the writer ({detail})"),
    "replacement_started": (("recovery",), "Recovery of DB instance {node} has started"),
    "replacement_completed": (("recovery",), "Recovery of DB instance {node} is complete"),
    "restore_started": (("restoration",), "Restore started {detail}"),
    "restore_completed": (("restoration",), "DB instance {node} restored {detail}"),
    "restored_to": (("restoration",), "DB instance {node} restored to {detail}"),
    "restore_impossible": (("restoration", "failure"), "Restore not possible: {detail}"),
    "hydration_started": (("notification",), "DB instance {node} loading blocks from "
                                             "Amazon S3 ({detail})"),
    "endpoint_updated": (("notification",), "DNS record updated: {detail}"),
    "dns_health_changed": (("notification",), "Route 53 health of {node}: {detail}"),
    "standby_out_of_sync": (("availability",), "Standby {node} left the synchronous set "
                                               "({detail})"),
    "standby_in_sync": (("availability",), "Standby {node} is in sync again ({detail})"),
    "rewound": (("read replica",), "DB instance {node} rewound {detail}"),
    "commits_blocked": (("availability",), "Commits blocked: {detail}"),
    "commits_resumed": (("availability",), "Commits resumed: {detail}"),
    "segment_repair_started": (("recovery",), "Storage segment repair started on {node}"),
    "segment_repair_completed": (("recovery",), "Storage segment repair completed on {node}"),
    "switchover_started": (("global-failover",), "Global switchover to {node} started"),
    "switchover_completed": (("global-failover",), "Global switchover to {node} completed"),
    "switchover_aborted": (("global-failover",), "Global switchover to {node} aborted: "
                                                 "{detail}"),
    "switchover_skipped": (("global-failover",), "Global switchover skipped: {detail}"),
    "operator_paged": (("notification",), "Operator paged: writer {node} unavailable"),
    "dr_deferred": (("notification",), "DR runbook waiting: {detail}"),
    "backup_failed": (("backup", "failure"), "Automated backup failed {detail}"),
    "instance_deleted": (("deletion",), "DB instance {node} deleted ({detail})"),
    "corruption_written": (("notification",), "Bad data written on {node} ({detail})"),
    "corruption_detected": (("notification",), "Logical corruption detected {detail}"),
    "corruption_skipped": (("notification",), "Corruption not written: {detail}"),
    "client_failover": (("notification",), "Application switched endpoint: {detail}"),
    "instance_relocated": (("recovery",), "DB instance {node} recreated in another AZ "
                                          "({detail})"),
    "fault_not_applicable": (("fault",), "Fault not applicable to this design: {detail}"),
    "fault_cancelled": (("fault",), "Fault cancelled: {detail}"),
    "experiment_stopped": (("fault",), "Fault schedule stopped: {detail}"),
}
_FAULT_SOURCE = {"fault_not_applicable", "fault_cancelled", "experiment_stopped"}


def event_log(rec: Recorder, design: str, include_faults: bool = True) -> pd.DataFrame:
    """One row per event, in time order: time_s, Date, SourceIdentifier, SourceType,
    EventCategories, Message, and the simulator's own ``event`` name."""
    rows: list[dict[str, Any]] = []
    for e in rec.control:
        categories, template = _WORDING.get(e.event, (("notification",), e.event + " {detail}"))
        fault_source = e.event in _FAULT_SOURCE
        rows.append({
            "time_s": e.time_s,
            "SourceIdentifier": "fis-experiment" if fault_source else (e.node or design),
            "SourceType": "fault-injection" if fault_source
            else ("db-instance" if e.node else "db-cluster"),
            "EventCategories": list(categories),
            "Message": template.format(node=e.node or design, detail=e.detail).strip(),
            "event": e.event,
        })
    if include_faults:
        for f in rec.faults:
            until = "permanent" if f.end_s is None else f"until t={f.end_s:.1f}s"
            rows.append({
                "time_s": f.start_s, "SourceIdentifier": f.scope,
                "SourceType": "fault-injection", "EventCategories": ["fault"],
                "Message": f"Injected {f.kind} on {f.scope} ({f.disruption}, {until})",
                "event": "fault_injected",
            })
    frame = pd.DataFrame(rows, columns=["time_s", "SourceIdentifier", "SourceType",
                                        "EventCategories", "Message", "event"])
    frame = frame.sort_values("time_s", kind="stable").reset_index(drop=True)
    frame.insert(1, "Date", [_date(t) for t in frame["time_s"]])
    return frame


def describe_events(rec: Recorder, design: str, include_faults: bool = True) -> dict:
    """``{"Events": [...]}`` as ``rds.describe_events`` returns (Date as ISO 8601)."""
    frame = event_log(rec, design, include_faults)
    keys = ["SourceIdentifier", "SourceType", "Message", "EventCategories", "Date"]
    return {"Events": [{k: row[k] for k in keys} | {"SimulatedTimeS": row["time_s"]}
                       for row in frame.to_dict("records")]}


def _date(time_s: float) -> str:
    return (EPOCH + timedelta(seconds=float(time_s))).isoformat().replace("+00:00", "Z")
