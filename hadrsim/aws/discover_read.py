"""Reading an existing deployment: describe/list calls into a plain inventory.

Everything is read with paginators where AWS pages, Region by Region: RDS DB instances
(read replicas both ways: ``ReadReplicaSourceDBInstanceIdentifier`` and
``ReadReplicaDBInstanceIdentifiers``), DB clusters and their members (writer, promotion
tiers), global clusters, DynamoDB tables (``Replicas``, multi-Region consistency,
witnesses, PITR from ``DescribeContinuousBackups``), Route 53 failover records and their
health checks, AWS Backup plans and selections, and each Region's AZs. The inventory is
plain data (JSON-ready) so that building a study from it is a pure function
(:mod:`hadrsim.aws.discover_build`) that tests can feed directly.

Backup selections are optional: if they cannot be read (permissions, or an endpoint that
does not implement the call) the plan is kept with no selection and a warning says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.config import Config

from hadrsim.aws.session import AwsError, aws_errors

if TYPE_CHECKING:
    from hadrsim.aws.session import AwsContext

__all__ = ["read_inventory"]

# An optional call is tried twice, not the context's 8 adaptive attempts: a call the
# endpoint does not implement (HTTP 500) must not stall discovery for a minute.
_OPTIONAL = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)


def _tags(tag_list: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tag_list or []}


def _pages(client, operation: str, key: str, **kwargs) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out += page.get(key, [])
    return out


def _region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def _instances(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    out = []
    for db in _pages(ctx.client("rds", region), "describe_db_instances", "DBInstances"):
        out.append({
            "region": region, "id": db["DBInstanceIdentifier"], "arn": db.get("DBInstanceArn"),
            "instance_class": db.get("DBInstanceClass"), "engine": db.get("Engine", ""),
            "az": db.get("AvailabilityZone"), "secondary_az": db.get("SecondaryAvailabilityZone"),
            "multi_az": bool(db.get("MultiAZ")), "storage_gb": db.get("AllocatedStorage"),
            "retention_days": db.get("BackupRetentionPeriod", 0),
            "cluster": db.get("DBClusterIdentifier"),
            "source": db.get("ReadReplicaSourceDBInstanceIdentifier"),
            "replicas": list(db.get("ReadReplicaDBInstanceIdentifiers") or []),
            "promotion_tier": db.get("PromotionTier"),
            "endpoint": (db.get("Endpoint") or {}).get("Address"),
            "backup_copies": [_region_of_arn(r["DBInstanceAutomatedBackupsArn"])
                              for r in db.get("DBInstanceAutomatedBackupsReplications") or []
                              if r.get("DBInstanceAutomatedBackupsArn")],
            "tags": _tags(db.get("TagList")),
        })
    return out


def _clusters(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    out = []
    for cl in _pages(ctx.client("rds", region), "describe_db_clusters", "DBClusters"):
        out.append({
            "region": region, "id": cl["DBClusterIdentifier"], "arn": cl.get("DBClusterArn"),
            "engine": cl.get("Engine", ""), "azs": list(cl.get("AvailabilityZones") or []),
            "retention_days": cl.get("BackupRetentionPeriod", 1),
            "instance_class": cl.get("DBClusterInstanceClass"),
            "storage_gb": cl.get("AllocatedStorage"),
            "members": [{"id": m["DBInstanceIdentifier"], "writer": bool(m.get("IsClusterWriter")),
                         "tier": m.get("PromotionTier")}
                        for m in cl.get("DBClusterMembers") or []],
            "endpoint": cl.get("Endpoint"), "tags": _tags(cl.get("TagList")),
        })
    return out


def _global_clusters(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    return [{"id": g["GlobalClusterIdentifier"],
             "members": [{"arn": m["DBClusterArn"], "writer": bool(m.get("IsWriter"))}
                         for m in g.get("GlobalClusterMembers") or []]}
            for g in _pages(ctx.client("rds", region), "describe_global_clusters",
                            "GlobalClusters")]


def _tables(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    client = ctx.client("dynamodb", region)
    out = []
    for name in _pages(client, "list_tables", "TableNames"):
        table = client.describe_table(TableName=name)["Table"]
        pitr = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        recovery = pitr.get("PointInTimeRecoveryDescription") or {}
        enabled = recovery.get("PointInTimeRecoveryStatus") == "ENABLED"
        arn = table["TableArn"]
        out.append({
            "region": region, "name": name, "arn": arn,
            "replicas": [r["RegionName"] for r in table.get("Replicas") or []],
            "consistency": table.get("MultiRegionConsistency") or "EVENTUAL",
            "witnesses": [w["RegionName"] for w in table.get("GlobalTableWitnesses") or []],
            "pitr_days": (recovery.get("RecoveryPeriodInDays") or 35) if enabled else 0,
            "size_bytes": table.get("TableSizeBytes", 0),
            "tags": _tags(_pages(client, "list_tags_of_resource", "Tags", ResourceArn=arn)),
        })
    return out


def _failover_records(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    """Route 53 PRIMARY/SECONDARY record pairs with the primary's health check."""
    client = ctx.client("route53", region)
    out = []
    for zone in _pages(client, "list_hosted_zones", "HostedZones"):
        records = _pages(client, "list_resource_record_sets", "ResourceRecordSets",
                         HostedZoneId=zone["Id"])
        pairs: dict[tuple[str, str], dict[str, Any]] = {}
        for record in records:
            role = record.get("Failover")
            if role not in ("PRIMARY", "SECONDARY"):
                continue
            values = [v["Value"] for v in record.get("ResourceRecords") or []]
            alias = (record.get("AliasTarget") or {}).get("DNSName")
            pair = pairs.setdefault((record["Name"], record["Type"]),
                                    {"zone": zone["Name"], "name": record["Name"]})
            pair[role.lower()] = (values or [alias or ""])[0].rstrip(".")
            if role == "PRIMARY":
                pair["ttl_s"] = record.get("TTL")
                pair["health_check"] = record.get("HealthCheckId")
        for pair in pairs.values():
            check = pair.pop("health_check", None)
            if check:
                config = client.get_health_check(HealthCheckId=check)["HealthCheck"][
                    "HealthCheckConfig"]
                pair["interval_s"] = config.get("RequestInterval")
                pair["failure_threshold"] = config.get("FailureThreshold")
            if "primary" in pair and "secondary" in pair:
                out.append(pair)
    return out


def _backup_plans(ctx: AwsContext, region: str, warnings: list[str]) -> list[dict[str, Any]]:
    client = ctx.client("backup", region)
    optional = ctx.session.client("backup", region_name=region, endpoint_url=ctx.endpoint_url,
                                  config=ctx.config.merge(_OPTIONAL))
    out = []
    for summary in _pages(client, "list_backup_plans", "BackupPlansList"):
        plan_id = summary["BackupPlanId"]
        plan = client.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]
        selections: list[dict[str, Any]] | None = []
        try:
            with aws_errors():
                for item in _pages(optional, "list_backup_selections",
                                   "BackupSelectionsList", BackupPlanId=plan_id):
                    chosen = optional.get_backup_selection(
                        BackupPlanId=plan_id, SelectionId=item["SelectionId"])["BackupSelection"]
                    selections.append({
                        "resources": list(chosen.get("Resources") or []),
                        "tags": {c["ConditionKey"]: c["ConditionValue"]
                                 for c in chosen.get("ListOfTags") or []
                                 if c.get("ConditionType", "STRINGEQUALS") == "STRINGEQUALS"}})
        except AwsError as exc:
            reason = " ".join(str(exc).split()).split("<", 1)[0].rstrip(": ")  # no HTML pages
            warnings.append(f"backup plan {plan['BackupPlanName']} ({region}): its selections "
                            f"could not be read ({reason}); it protects no design here")
            selections = None
        out.append({"region": region, "name": plan["BackupPlanName"],
                    "arn": summary.get("BackupPlanArn", ""), "rules": plan.get("Rules") or [],
                    "selections": selections})
    return out


def _azs(ctx: AwsContext, region: str) -> list[str]:
    zones = ctx.client("ec2", region).describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
    return sorted(z["ZoneName"] for z in zones
                  if z.get("ZoneType", "availability-zone") == "availability-zone")


def read_inventory(ctx: AwsContext, regions: list[str]) -> dict[str, Any]:
    """Everything discover needs from ``regions``, as plain data; AwsError on failure."""
    inventory: dict[str, Any] = {
        "regions": {}, "instances": [], "clusters": [], "global_clusters": [],
        "tables": [], "failover_records": [], "backup_plans": [], "warnings": []}
    seen_globals: set[str] = set()
    for region in regions:
        with aws_errors(f"discovering {region}"):
            inventory["regions"][region] = _azs(ctx, region)
            inventory["instances"] += _instances(ctx, region)
            inventory["clusters"] += _clusters(ctx, region)
            for glob in _global_clusters(ctx, region):
                if glob["id"] not in seen_globals:
                    seen_globals.add(glob["id"])
                    inventory["global_clusters"].append(glob)
            inventory["tables"] += _tables(ctx, region)
            inventory["backup_plans"] += _backup_plans(ctx, region, inventory["warnings"])
    with aws_errors("discovering Route 53 failover records"):
        inventory["failover_records"] = _failover_records(ctx, regions[0])
    return inventory


def read_azs(ctx: AwsContext, region: str) -> list[str] | None:
    """AZs of a Region that was not scanned but is referenced (a replica's); None if
    the Region cannot be read (not enabled, no permission)."""
    try:
        with aws_errors():
            return _azs(ctx, region)
    except AwsError:
        return None
