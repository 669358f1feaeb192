"""The study's ``alarms:`` as CloudWatch metric alarms on the real metrics of each design.

The simulator computes its series from client records; AWS publishes its own metrics, so
each simulated metric maps to the nearest real one (units converted in the threshold):

=====================  ==============================================================
simulated metric       CloudWatch metric (Region: where the metric is published)
=====================  ==============================================================
replica_lag_s          RDS read replicas: AWS/RDS ``ReplicaLag`` (s, Maximum) per replica;
                       Multi-AZ DB cluster: ``ReplicaLag`` by DBClusterIdentifier; Aurora:
                       ``AuroraReplicaLagMaximum`` (ms); Aurora Global: also
                       ``AuroraGlobalDBReplicationLag`` (ms) of each secondary cluster;
                       DynamoDB MREC: ``ReplicationLatency`` (ms) per sending Region and
                       ReceivingRegion. None for a Multi-AZ standby (synchronous), a
                       Single-AZ instance or MRSC (synchronous).
commit_latency_p99_ms  Aurora: AWS/RDS ``CommitLatency`` (ms), ExtendedStatistic p99; RDS
                       PostgreSQL publishes no commit latency, so ``WriteLatency`` (s per disk
                       write, a proxy) p99; DynamoDB: ``SuccessfulRequestLatency`` (ms,
                       Operation PutItem) p99 in every Region.
write_error_rate,      no AWS metric sees what clients saw: the application publishes
read_error_rate,       ``WriteErrorRate``, ``ReadErrorRate``, ``WriteAvailability`` (0-1,
write_availability     Average) to namespace ``hadrsim/<study>`` with dimension Design.
=====================  ==============================================================

AWS metrics are standard resolution, so their alarm periods are rounded up to whole minutes.

The AWS side is the design kind's ``alarms`` hook (registered by
:mod:`hadrsim.aws.builtin_kinds` with :func:`~hadrsim.spec.kinds.extend_kind`):

``alarms(b: PlanBuilder, metric: str) -> list[MetricTarget]``
    ``metric`` is ``replica_lag_s`` or ``commit_latency_p99_ms`` (the application metrics
    are planned here for every kind). It may assume the kind's ``plan`` hook has run, so
    ``b.writer`` (``region``, ``id``) and ``b.design`` (resolved) are set. Returns the real
    metrics standing for ``metric``; an empty list means none exists (the alarm is left out
    with a note). Pure: no AWS access. A kind with no ``alarms`` hook gets the application
    metrics only; its other alarms are left out with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hadrsim.aws.naming import tag_list
from hadrsim.aws.plan import PlanBuilder, Resource, node_suffix
from hadrsim.spec.kinds import kind_of

__all__ = ["MetricTarget", "aurora_metrics", "dynamodb_metrics", "metric_targets",
           "plan_alarms", "rds_cluster_metrics", "rds_instance_metrics"]

_APP = {"write_error_rate": "WriteErrorRate", "read_error_rate": "ReadErrorRate",
        "write_availability": "WriteAvailability"}


@dataclass(frozen=True)
class MetricTarget:
    """One real metric standing for a simulated one, and how to convert the threshold."""

    region: str
    namespace: str
    metric: str
    dimensions: dict[str, str] = field(compare=False, hash=False)
    statistic: str = "Maximum"
    extended: str | None = None
    scale: float = 1.0
    label: str = ""
    aws: bool = True
    why: str = ""


def _dims(**values: str) -> dict[str, str]:
    return dict(values)


def metric_targets(b: PlanBuilder, metric: str) -> list[MetricTarget] | None:
    """The CloudWatch metrics that stand for ``metric`` on this design (may be none);
    None when the design's kind registers no ``alarms`` hook (AWS metrics unknown)."""
    d, region = b.design, b.writer["region"]
    if metric in _APP:
        return [MetricTarget(region, f"hadrsim/{b.study.name}", _APP[metric],
                             _dims(Design=d.name), statistic="Average", aws=False,
                             why="published by the application (no AWS metric sees clients)")]
    kind = kind_of(d)
    if "alarms" not in kind.hooks:
        return None
    return kind.hooks["alarms"](b, metric)


# The ``alarms`` hooks of the built-in kinds (registered by hadrsim.aws.builtin_kinds).

def _replica_lags(b: PlanBuilder) -> list[MetricTarget]:
    """ReplicaLag of each RDS read replica, in its own Region."""
    d = b.design
    return [MetricTarget(r.region, "AWS/RDS", "ReplicaLag",
                         _dims(DBInstanceIdentifier=b.id(node_suffix(d.name, r.name))),
                         label=r.name, why=f"read replica {r.name}") for r in d.replicas]


def _write_latency(b: PlanBuilder, dim: str) -> list[MetricTarget]:
    return [MetricTarget(b.writer["region"], "AWS/RDS", "WriteLatency", {dim: b.writer["id"]},
                         extended="p99", scale=0.001,
                         why="disk write latency in s: a proxy, RDS PostgreSQL publishes no "
                             "commit latency")]


def rds_instance_metrics(b: PlanBuilder, metric: str) -> list[MetricTarget]:
    """``alarms`` hook of the RDS instance kinds: replica lags, WriteLatency as a proxy."""
    if metric == "replica_lag_s":
        return _replica_lags(b)
    return _write_latency(b, "DBInstanceIdentifier")


def rds_cluster_metrics(b: PlanBuilder, metric: str) -> list[MetricTarget]:
    """``alarms`` hook of ``rds_multi_az_cluster``: the readable standbys' lag by cluster."""
    if metric == "replica_lag_s":
        return [MetricTarget(b.writer["region"], "AWS/RDS", "ReplicaLag",
                             _dims(DBClusterIdentifier=b.writer["id"]), label="readers",
                             why="lag of the readable standbys"), *_replica_lags(b)]
    return _write_latency(b, "DBClusterIdentifier")


def aurora_metrics(b: PlanBuilder, metric: str) -> list[MetricTarget]:
    """``alarms`` hook of the Aurora kinds: reader and global lag (ms), CommitLatency."""
    d, region = b.design, b.writer["region"]
    if metric != "replica_lag_s":
        return [MetricTarget(region, "AWS/RDS", "CommitLatency",
                             _dims(DBClusterIdentifier=b.writer["id"]), extended="p99",
                             why="Aurora commit latency, ms")]
    out = []
    if d.readers:
        out.append(MetricTarget(region, "AWS/RDS", "AuroraReplicaLagMaximum",
                                _dims(DBClusterIdentifier=b.writer["id"]), scale=1000,
                                label="readers", why="Aurora readers, ms"))
    for s in getattr(d, "secondaries", []):
        out.append(MetricTarget(s.region, "AWS/RDS", "AuroraGlobalDBReplicationLag",
                                _dims(DBClusterIdentifier=b.id(s.region)), scale=1000,
                                label=s.region, why=f"secondary {s.region}, ms"))
    return out


def dynamodb_metrics(b: PlanBuilder, metric: str) -> list[MetricTarget]:
    """``alarms`` hook of ``dynamodb_global_table``: MREC ReplicationLatency per Region
    pair (none under MRSC), PutItem latency in every Region."""
    d, table = b.design, b.writer["id"]
    if metric != "replica_lag_s":
        return [MetricTarget(r, "AWS/DynamoDB", "SuccessfulRequestLatency",
                             _dims(TableName=table, Operation="PutItem"),
                             extended="p99", label=r, why="PutItem latency, ms")
                for r in d.regions]
    if d.consistency != "eventual":
        return []
    return [MetricTarget(src, "AWS/DynamoDB", "ReplicationLatency",
                         _dims(TableName=table, ReceivingRegion=dst), scale=1000,
                         label=f"{src}-to-{dst}", why="MREC replication, ms")
            for src in d.regions for dst in d.regions if src != dst]


def _period(period_s: float, aws: bool) -> int:
    if not aws and period_s in (10, 20, 30):
        return int(period_s)
    return max(60, int(math.ceil(period_s / 60.0)) * 60)


def plan_alarms(b: PlanBuilder) -> None:
    """Add a ``put_metric_alarm`` per study alarm and real metric standing for it."""
    tags = b.tags(role="alarm")
    for alarm in b.study.alarms:
        targets = metric_targets(b, alarm.metric)
        if targets is None:
            b.note(f"alarm {alarm.name}: design kind {b.design.kind} registers no alarms "
                   f"hook, so no CloudWatch metric is known for {alarm.metric}; not planned")
            continue
        if not targets:
            b.note(f"alarm {alarm.name}: {alarm.metric} has no CloudWatch metric on a "
                   f"{b.design.kind} design (no asynchronous follower); not planned")
            continue
        for target in targets:
            period = _period(alarm.period_s, target.aws)
            if period != alarm.period_s:
                b.note(f"alarm {alarm.name}: period {alarm.period_s:g} s -> {period} s "
                       "(CloudWatch periods for this metric)")
            name = f"{b.id()}-{alarm.name}" + (f"-{target.label}" if len(targets) > 1 else "")
            params = {
                "AlarmName": name,
                "AlarmDescription": f"hadrsim alarm {alarm.name}: simulated {alarm.metric} "
                                    f"-> {target.namespace} {target.metric} ({target.why})",
                "Namespace": target.namespace, "MetricName": target.metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in target.dimensions.items()],
                "Period": period, "EvaluationPeriods": alarm.evaluation_periods,
                "Threshold": alarm.threshold * target.scale,
                "ComparisonOperator": alarm.comparison,
                "TreatMissingData": alarm.treat_missing_data, "Tags": tag_list(tags),
            }
            if target.extended:
                params["ExtendedStatistic"] = target.extended
            else:
                params["Statistic"] = target.statistic
            if alarm.datapoints_to_alarm is not None:
                params["DatapointsToAlarm"] = alarm.datapoints_to_alarm
            b.add("cloudwatch", target.region, "put_metric_alarm", params,
                  Resource("cloudwatch:alarm", target.region, name, tags),
                  exists=f"describe_alarms(AlarmNames=[{name}])",
                  purpose=f"alarm {alarm.name}: {target.namespace} {target.metric} "
                          f"{alarm.comparison} {alarm.threshold * target.scale:g}")
