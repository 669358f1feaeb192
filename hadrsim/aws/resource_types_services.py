"""Finding and deleting DynamoDB, Route 53, AWS Backup, CloudWatch and DMS resources.

The counterpart of :mod:`hadrsim.aws.resource_types` for the non-RDS services. Route 53 zones and
health checks are matched by their deterministic ``CallerReference`` (their tags are set
by a separate call, so a half-finished apply leaves them untagged but still ours); a
backup vault holding recovery points is kept, never emptied.
"""

from __future__ import annotations

import time
from typing import Any

from hadrsim.aws.resource_types import (
    Env,
    Found,
    KeptError,
    ResourceType,
    Unresolved,
    absent,
    tag_dict,
)

__all__ = ["SERVICE_TYPES"]


def _dynamo_status(status: str) -> str:
    return {"ACTIVE": "ready", "DELETING": "deleting"}.get(status, "pending")


def _table(env: Env, region: str, name: str) -> dict | None:
    out = absent(lambda: env.client("dynamodb", region).describe_table(TableName=name),
                 "ResourceNotFoundException")
    return out["Table"] if out else None


def _table_tags(env: Env, region: str, arn: str) -> dict[str, str]:
    return tag_dict(env.client("dynamodb", region).list_tags_of_resource(
        ResourceArn=arn).get("Tags"))


class Table(ResourceType):
    service = "dynamodb"

    def find(self, env, res):
        desc = _table(env, res.region, res.identifier)
        if desc is None:
            return None
        return Found(desc, _table_tags(env, res.region, desc["TableArn"]),
                     _dynamo_status(desc["TableStatus"]))

    def delete(self, env, res, found, *, final_snapshot, stamp):
        client, detail = self.client(env, res), "no final backup (--skip-final-snapshot)"
        if final_snapshot:
            name = f"{res.identifier}-final-{stamp}"
            client.create_backup(TableName=res.identifier, BackupName=name)
            detail = f"final on-demand backup {name}"
        client.delete_table(TableName=res.identifier)
        return detail

    def deleted_waiter(self, res):
        return "table_not_exists", {"TableName": res.identifier}


class Replicas(ResourceType):
    service = "dynamodb"

    def find(self, env, res):
        desc = _table(env, res.region, res.attrs["table"])
        if desc is None:
            return None
        replicas = {r["RegionName"]: r.get("ReplicaStatus") for r in desc.get("Replicas", [])}
        if not all(region in replicas for region in res.attrs["regions"]):
            return None
        if res.attrs["strong"] and desc.get("MultiRegionConsistency") != "STRONG":
            return None
        ready = desc["TableStatus"] == "ACTIVE" and all(
            replicas[r] == "ACTIVE" for r in res.attrs["regions"])
        return Found(desc, _table_tags(env, res.region, desc["TableArn"]),
                     "ready" if ready else "pending")

    def delete(self, env, res, found, *, final_snapshot, stamp):
        client, table = self.client(env, res), res.attrs["table"]
        deletes = [{"Delete": {"RegionName": r}} for r in res.attrs["regions"]]
        if res.attrs["strong"]:  # MRSC: replicas and witness leave together
            params: dict[str, Any] = {"TableName": table, "ReplicaUpdates": deletes}
            if res.attrs.get("witness"):
                params["GlobalTableWitnessUpdates"] = [
                    {"Delete": {"RegionName": res.attrs["witness"]}}]
            client.update_table(**params)
        else:
            for delete in deletes:  # one replica change at a time
                client.update_table(TableName=table, ReplicaUpdates=[delete])
        return f"replicas {res.attrs['regions']} removed (their data goes with them)"


class Pitr(ResourceType):
    service, config = "dynamodb", True

    def find(self, env, res):
        out = absent(lambda: self.client(env, res).describe_continuous_backups(
            TableName=res.identifier), "TableNotFoundException", "ResourceNotFoundException")
        pitr = (out or {}).get("ContinuousBackupsDescription", {}).get(
            "PointInTimeRecoveryDescription", {})
        days = pitr.get("RecoveryPeriodInDays", res.attrs["days"])
        if pitr.get("PointInTimeRecoveryStatus") == "ENABLED" and days == res.attrs["days"]:
            return Found(pitr)
        return None


class ReplicaTags(ResourceType):
    service, config = "dynamodb", True

    def find(self, env, res):
        desc = _table(env, res.region, res.attrs["table"])
        if desc is None:
            return None
        tags = _table_tags(env, res.region, desc["TableArn"])
        return Found(desc, tags) if dict(res.tags).items() <= tags.items() else None


class HostedZone(ResourceType):
    service = "route53"

    def find(self, env, res):
        name = res.identifier.rstrip(".") + "."
        zones = [z for z in self.client(env, res).list_hosted_zones_by_name(
            DNSName=name, MaxItems="100")["HostedZones"] if z["Name"] == name]
        if not zones:
            return None
        zones.sort(key=lambda z: z.get("CallerReference") != res.attrs["caller_reference"])
        zone = {**zones[0], "ZoneId": zones[0]["Id"].rsplit("/", 1)[-1]}
        tags = self.client(env, res).list_tags_for_resource(
            ResourceType="hostedzone", ResourceId=zone["ZoneId"])["ResourceTagSet"]["Tags"]
        return Found(zone, tag_dict(tags))

    def owner_problem(self, found, res):
        if found.desc.get("CallerReference") == res.attrs["caller_reference"]:
            return None
        return super().owner_problem(found, res)

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_hosted_zone(Id=found.desc["Id"])
        return "only its NS and SOA records were left"


class HealthCheck(ResourceType):
    service = "route53"

    def find(self, env, res):
        for page in self.client(env, res).get_paginator("list_health_checks").paginate():
            for check in page["HealthChecks"]:
                if check["CallerReference"] == res.attrs["caller_reference"]:
                    tags = self.client(env, res).list_tags_for_resource(
                        ResourceType="healthcheck", ResourceId=check["Id"])
                    return Found(check, tag_dict(tags["ResourceTagSet"]["Tags"]))
        return None

    def owner_problem(self, found, res):
        return None  # found by its CallerReference, which only hadrsim gives this check

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_health_check(HealthCheckId=found.desc["Id"])
        return ""


class Route53Tags(ResourceType):
    service, config = "route53", True

    def find(self, env, res):
        try:
            parent = env.describe(res.attrs["of"]).desc
        except Unresolved:
            return None
        resource_id = parent.get("ZoneId") or parent["Id"]
        tags = tag_dict(self.client(env, res).list_tags_for_resource(
            ResourceType=res.attrs["type"], ResourceId=resource_id)["ResourceTagSet"]["Tags"])
        return Found({"Id": resource_id}, tags) if dict(res.tags).items() <= tags.items() \
            else None


class FailoverRecords(ResourceType):
    service = "route53"

    def find(self, env, res):
        try:
            zone = env.describe(res.attrs["zone"])
        except Unresolved:
            return None
        name = res.attrs["name"].rstrip(".") + "."
        out = self.client(env, res).list_resource_record_sets(
            HostedZoneId=zone.desc["ZoneId"], StartRecordName=name, StartRecordType="CNAME")
        records = [r for r in out["ResourceRecordSets"] if r["Name"] == name
                   and r.get("SetIdentifier") in res.attrs["set_ids"]]
        if len(records) < len(res.attrs["set_ids"]):
            return None
        return Found({"records": records, "ZoneId": zone.desc["ZoneId"]}, zone.tags)

    def owner_problem(self, found, res):
        return None  # they live in this design's zone, already judged

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).change_resource_record_sets(
            HostedZoneId=found.desc["ZoneId"], ChangeBatch={"Changes": [
                {"Action": "DELETE", "ResourceRecordSet": r} for r in found.desc["records"]]})
        return ", ".join(r["SetIdentifier"] for r in found.desc["records"])


class Vault(ResourceType):
    service = "backup"

    def find(self, env, res):
        desc = absent(lambda: self.client(env, res).describe_backup_vault(
            BackupVaultName=res.identifier), "ResourceNotFoundException")
        if desc is None:
            return None
        tags = self.client(env, res).list_tags(ResourceArn=desc["BackupVaultArn"]).get("Tags")
        return Found(desc, dict(tags or {}))

    def delete(self, env, res, found, *, final_snapshot, stamp):
        points = found.desc.get("NumberOfRecoveryPoints", 0)
        if points:
            raise KeptError(f"kept: holds {points} recovery points (delete them by hand)")
        self.client(env, res).delete_backup_vault(BackupVaultName=res.identifier)
        return ""


class BackupPlan(ResourceType):
    service = "backup"

    def find(self, env, res):
        for page in self.client(env, res).get_paginator("list_backup_plans").paginate():
            for plan in page["BackupPlansList"]:
                if plan["BackupPlanName"] == res.identifier:
                    tags = self.client(env, res).list_tags(ResourceArn=plan["BackupPlanArn"])
                    return Found(plan, dict(tags.get("Tags") or {}))
        return None

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_backup_plan(BackupPlanId=found.desc["BackupPlanId"])
        return "recovery points already made stay in the vault"


class BackupSelection(ResourceType):
    service = "backup"

    def find(self, env, res):
        try:
            plan = env.describe(res.attrs["plan"])
        except Unresolved:
            return None
        out = self.client(env, res).list_backup_selections(
            BackupPlanId=plan.desc["BackupPlanId"])
        for selection in out["BackupSelectionsList"]:
            if selection["SelectionName"] == res.identifier:
                return Found(selection, plan.tags)
        return None

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_backup_selection(
            BackupPlanId=found.desc["BackupPlanId"], SelectionId=found.desc["SelectionId"])
        return ""


class Alarm(ResourceType):
    service = "cloudwatch"

    def find(self, env, res):
        alarms = self.client(env, res).describe_alarms(AlarmNames=[res.identifier])
        if not alarms["MetricAlarms"]:
            return None
        desc = alarms["MetricAlarms"][0]
        tags = self.client(env, res).list_tags_for_resource(ResourceARN=desc["AlarmArn"])
        return Found(desc, tag_dict(tags.get("Tags")))

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_alarms(AlarmNames=[res.identifier])
        return ""


class _Dms(ResourceType):
    """DMS types are polled until gone: a describe may answer [] or ResourceNotFoundFault."""

    service = "dms"
    describe, list_key, filter_name, arn_key, status_key = "", "", "", "", ""
    ready_status = "available"

    def find(self, env, res):
        client = self.client(env, res)
        out = absent(lambda: getattr(client, self.describe)(
            Filters=[{"Name": self.filter_name, "Values": [res.identifier]}]),
            "ResourceNotFoundFault")
        items = (out or {}).get(self.list_key, [])
        if not items:
            return None
        desc = items[0]
        tags = client.list_tags_for_resource(ResourceArn=desc[self.arn_key]).get("TagList")
        status = desc.get(self.status_key, "")
        state = ("ready" if status in (self.ready_status, "active")
                 else "deleting" if status == "deleting" else "pending")
        return Found(desc, tag_dict(tags), state)


class DmsInstance(_Dms):
    describe, list_key = "describe_replication_instances", "ReplicationInstances"
    filter_name, arn_key = "replication-instance-id", "ReplicationInstanceArn"
    status_key = "ReplicationInstanceStatus"

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_replication_instance(
            ReplicationInstanceArn=found.desc[self.arn_key])
        return ""



class DmsEndpoint(_Dms):
    describe, list_key, filter_name = "describe_endpoints", "Endpoints", "endpoint-id"
    arn_key, status_key = "EndpointArn", "Status"

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_endpoint(EndpointArn=found.desc[self.arn_key])
        return ""



class DmsTask(_Dms):
    describe, list_key = "describe_replication_tasks", "ReplicationTasks"
    filter_name, arn_key, status_key = "replication-task-id", "ReplicationTaskArn", "Status"
    ready_status = "ready"

    def delete(self, env, res, found, *, final_snapshot, stamp):
        client, arn = self.client(env, res), found.desc[self.arn_key]
        if found.desc.get("Status") == "running":
            client.stop_replication_task(ReplicationTaskArn=arn)
            for _ in range(120):  # a running task must stop before it can go
                time.sleep(1 if env.ctx.endpoint_url else 15)
                if self.find(env, res).desc.get("Status") == "stopped":
                    break
        client.delete_replication_task(ReplicationTaskArn=arn)
        return ""



SERVICE_TYPES: dict[str, ResourceType] = {
    "dynamodb:table": Table(), "dynamodb:replicas": Replicas(), "dynamodb:pitr": Pitr(),
    "dynamodb:replica-tags": ReplicaTags(), "route53:hosted-zone": HostedZone(),
    "route53:health-check": HealthCheck(), "route53:tags": Route53Tags(),
    "route53:failover-records": FailoverRecords(), "backup:vault": Vault(),
    "backup:plan": BackupPlan(), "backup:selection": BackupSelection(),
    "cloudwatch:alarm": Alarm(), "dms:replication-instance": DmsInstance(),
    "dms:endpoint": DmsEndpoint(), "dms:replication-task": DmsTask(),
}
