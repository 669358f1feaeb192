"""A DynamoDB global table as calls (global tables version 2019.11.21).

The table is created in the design's first Region (on-demand, key ``pk``), then replicas
are added with ``update_table(ReplicaUpdates=[{"Create": ...}])``. Multi-Region eventual
consistency (MREC, the default): one replica per call, each waited until ACTIVE, as AWS
allows one replica change at a time. Multi-Region strong consistency (MRSC): one call
with every replica (and the witness Region, ``GlobalTableWitnessUpdates``) and
``MultiRegionConsistency="STRONG"``, as AWS requires for MRSC. ``pitr_retention_days``
-> ``update_continuous_backups`` (``RecoveryPeriodInDays``). Replicas do not inherit
tags, so each is tagged in its own Region (``hadrsim:node`` = ``<design>-<region>``).
"""

from __future__ import annotations

from hadrsim.aws.naming import tag_list
from hadrsim.aws.plan import PlanBuilder, Resource, Template, Wait
from hadrsim.spec.dynamodb import DynamoDbGlobalTable

__all__ = ["plan_table"]


def plan_table(b: PlanBuilder, d: DynamoDbGlobalTable) -> None:
    """``plan`` hook of ``dynamodb_global_table``: the table, its replicas, PITR and replica
    tags; sets ``b.writer`` and ``b.backup_arn``."""
    regions = list(d.regions)
    home, name = regions[0], b.id()
    tags = b.tags(node=f"{d.name}-{home}", role="replica")
    table = b.add("dynamodb", home, "create_table",
                  {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                   "DeletionProtectionEnabled": False, "Tags": tag_list(tags)},
                  Resource("dynamodb:table", home, name, tags, {"nodes": [f"{d.name}-{home}"]}),
                  exists=f"describe_table(TableName={name})",
                  purpose=f"table {name} in {home} (on-demand, key pk)",
                  wait=Wait("table_exists", {"TableName": name}))
    b.writer = {"key": table, "address": None, "port": None, "engine": "dynamodb",
                "region": home, "id": name}
    b.backup_arn = "arn:aws:dynamodb:*:*:table/*"
    if d.pitr_retention_days > 0:
        b.add("dynamodb", home, "update_continuous_backups",
              {"TableName": name, "PointInTimeRecoverySpecification": {
                  "PointInTimeRecoveryEnabled": True,
                  "RecoveryPeriodInDays": d.pitr_retention_days}},
              Resource("dynamodb:pitr", home, name, tags, {"days": d.pitr_retention_days}),
              exists=f"describe_continuous_backups(TableName={name})", creates=False,
              purpose=f"point-in-time recovery, {d.pitr_retention_days} days (S18)",
              after=(table,))
    else:
        b.note("pitr_retention_days 0: point-in-time recovery stays off")
    others = regions[1:]
    if d.consistency == "strong":
        params = {"TableName": name, "MultiRegionConsistency": "STRONG",
                  "ReplicaUpdates": [{"Create": {"RegionName": r}} for r in others]}
        if d.witness_region:
            params["GlobalTableWitnessUpdates"] = [{"Create": {"RegionName": d.witness_region}}]
        witness = f" + witness {d.witness_region}" if d.witness_region else ""
        last = b.add("dynamodb", home, "update_table", params,
                     Resource("dynamodb:replicas", home, f"{name}/{'+'.join(others)}", tags,
                              {"table": name, "regions": others, "witness": d.witness_region,
                               "strong": True}),
                     exists=f"describe_table(TableName={name}).Replicas", after=(table,),
                     purpose=f"MRSC replicas {others}{witness}: strongly consistent, RPO 0",
                     wait=Wait(None))
        for region in others:
            _tag_replica(b, d, region, name, last)
    else:
        last = table
        for region in others:
            create = [{"Create": {"RegionName": region}}]
            last = b.add("dynamodb", home, "update_table",
                         {"TableName": name, "ReplicaUpdates": create},
                         Resource("dynamodb:replicas", home, f"{name}/{region}", tags,
                                  {"table": name, "regions": [region], "witness": None,
                                   "strong": False}),
                         exists=f"describe_table(TableName={name}).Replicas[{region}]",
                         purpose=f"MREC replica in {region} (multi-active, last writer wins)",
                         wait=Wait(None), after=(last,))
            _tag_replica(b, d, region, name, last)
    if not d.consistent_reads:
        b.note("consistent_reads false: reads are eventually consistent unless the client asks "
               "for ConsistentRead (a client setting, not a table setting)")


def _tag_replica(b: PlanBuilder, d, region: str, name: str, after: str) -> None:
    node = f"{d.name}-{region}"
    tags = b.tags(node=node, role="replica")
    b.add("dynamodb", region, "tag_resource",
          {"ResourceArn": Template(f"arn:aws:dynamodb:{region}:{{account}}:table/{name}"),
           "Tags": tag_list(tags)},
          Resource("dynamodb:replica-tags", region, name, tags, {"table": name}),
          exists=f"list_tags_of_resource(table {name} in {region})", creates=False,
          purpose=f"tag the {region} replica (node {node})", after=(after,))
