"""How apply and destroy find, judge and delete each type of resource a plan makes.

A plan's :class:`~hadrsim.aws.plan.Resource` names its AWS resource type in ``kind``
("rds:db-instance", "dynamodb:replicas", ...; not a *design* kind, which
:mod:`hadrsim.spec.kinds` registers). Each type knows its describe call (``find``: the resource's
description, tags and readiness, or None when absent), whether a found resource is this
design's (the ``hadrsim:study`` / ``hadrsim:design`` tags; a few types whose tags an
endpoint may not keep also accept their deterministic idempotency token), and how to
delete it safely (``delete``: final snapshots unless told otherwise). :class:`Env`
resolves a plan's placeholders against what exists, finding resources on demand.
RDS, Secrets Manager and KMS types are here; the other services in
``resource_types_services``.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from hadrsim.aws.plan import GeneratedPassword, Plan, Ref, Resource, SecretField, Template
from hadrsim.aws.session import AwsContext

__all__ = ["Env", "Found", "KeptError", "NotApplied", "ResourceType", "Unresolved",
           "type_of"]


@dataclass
class Found:
    """A resource as described by AWS: its description, tags and state."""

    desc: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "ready"  # ready | pending | deleting


class Unresolved(Exception):
    """A placeholder names a resource that does not exist (skipped or not made yet)."""


class KeptError(Exception):
    """A resource destroy leaves in place on purpose (it still holds data)."""


class NotApplied(Exception):
    """The endpoint accepted a call without effect (only raised with allow_unimplemented)."""


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def absent(call, *codes: str):
    """``call()``, or None when AWS answers with one of ``codes`` (not found)."""
    try:
        return call()
    except ClientError as exc:
        if error_code(exc) in codes:
            return None
        raise


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


class Env:
    """What apply and destroy share: the context, the plan, and descriptions found so far."""

    def __init__(self, ctx: AwsContext, plan: Plan, account: str | None = None, *,
                 allow_unimplemented: bool = False) -> None:
        self.ctx, self.plan, self.account = ctx, plan, account
        self.allow_unimplemented = allow_unimplemented
        self.found: dict[str, Found] = {}
        self.secrets: set[str] = set()  # values to scrub from any message

    def client(self, service: str, region: str) -> Any:
        return self.ctx.client(service, region)

    def describe(self, key: str) -> Found:
        """The resource ``key`` of the plan as it exists now (cached); Unresolved if absent."""
        if key not in self.found:
            resource = self.plan.call_for(key).resource
            found = type_of(resource).find(self, resource)
            if found is None:
                raise Unresolved(key)
            self.found[key] = found
        return self.found[key]

    def resolve(self, value: Any, response: dict | None = None) -> Any:
        """Placeholders replaced by real values (secrets stay in memory only)."""
        if isinstance(value, Ref):
            if value.key == "account":
                return self.account
            if value.key == "@response":
                return dig(response or {}, value.path)
            try:
                return dig(self.describe(value.key).desc, value.path)
            except (KeyError, IndexError, TypeError):
                raise Unresolved(f"{value.key} has no {value.path}") from None
        if isinstance(value, Template):
            return value.text.replace("{account}", self.account or "")
        if isinstance(value, GeneratedPassword):
            password = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
            self.secrets.add(password)
            return json.dumps({"username": value.username, "password": password,
                               "engine": value.engine})
        if isinstance(value, SecretField):
            secret = self.describe(value.key)
            region = self.plan.call_for(value.key).region
            text = self.client("secretsmanager", region).get_secret_value(
                SecretId=secret.desc["ARN"])["SecretString"]
            field_value = json.loads(text)[value.field]
            self.secrets.add(field_value)
            return field_value
        if isinstance(value, dict):
            return {k: self.resolve(v, response) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.resolve(v, response) for v in value]
        return value

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class ResourceType:
    """Finding, owning and deleting one type of resource (subclasses override)."""

    service = ""
    config = False  # configures a resource another step made (tags, PITR): never deleted
    not_found: tuple[str, ...] = ()

    def find(self, env: Env, res: Resource) -> Found | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def owner_problem(self, found: Found, res: Resource) -> str | None:
        """None when ``found`` is this design's; else why it is not."""
        if self.config:
            return None
        study, design = found.tags.get("hadrsim:study"), found.tags.get("hadrsim:design")
        if (study, design) == (res.tags.get("hadrsim:study"), res.tags.get("hadrsim:design")):
            return None
        if study or design:
            return f"it belongs to hadrsim study {study!r} design {design!r}"
        return "it exists without hadrsim tags (not made by hadrsim for this design)"

    def delete(self, env: Env, res: Resource, found: Found, *, final_snapshot: bool,
               stamp: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def deleted_waiter(self, res: Resource) -> tuple[str, dict] | None:
        return None

    def client(self, env: Env, res: Resource) -> Any:
        return env.client(self.service, res.region)


def _rds_status(status: str) -> str:
    if status == "available":
        return "ready"
    return "deleting" if status == "deleting" else "pending"


class DbInstance(ResourceType):
    service = "rds"

    def find(self, env, res):
        out = absent(lambda: self.client(env, res).describe_db_instances(
            DBInstanceIdentifier=res.identifier), "DBInstanceNotFound", "DBInstanceNotFoundFault")
        if not out or not out["DBInstances"]:
            return None
        desc = out["DBInstances"][0]
        return Found(desc, tag_dict(desc.get("TagList")), _rds_status(desc["DBInstanceStatus"]))

    def delete(self, env, res, found, *, final_snapshot, stamp):
        params: dict[str, Any] = {"DBInstanceIdentifier": res.identifier}
        if res.attrs.get("role") == "replica" or res.attrs.get("cluster"):
            params["SkipFinalSnapshot"] = True  # replicas and cluster members hold no own data
            detail = "no snapshot (" + ("replica)" if res.attrs.get("role") == "replica"
                                        else "the cluster keeps the data)")
        elif final_snapshot:
            params["FinalDBSnapshotIdentifier"] = f"{res.identifier}-final-{stamp}"[:255]
            detail = f"final snapshot {params['FinalDBSnapshotIdentifier']}"
        else:
            params["SkipFinalSnapshot"] = True
            detail = "no final snapshot (--skip-final-snapshot)"
        self.client(env, res).delete_db_instance(**params)
        return detail

    def deleted_waiter(self, res):
        return "db_instance_deleted", {"DBInstanceIdentifier": res.identifier}


def _global_members(env: Env, region: str, global_id: str) -> list[dict] | None:
    out = absent(lambda: env.client("rds", region).describe_global_clusters(
        GlobalClusterIdentifier=global_id), "GlobalClusterNotFoundFault")
    for cluster in (out or {}).get("GlobalClusters", []):
        if cluster["GlobalClusterIdentifier"] == global_id:  # some endpoints ignore the filter
            return cluster.get("GlobalClusterMembers", [])
    return None


def _is_member(env: Env, region: str, global_id: str, arn: str) -> bool:
    return any(m["DBClusterArn"] == arn for m in _global_members(env, region, global_id) or [])


def _wait_detached(env: Env, region: str, global_id: str, arn: str) -> None:
    """Detaching takes a while on AWS; the cluster cannot be deleted before it is done."""
    delay, tries = (1.0, 60) if env.ctx.endpoint_url else (15.0, 240)
    for _ in range(tries):
        if not _is_member(env, region, global_id, arn):
            return
        time.sleep(delay)
    raise TimeoutError(f"{arn} still in {global_id}")


class DbCluster(ResourceType):
    service = "rds"

    def find(self, env, res):
        out = absent(lambda: self.client(env, res).describe_db_clusters(
            DBClusterIdentifier=res.identifier), "DBClusterNotFoundFault")
        if not out or not out["DBClusters"]:
            return None
        desc = out["DBClusters"][0]
        return Found(desc, tag_dict(desc.get("TagList")), _rds_status(desc["Status"]))

    def delete(self, env, res, found, *, final_snapshot, stamp):
        client, notes = self.client(env, res), []
        global_id, arn = res.attrs.get("global"), found.desc["DBClusterArn"]
        if global_id and _is_member(env, res.region, global_id, arn):
            client.remove_from_global_cluster(GlobalClusterIdentifier=global_id,
                                              DbClusterIdentifier=arn)
            if _is_member(env, res.region, global_id, arn) and env.allow_unimplemented \
                    and env.ctx.endpoint_url:
                notes.append(f"detach from {global_id} not applied by this endpoint")
            else:
                _wait_detached(env, res.region, global_id, arn)
                notes.append(f"detached from {global_id}")
        params: dict[str, Any] = {"DBClusterIdentifier": res.identifier}
        if final_snapshot and res.attrs.get("role") == "primary":
            params["FinalDBSnapshotIdentifier"] = f"{res.identifier}-final-{stamp}"[:255]
            notes.append(f"final snapshot {params['FinalDBSnapshotIdentifier']}")
        else:
            params["SkipFinalSnapshot"] = True
            notes.append("no final snapshot" + (" (secondary: the primary's has the data)"
                                                if res.attrs.get("role") == "secondary" else ""))
        client.delete_db_cluster(**params)
        return "; ".join(notes)

    def deleted_waiter(self, res):
        return "db_cluster_deleted", {"DBClusterIdentifier": res.identifier}


class GlobalCluster(ResourceType):
    service = "rds"

    def find(self, env, res):
        out = absent(lambda: self.client(env, res).describe_global_clusters(
            GlobalClusterIdentifier=res.identifier), "GlobalClusterNotFoundFault")
        for desc in (out or {}).get("GlobalClusters", []):
            if desc["GlobalClusterIdentifier"] == res.identifier:
                return Found(desc, tag_dict(desc.get("TagList")),
                             _rds_status(desc.get("Status", "available")))
        return None

    def owner_problem(self, found, res):
        problem = super().owner_problem(found, res)
        if problem and not any(k.startswith("hadrsim:") for k in found.tags):
            # endpoints that drop a global cluster's tags: judge it by its members instead
            ours = set(res.attrs.get("members", []))
            members = [m["DBClusterArn"].rsplit(":", 1)[-1]
                       for m in found.desc.get("GlobalClusterMembers", [])]
            if set(members) <= ours:
                return None
        return problem

    def delete(self, env, res, found, *, final_snapshot, stamp):
        stale = [m["DBClusterArn"] for m in found.desc.get("GlobalClusterMembers", [])
                 if not _cluster_exists(env, m["DBClusterArn"])]
        if stale and env.allow_unimplemented and env.ctx.endpoint_url:
            raise NotApplied(f"it still lists deleted clusters {stale} as members (it ignored "
                             "remove_from_global_cluster), so the global cluster stays")
        self.client(env, res).delete_global_cluster(GlobalClusterIdentifier=res.identifier)
        return "members were deleted first"


def _cluster_exists(env: Env, arn: str) -> bool:
    region, name = arn.split(":")[3], arn.rsplit(":", 1)[-1]
    out = absent(lambda: env.client("rds", region).describe_db_clusters(
        DBClusterIdentifier=name), "DBClusterNotFoundFault")
    return bool(out and out["DBClusters"])


class ClusterParameterGroup(ResourceType):
    service = "rds"

    def find(self, env, res):
        client = self.client(env, res)
        out = absent(lambda: client.describe_db_cluster_parameter_groups(
            DBClusterParameterGroupName=res.identifier), "DBParameterGroupNotFound",
            "DBParameterGroupNotFoundFault")
        if not out or not out["DBClusterParameterGroups"]:
            return None
        desc = out["DBClusterParameterGroups"][0]
        tags = client.list_tags_for_resource(ResourceName=desc["DBClusterParameterGroupArn"])
        return Found(desc, tag_dict(tags.get("TagList")))

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).delete_db_cluster_parameter_group(
            DBClusterParameterGroupName=res.identifier)
        return ""


class ClusterParameter(ResourceType):
    service, config = "rds", True

    def find(self, env, res):
        pages = self.client(env, res).get_paginator("describe_db_cluster_parameters").paginate(
            DBClusterParameterGroupName=res.attrs["group"])
        for page in pages:
            for param in page.get("Parameters", []):
                if (param["ParameterName"] == res.attrs["name"]
                        and param.get("ParameterValue") == res.attrs["value"]):
                    return Found(param)
        return None


class AutomatedBackupReplication(ResourceType):
    service, config = "rds", False

    def find(self, env, res):
        out = absent(lambda: self.client(env, res).describe_db_instance_automated_backups(
            DBInstanceIdentifier=res.attrs["source"]), "DBInstanceAutomatedBackupNotFound",
            "DBInstanceAutomatedBackupNotFoundFault")
        backups = [b for b in (out or {}).get("DBInstanceAutomatedBackups", [])
                   if b.get("Region") in (None, res.attrs["source_region"])]
        return Found(backups[0], dict(res.tags)) if backups else None

    def delete(self, env, res, found, *, final_snapshot, stamp):
        self.client(env, res).stop_db_instance_automated_backups_replication(
            SourceDBInstanceArn=found.desc["DBInstanceArn"])
        return "replicated backups stop; those already copied expire with their retention"


class Secret(ResourceType):
    service = "secretsmanager"

    def find(self, env, res):
        desc = absent(lambda: self.client(env, res).describe_secret(SecretId=res.identifier),
                      "ResourceNotFoundException")
        if desc is None:
            return None
        return Found(desc, tag_dict(desc.get("Tags")),
                     "deleting" if desc.get("DeletedDate") else "ready")

    def delete(self, env, res, found, *, final_snapshot, stamp):
        client = self.client(env, res)
        replicas = [r["Region"] for r in found.desc.get("ReplicationStatus", [])]
        if replicas:
            client.remove_regions_from_replication(SecretId=res.identifier,
                                                   RemoveReplicaRegions=replicas)
        # no recovery window: the database is gone, and a restored snapshot's password is
        # reset with modify_db_instance (ManageMasterUserPassword) when it is restored
        client.delete_secret(SecretId=res.identifier, ForceDeleteWithoutRecovery=True)
        return "deleted now with its replicas" if replicas else "deleted now"


class KmsKey(ResourceType):
    service, config = "kms", True

    def find(self, env, res):
        out = absent(lambda: self.client(env, res).describe_key(KeyId=res.identifier),
                     "NotFoundException")
        return Found(out) if out else None


_TYPES: dict[str, ResourceType] = {
    "rds:db-instance": DbInstance(), "rds:db-cluster": DbCluster(),
    "rds:global-cluster": GlobalCluster(), "rds:cluster-parameter-group": ClusterParameterGroup(),
    "rds:cluster-parameter": ClusterParameter(),
    "rds:automated-backup-replication": AutomatedBackupReplication(),
    "secretsmanager:secret": Secret(), "kms:key": KmsKey(),
}


def type_of(res: Resource) -> ResourceType:
    """The resource type object for ``res`` (every type a plan can name is registered)."""
    if not _TYPES.get("dynamodb:table"):
        from hadrsim.aws.resource_types_services import SERVICE_TYPES

        _TYPES.update(SERVICE_TYPES)
    return _TYPES[res.kind]
