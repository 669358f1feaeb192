"""A DMS full-load-and-CDC migration into a design's writer, as calls.

The study has no DMS section, so ``plan --dms-source-url URL`` adds one: a replication
instance, a source endpoint from the URL (engine from the scheme, database from the
path), a target endpoint on the design's writer and a ``full-load-and-cdc`` task with
validation on (the simulator's DMS model validates too). Credentials never come from the
URL or the study file: a URL with a password is refused, and both endpoints authenticate
with Secrets Manager secrets (``SecretsManagerSecretId`` + ``SecretsManagerAccessRoleArn``).
DMS needs host and port in the secret and cannot use RDS-managed master secrets (DMS user
guide, "Using secrets to access AWS DMS endpoints"), so the target takes its own secret:
create a migration user on the writer and a secret holding its host, port, user and
password. A DynamoDB target needs only the role. The task is created, not started.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from hadrsim.aws.naming import tag_list
from hadrsim.aws.plan import DEFAULTS, PlanBuilder, PlanError, Ref, Resource, Wait
from hadrsim.spec.kinds import engine_of

__all__ = ["DmsSource", "parse_source", "plan_migration"]

# URL scheme (SQLAlchemy style, driver after '+') -> DMS EngineName, default port, settings
_ENGINES = {
    "postgresql": ("postgres", 5432, "PostgreSQLSettings"),
    "postgres": ("postgres", 5432, "PostgreSQLSettings"),
    "mysql": ("mysql", 3306, "MySQLSettings"),
    "mariadb": ("mariadb", 3306, "MySQLSettings"),
    "oracle": ("oracle", 1521, "OracleSettings"),
    "mssql": ("sqlserver", 1433, "MicrosoftSQLServerSettings"),
    "sqlserver": ("sqlserver", 1433, "MicrosoftSQLServerSettings"),
    "db2": ("db2", 50000, "IBMDb2Settings"),
}
_ROLE_ONLY_TARGETS = {"dynamodb"}  # target engines DMS reaches with its role, no secret
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/.+")


@dataclass(frozen=True)
class DmsSource:
    """Where DMS reads from and which secrets and role it uses (no password anywhere)."""

    engine: str
    settings_key: str
    host: str
    port: int
    database: str
    secret: str
    role: str
    target_secret: str | None


def parse_source(url: str, secret: str | None, target_secret: str | None, role: str | None,
                 design) -> DmsSource:
    """Validate the DMS options; errors never repeat the URL (it might carry a password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise PlanError("--dms-source-url: not a URL like postgresql://host:5432/dbname") from None
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme not in _ENGINES:
        raise PlanError(f"--dms-source-url: scheme {scheme!r} is not a DMS source engine; "
                        f"use one of {sorted(_ENGINES)}")
    if parts.password is not None:
        raise PlanError("--dms-source-url: remove the password from the URL; DMS reads "
                        "credentials from the --dms-source-secret secret")
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise PlanError("--dms-source-url: give host and database, e.g. "
                        "postgresql://db.example.com:5432/shop")
    if secret is None or not _SECRET_ARN.fullmatch(secret):
        raise PlanError("--dms-source-secret: give the ARN of a Secrets Manager secret holding "
                        "the source's host, port, username and password")
    if role is None or not _ROLE_ARN.fullmatch(role):
        raise PlanError("--dms-role: give the ARN of the IAM role DMS assumes to read the "
                        "secrets (and to write DynamoDB)")
    if engine_of(design) not in _ROLE_ONLY_TARGETS and (
            target_secret is None or not _SECRET_ARN.fullmatch(target_secret)):
        raise PlanError("--dms-target-secret: give the ARN of a secret with the writer's host, "
                        "port, migration user and password (DMS cannot use RDS-managed secrets)")
    engine, default_port, settings = _ENGINES[scheme]
    return DmsSource(engine=engine, settings_key=settings, host=parts.hostname,
                     port=port or default_port, database=database, secret=secret, role=role,
                     target_secret=target_secret)


def plan_migration(b: PlanBuilder, src: DmsSource) -> None:
    """Add the replication instance, both endpoints and the task."""
    writer, region = b.writer, b.writer["region"]
    tags = b.tags(role="migration")
    ri_id, src_id, tgt_id, task_id = (b.id(s) for s in ("dms", "dms-source", "dms-target",
                                                        "dms-task"))
    instance = b.add("dms", region, "create_replication_instance",
                     {"ReplicationInstanceIdentifier": ri_id,
                      "ReplicationInstanceClass": DEFAULTS["dms_instance_class"],
                      "AllocatedStorage": DEFAULTS["dms_storage_gb"], "MultiAZ": False,
                      "PubliclyAccessible": False, "Tags": tag_list(tags)},
                     Resource("dms:replication-instance", region, ri_id, tags),
                     exists=f"describe_replication_instances(replication-instance-id={ri_id})",
                     purpose=f"DMS replication instance {DEFAULTS['dms_instance_class']}",
                     wait=Wait("replication_instance_available", {"Filters": [
                         {"Name": "replication-instance-id", "Values": [ri_id]}]}))
    source = b.add("dms", region, "create_endpoint",
                   {"EndpointIdentifier": src_id, "EndpointType": "source",
                    "EngineName": src.engine, "DatabaseName": src.database, "SslMode": "require",
                    src.settings_key: {"SecretsManagerSecretId": src.secret,
                                       "SecretsManagerAccessRoleArn": src.role,
                                       "DatabaseName": src.database},
                    "Tags": tag_list(tags)},
                   Resource("dms:endpoint", region, src_id, tags),
                   exists=f"describe_endpoints(endpoint-id={src_id})",
                   purpose=f"source: {src.engine} {src.host}:{src.port}/{src.database} "
                           "(credentials from the source secret)")
    b.note(f"DMS source: the secret {src.secret} must hold host {src.host} and port {src.port} "
           "(DMS takes either a secret or clear-text connection fields, not both)")
    if writer["engine"] == "dynamodb":
        target_params = {"EngineName": "dynamodb",
                         "DynamoDbSettings": {"ServiceAccessRoleArn": src.role}}
        where = f"DynamoDB table {writer['id']} ({region})"
    else:
        target_params = {"EngineName": writer["engine"], "DatabaseName": "postgres",
                         "SslMode": "require",
                         "PostgreSQLSettings": {"SecretsManagerSecretId": src.target_secret,
                                                "SecretsManagerAccessRoleArn": src.role,
                                                "DatabaseName": "postgres"}}
        where = f"writer {writer['id']} (database postgres)"
        b.note(f"DMS target: the secret {src.target_secret} must hold the writer's endpoint "
               f"(apply prints it) and port {DEFAULTS['port']}")
    target = b.add("dms", region, "create_endpoint",
                   {"EndpointIdentifier": tgt_id, "EndpointType": "target", **target_params,
                    "Tags": tag_list(tags)},
                   Resource("dms:endpoint", region, tgt_id, tags),
                   exists=f"describe_endpoints(endpoint-id={tgt_id})",
                   purpose=f"target: {where}", after=(writer["key"],))
    mappings = {"rules": [{"rule-type": "selection", "rule-id": "1", "rule-name": "everything",
                           "object-locator": {"schema-name": "%", "table-name": "%"},
                           "rule-action": "include"}]}
    settings = {"ValidationSettings": {"EnableValidation": True, "ThreadCount": 5},
                "Logging": {"EnableLogging": True}}
    b.add("dms", region, "create_replication_task",
          {"ReplicationTaskIdentifier": task_id, "MigrationType": "full-load-and-cdc",
           "ReplicationInstanceArn": Ref(instance, "ReplicationInstanceArn"),
           "SourceEndpointArn": Ref(source, "EndpointArn"),
           "TargetEndpointArn": Ref(target, "EndpointArn"),
           "TableMappings": json.dumps(mappings), "ReplicationTaskSettings": json.dumps(settings),
           "Tags": tag_list(tags)},
          Resource("dms:replication-task", region, task_id, tags),
          exists=f"describe_replication_tasks(replication-task-id={task_id})",
          purpose="full load then CDC, with validation (created, not started)",
          wait=Wait("replication_task_ready", {"Filters": [
              {"Name": "replication-task-id", "Values": [task_id]}]}))
    b.note("DMS task: test both endpoints (test_connection), then start_replication_task")
