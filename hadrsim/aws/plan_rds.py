"""RDS and Aurora designs as calls: instances, Multi-AZ, DB clusters, replicas, global databases.

Model field -> API parameter: ``instance_class`` -> ``DBInstanceClass`` (a Multi-AZ DB
cluster takes the local-NVMe variant of the family, ``db.r6g`` -> ``db.r6gd``, because AWS
offers the cluster only on those), ``allocated_storage_gb`` -> ``AllocatedStorage``, ``az``
-> ``AvailabilityZone``, ``replicas`` -> ``create_db_instance_read_replica`` on the
replica Region's client (another Region: source ARN + ``SourceRegion``), Aurora
``readers[].promotion_tier`` -> ``PromotionTier``, ``storage_azs`` -> ``AvailabilityZones``,
``secondaries`` -> a cluster in that Region joined with ``GlobalClusterIdentifier``,
``write_forwarding`` -> ``EnableGlobalWriteForwarding``, ``rpo_limit_s`` -> the
``rds.global_db_rpo`` cluster parameter, ``backups.retention_days`` ->
``BackupRetentionPeriod``, a constant ``window_start_s`` -> ``PreferredBackupWindow``,
``backups.copy_to_region`` -> ``start_db_instance_automated_backups_replication``.

Master passwords: ``ManageMasterUserPassword=True`` (RDS generates, stores and rotates the
password in Secrets Manager; it never passes through hadrsim) wherever AWS allows it. AWS
does not allow it for the source of read replicas nor for clusters in an Aurora global
database (RDS and Aurora user guides, "Limitations for Secrets Manager integration"); there
apply generates a random password into a hadrsim secret, replicated to the DR Regions so
the standby site can read it, and hands it to RDS in memory only.
"""

from __future__ import annotations

import math

from hadrsim.aws.naming import tag_list
from hadrsim.aws.plan import (
    DEFAULTS,
    GeneratedPassword,
    PlanBuilder,
    Ref,
    Resource,
    SecretField,
    Wait,
    node_suffix,
)
from hadrsim.spec.aurora import Aurora, AuroraGlobal
from hadrsim.spec.distributions import Constant
from hadrsim.spec.kinds import kind_of
from hadrsim.spec.rds import RdsMultiAzCluster, RdsMultiAzInstance, RdsSingleAz

__all__ = ["cluster_instance_class", "plan_aurora", "plan_aurora_global", "plan_multi_az_cluster",
           "plan_multi_az_instance", "plan_single_az"]

# Multi-AZ DB clusters run only on these classes (RDS user guide, Multi-AZ DB clusters).
_CLUSTER_FAMILIES = {"m5d", "m6gd", "m6id", "m6idn", "r5d", "r6gd", "r6id", "r6idn", "x2iedn",
                     "c6gd"}
# what an AWS Backup selection of the design's resources names
_INSTANCE_ARNS, _CLUSTER_ARNS = "arn:aws:rds:*:*:db:*", "arn:aws:rds:*:*:cluster:*"
_WITH_NVME = {"m5": "m5d", "m6g": "m6gd", "m6i": "m6id", "r5": "r5d", "r6g": "r6gd",
              "r6i": "r6id", "c6g": "c6gd"}


# The ``plan`` hooks of the RDS and Aurora kinds (registered by hadrsim.aws.builtin_kinds):
# each adds the database calls of one design and sets ``b.writer`` and ``b.backup_resources``.

def plan_single_az(b: PlanBuilder, d: RdsSingleAz) -> None:
    """``plan`` hook of ``rds_single_az``: one instance, its replicas, backup replication."""
    _instance_design(b, d, multi_az=False)


def plan_multi_az_instance(b: PlanBuilder, d: RdsMultiAzInstance) -> None:
    """``plan`` hook of ``rds_multi_az_instance``: ``MultiAZ=True``, replicas, backups."""
    _instance_design(b, d, multi_az=True)


def plan_multi_az_cluster(b: PlanBuilder, d: RdsMultiAzCluster) -> None:
    """``plan`` hook of ``rds_multi_az_cluster``: the DB cluster, replicas, backup copies."""
    _cluster_design(b, d)


def plan_aurora(b: PlanBuilder, d: Aurora) -> None:
    """``plan`` hook of ``aurora``: the cluster, its writer and readers, backup copies."""
    _aurora_design(b, d)


def plan_aurora_global(b: PlanBuilder, d: AuroraGlobal) -> None:
    """``plan`` hook of ``aurora_global``: global cluster, primary, secondary clusters."""
    _aurora_global_design(b, d)


def cluster_instance_class(instance_class: str) -> str:
    """The class a Multi-AZ DB cluster can run for ``instance_class`` (same family, NVMe)."""
    parts = instance_class.split(".")
    if len(parts) == 3 and parts[1] in _WITH_NVME:
        return f"{parts[0]}.{_WITH_NVME[parts[1]]}.{parts[2]}"
    return instance_class


def _window(dist) -> str | None:
    """``hh:mm-hh:mm`` (30 min, UTC) for a constant window start; None lets RDS pick."""
    if not isinstance(dist, Constant):
        return None
    start = int(dist.value // 60) % (24 * 60)
    end = (start + 30) % (24 * 60)
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


_REPLICA_SOURCE = "a read replica's source needs automated backups on"
_AURORA_BACKUPS = "Aurora always keeps continuous backups (1-35 days)"


def _backups(b: PlanBuilder, d, *, minimum: int = 0, why: str = _REPLICA_SOURCE) -> dict:
    spec = d.backups
    retention = spec.retention_days
    if retention < minimum:
        b.note(f"backups.retention_days {retention} -> {minimum}: {why}")
        retention = minimum
    params: dict = {"BackupRetentionPeriod": retention}
    window = _window(spec.window_start_s)
    if window:
        params["PreferredBackupWindow"] = window
    else:
        b.note("backups.window_start_s is drawn per run in the model: PreferredBackupWindow "
               "is left to RDS, which picks a 30-min window in the Region's 8-h block (S4)")
    if spec.manual_snapshot_every_s:
        b.note("backups.manual_snapshot_every_s is not planned: schedule manual snapshots "
               "with an AWS Backup plan (backup_plans:) instead")
    return params


def _master(b: PlanBuilder, d, region: str, *, generated: bool, dr_regions: list[str],
            why: str) -> dict:
    username = DEFAULTS["master_username"]
    if not generated:
        return {"MasterUsername": username, "ManageMasterUserPassword": True}
    name = f"hadrsim/{b.id()}/master"
    params = {"Name": name, "Description": f"hadrsim master user of {b.id()} ({why})",
              "SecretString": GeneratedPassword(username, DEFAULTS["engine"]),
              "Tags": tag_list(b.tags(role="secret"))}
    if dr_regions:
        params["AddReplicaRegions"] = [{"Region": r} for r in dr_regions]
    key = b.add("secretsmanager", region, "create_secret", params,
                Resource("secretsmanager:secret", region, name, b.tags(role="secret"),
                         {"replicas": dr_regions}),
                exists=f"describe_secret(SecretId={name})",
                purpose=f"master password secret ({why}); replicated to {dr_regions or 'none'}")
    b.note(f"master password: {why}, so apply generates it into Secrets Manager secret "
           f"{name} instead of ManageMasterUserPassword")
    return {"MasterUsername": username, "MasterUserPassword": SecretField(key, "password")}


def _common_instance(d) -> dict:
    return {"CopyTagsToSnapshot": True, "DeletionProtection": False,
            "PubliclyAccessible": False}


def _instance_design(b: PlanBuilder, d, *, multi_az: bool) -> None:
    region, nodes = d.region, kind_of(d).node_names(d)
    dr_regions = sorted({r.region for r in d.replicas if r.region != region})
    master = _master(b, d, region, generated=bool(d.replicas), dr_regions=dr_regions,
                     why="RDS cannot manage the password of a read replica's source")
    pid, tags = b.id(), b.tags(node=nodes[0], role="primary")
    params = {
        "DBInstanceIdentifier": pid, "DBInstanceClass": d.instance_class,
        "Engine": DEFAULTS["engine"], "EngineVersion": DEFAULTS["engine_version"], **master,
        "AllocatedStorage": max(20, math.ceil(d.allocated_storage_gb)),
        "StorageType": DEFAULTS["storage_type"], "StorageEncrypted": True, "MultiAZ": multi_az,
        **_backups(b, d, minimum=1 if d.replicas else 0), **_common_instance(d),
        "Tags": tag_list(tags),
    }
    if multi_az:
        b.note(f"primary_az {d.primary_az} / standby_az {d.standby_az}: RDS places a Multi-AZ "
               "instance's primary and standby itself (no AvailabilityZone with MultiAZ=True)")
    else:
        params["AvailabilityZone"] = d.az
    what = "Multi-AZ instance (synchronous standby)" if multi_az else "Single-AZ instance"
    key = b.add("rds", region, "create_db_instance", params,
                Resource("rds:db-instance", region, pid, tags,
                         {"role": "primary", "nodes": nodes[: 2 if multi_az else 1]}),
                exists=f"describe_db_instances(DBInstanceIdentifier={pid})",
                purpose=f"{what}, nodes {', '.join(nodes[: 2 if multi_az else 1])}",
                wait=Wait("db_instance_available", {"DBInstanceIdentifier": pid}))
    b.writer = {"key": key, "address": Ref(key, "Endpoint.Address"),
                "port": Ref(key, "Endpoint.Port"), "engine": DEFAULTS["engine"],
                "region": region, "id": pid}
    b.backup_arn = _INSTANCE_ARNS
    _replicas(b, d, key, pid, cluster=False)
    _backup_replication(b, d, key, pid)


def _cluster_design(b: PlanBuilder, d) -> None:
    region, nodes = d.region, kind_of(d).node_names(d)
    cid = b.id()[:52].rstrip("-")  # Multi-AZ DB cluster identifiers: at most 52 characters
    klass = cluster_instance_class(d.instance_class)
    if klass != d.instance_class:
        b.note(f"instance_class {d.instance_class} -> {klass}: Multi-AZ DB clusters run on "
               "local-NVMe classes only")
    elif klass.split(".")[1:2] and klass.split(".")[1] not in _CLUSTER_FAMILIES:
        b.note(f"instance_class {klass}: not a Multi-AZ DB cluster class "
               f"({sorted(_CLUSTER_FAMILIES)}); AWS will refuse it")
    master = _master(b, d, region, generated=bool(d.replicas),
                     dr_regions=sorted({r.region for r in d.replicas if r.region != region}),
                     why="RDS cannot manage the password of a read replica's source")
    tags = b.tags(node=nodes[0], role="primary")
    params = {
        "DBClusterIdentifier": cid, "Engine": DEFAULTS["engine"],
        "EngineVersion": DEFAULTS["engine_version"], "DBClusterInstanceClass": klass,
        "StorageType": DEFAULTS["cluster_storage_type"], "Iops": DEFAULTS["cluster_iops"],
        "AllocatedStorage": max(100, math.ceil(d.allocated_storage_gb)), **master,
        **_backups(b, d, minimum=1 if d.replicas else 0), "StorageEncrypted": True,
        "CopyTagsToSnapshot": True, "DeletionProtection": False, "PubliclyAccessible": False,
        "Tags": tag_list(tags),
    }
    b.note(f"azs {d.azs}: RDS puts the writer and two readable standbys in three AZs of the DB "
           "subnet group (AvailabilityZones is for Aurora only): give it subnets in those AZs")
    if d.commit_quorum != 1:
        b.note(f"commit_quorum {d.commit_quorum}: AWS acknowledges on one standby; not settable")
    key = b.add("rds", region, "create_db_cluster", params,
                Resource("rds:db-cluster", region, cid, tags, {"role": "primary",
                                                              "nodes": nodes[:3]}),
                exists=f"describe_db_clusters(DBClusterIdentifier={cid})",
                purpose=f"Multi-AZ DB cluster: writer + 2 readable standbys, nodes "
                        f"{', '.join(nodes[:3])}",
                wait=Wait("db_cluster_available", {"DBClusterIdentifier": cid}))
    b.writer = {"key": key, "address": Ref(key, "Endpoint"), "port": Ref(key, "Port"),
                "engine": DEFAULTS["engine"], "region": region, "id": cid}
    b.backup_arn = _CLUSTER_ARNS
    _replicas(b, d, key, cid, cluster=True)
    if d.backups.copy_to_region:
        from hadrsim.aws.plan_backup import plan_copy_to_region

        plan_copy_to_region(b, d.backups.copy_to_region, d.backups.retention_days)


def _replicas(b: PlanBuilder, d, source_key: str, source_id: str, *, cluster: bool) -> None:
    for replica in d.replicas:
        rid = b.id(node_suffix(d.name, replica.name))
        cross = replica.region != d.region
        tags = b.tags(node=replica.name, role="replica")
        params = {"DBInstanceIdentifier": rid, "DBInstanceClass": d.instance_class,
                  "AvailabilityZone": replica.az, "StorageType": DEFAULTS["storage_type"],
                  "MultiAZ": False, **_common_instance(d), "Tags": tag_list(tags)}
        source = Ref(source_key, "DBClusterArn" if cluster else "DBInstanceArn")
        if cluster:
            params["SourceDBClusterIdentifier"] = source if cross else source_id
        else:
            params["SourceDBInstanceIdentifier"] = source if cross else source_id
        if cross:
            # encrypted source: the replica needs a key of its own Region (alias allowed)
            params.update({"SourceRegion": d.region, "KmsKeyId": "alias/aws/rds"})
            if cluster:
                b.note(f"replica {replica.name}: check that your Region pair supports "
                       "cross-Region instance read replicas of a Multi-AZ DB cluster")
        if not replica.readable:
            b.note(f"replica {replica.name}: readable false has no AWS equivalent "
                   "(RDS read replicas always serve reads)")
        where = f"in {replica.region}" if cross else "same Region"
        key = b.add("rds", replica.region, "create_db_instance_read_replica", params,
                    Resource("rds:db-instance", replica.region, rid, tags,
                             {"role": "replica", "nodes": [replica.name], "source": source_id}),
                    exists=f"describe_db_instances(DBInstanceIdentifier={rid})",
                    purpose=f"read replica {replica.name} ({where}, {replica.az}) of {source_id}",
                    wait=Wait("db_instance_available", {"DBInstanceIdentifier": rid}))
        if cross and b.failover_target is None:
            b.failover_target = {"key": key, "address": Ref(key, "Endpoint.Address"),
                                 "region": replica.region, "id": rid}


def _backup_replication(b: PlanBuilder, d, source_key: str, source_id: str) -> None:
    target = d.backups.copy_to_region
    if target is None:
        return
    retention = max(1, d.backups.retention_days)
    if d.backups.retention_days == 0:
        b.note("backups.copy_to_region with retention_days 0: replication needs automated "
               "backups; the replicated copies keep 1 day")
    kms = b.add("kms", target, "describe_key", {"KeyId": "alias/aws/rds"},
                Resource("kms:key", target, "alias/aws/rds"),
                exists="describe_key(KeyId=alias/aws/rds)", creates=False,
                purpose=f"look up the AWS managed RDS key of {target} (encrypts the copies)")
    b.add("rds", target, "start_db_instance_automated_backups_replication",
          {"SourceDBInstanceArn": Ref(source_key, "DBInstanceArn"),
           "BackupRetentionPeriod": retention, "KmsKeyId": Ref(kms, "KeyMetadata.Arn"),
           "SourceRegion": d.region},
          Resource("rds:automated-backup-replication", target, source_id, b.tags(role="backup"),
                   {"source": source_id, "source_region": d.region}),
          exists=f"describe_db_instance_automated_backups(DBInstanceIdentifier={source_id}) "
                 f"in {target}",
          purpose=f"replicate automated backups (snapshots + logs, PITR) to {target}, "
                  f"{retention} days", wait=Wait(None))


def _aurora_cluster(b: PlanBuilder, d, *, global_key: str | None = None,
                    parameter_group: tuple[str, str] | None = None) -> tuple[str, str]:
    region, cid = d.region, b.id()
    dr_regions = [s.region for s in getattr(d, "secondaries", [])]
    master = _master(b, d, region, generated=global_key is not None, dr_regions=dr_regions,
                     why="Aurora global databases cannot use RDS-managed passwords")
    tags = b.tags(role="primary")
    params = {"DBClusterIdentifier": cid, "Engine": DEFAULTS["aurora_engine"],
              "EngineVersion": DEFAULTS["engine_version"], **master,
              "AvailabilityZones": list(d.storage_azs),
              **_backups(b, d, minimum=1, why=_AURORA_BACKUPS),
              "StorageEncrypted": True, "CopyTagsToSnapshot": True,
              "DeletionProtection": False, "Tags": tag_list(tags)}
    after: tuple[str, ...] = ()
    if global_key is not None:
        params["GlobalClusterIdentifier"] = b.id("global")
        after = (global_key,)
    if parameter_group is not None:
        params["DBClusterParameterGroupName"] = parameter_group[1]
        after += (parameter_group[0],)
    if (d.write_quorum, d.read_quorum) != (4, 3):
        b.note(f"write_quorum {d.write_quorum} / read_quorum {d.read_quorum}: Aurora's "
               "quorums are fixed at 4/6 and 3/6")
    key = b.add("rds", region, "create_db_cluster", params,
                Resource("rds:db-cluster", region, cid, tags,
                         {"role": "primary", "global": b.id("global") if global_key else None}),
                exists=f"describe_db_clusters(DBClusterIdentifier={cid})",
                purpose=f"Aurora cluster: shared volume, 6 copies in {', '.join(d.storage_azs)}",
                wait=Wait("db_cluster_available", {"DBClusterIdentifier": cid}), after=after)
    b.writer = {"key": key, "address": Ref(key, "Endpoint"), "port": Ref(key, "Port"),
                "engine": DEFAULTS["aurora_engine"], "region": region, "id": cid}
    b.backup_arn = _CLUSTER_ARNS
    return key, cid


def _aurora_instance(b: PlanBuilder, d, region: str, cluster_id: str, node: str, role: str,
                     *, az: str | None, klass: str, tier: int | None, after: str,
                     suffix: str | None = None) -> str:
    iid = b.id(suffix or node_suffix(d.name, node))
    tags = b.tags(node=node, role=role)
    params = {"DBInstanceIdentifier": iid, "DBClusterIdentifier": cluster_id,
              "Engine": DEFAULTS["aurora_engine"], "DBInstanceClass": klass,
              "PubliclyAccessible": False, "Tags": tag_list(tags)}
    if az:
        params["AvailabilityZone"] = az
    if tier is not None:
        params["PromotionTier"] = tier
    what = {"primary": "writer", "reader": f"reader, promotion tier {tier}",
            "secondary": "secondary Region reader (promoted on failover)"}[role]
    return b.add("rds", region, "create_db_instance", params,
                 Resource("rds:db-instance", region, iid, tags,
                          {"role": role, "nodes": [node], "cluster": cluster_id}),
                 exists=f"describe_db_instances(DBInstanceIdentifier={iid})",
                 purpose=f"Aurora {what}: node {node} in {az or region}",
                 wait=Wait("db_instance_available", {"DBInstanceIdentifier": iid}),
                 after=(after,))


def _aurora_members(b: PlanBuilder, d, cluster_key: str, cluster_id: str) -> str:
    writer = _aurora_instance(b, d, d.region, cluster_id, f"{d.name}-w", "primary",
                              az=d.writer_az, klass=d.instance_class, tier=None,
                              after=cluster_key)
    for reader in d.readers:
        _aurora_instance(b, d, d.region, cluster_id, reader.name, "reader", az=reader.az,
                         klass=reader.instance_class, tier=reader.promotion_tier, after=writer)
    return writer


def _aurora_design(b: PlanBuilder, d) -> None:
    key, cid = _aurora_cluster(b, d)
    _aurora_members(b, d, key, cid)
    if d.backups.copy_to_region:
        from hadrsim.aws.plan_backup import plan_copy_to_region

        plan_copy_to_region(b, d.backups.copy_to_region, d.backups.retention_days)


def _aurora_global_design(b: PlanBuilder, d) -> None:
    region, gid = d.region, b.id("global")
    members = [b.id()] + [b.id(s.region) for s in d.secondaries]
    gtags = b.tags(role="global")
    gkey = b.add("rds", region, "create_global_cluster",
                 {"GlobalClusterIdentifier": gid, "Engine": DEFAULTS["aurora_engine"],
                  "EngineVersion": DEFAULTS["engine_version"], "StorageEncrypted": True,
                  "DeletionProtection": False, "Tags": tag_list(gtags)},
                 Resource("rds:global-cluster", region, gid, gtags, {"members": members}),
                 exists=f"describe_global_clusters(GlobalClusterIdentifier={gid})",
                 purpose=f"Aurora global database: primary {region}, secondaries "
                         f"{[s.region for s in d.secondaries]}", wait=Wait(None))
    group = None
    if d.rpo_limit_s is not None:
        group = _rpo_limit(b, d)
    key, cid = _aurora_cluster(b, d, global_key=gkey, parameter_group=group)
    writer = _aurora_members(b, d, key, cid)
    for secondary in d.secondaries:
        sid, node = b.id(secondary.region), f"{d.name}-{secondary.region}"
        tags = b.tags(node=node, role="secondary")
        params = {"DBClusterIdentifier": sid, "Engine": DEFAULTS["aurora_engine"],
                  "EngineVersion": DEFAULTS["engine_version"], "GlobalClusterIdentifier": gid,
                  "StorageEncrypted": True, "KmsKeyId": "alias/aws/rds",
                  "CopyTagsToSnapshot": True, "DeletionProtection": False,
                  "Tags": tag_list(tags)}
        if d.write_forwarding:
            params["EnableGlobalWriteForwarding"] = True
        skey = b.add("rds", secondary.region, "create_db_cluster", params,
                     Resource("rds:db-cluster", secondary.region, sid, tags,
                              {"role": "secondary", "nodes": [node], "global": gid}),
                     exists=f"describe_db_clusters(DBClusterIdentifier={sid})",
                     purpose=f"secondary cluster {node}: storage-level replication from {region}",
                     wait=Wait("db_cluster_available", {"DBClusterIdentifier": sid}),
                     after=(writer,))
        _aurora_instance(b, d, secondary.region, sid, node, "secondary", az=secondary.az,
                         klass=d.instance_class, tier=None, after=skey,
                         suffix=f"{secondary.region}-1")
        if b.failover_target is None:
            b.failover_target = {"key": skey, "address": Ref(skey, "Endpoint"),
                                 "region": secondary.region, "id": sid}


def _rpo_limit(b: PlanBuilder, d) -> tuple[str, str]:
    name = b.id("rpo")
    tags = b.tags(role="parameters")
    family = DEFAULTS["cluster_parameter_family"]
    group = b.add("rds", d.region, "create_db_cluster_parameter_group",
                  {"DBClusterParameterGroupName": name, "DBParameterGroupFamily": family,
                   "Description": f"hadrsim {b.id()}: rds.global_db_rpo", "Tags": tag_list(tags)},
                  Resource("rds:cluster-parameter-group", d.region, name, tags),
                  exists=f"describe_db_cluster_parameter_groups(DBClusterParameterGroupName="
                         f"{name})", purpose="cluster parameters of the primary (RPO limit)")
    value = str(int(math.ceil(d.rpo_limit_s)))
    b.add("rds", d.region, "modify_db_cluster_parameter_group",
          {"DBClusterParameterGroupName": name,
           "Parameters": [{"ParameterName": "rds.global_db_rpo", "ParameterValue": value,
                           "ApplyMethod": "immediate"}]},
          Resource("rds:cluster-parameter", d.region, f"{name}/rds.global_db_rpo", tags,
                   {"group": name, "name": "rds.global_db_rpo", "value": value}),
          exists=f"describe_db_cluster_parameters(DBClusterParameterGroupName={name})",
          purpose=f"rds.global_db_rpo = {value} s: commits wait while every secondary lags "
                  "past it (S15)", after=(group,), creates=False)
    return group, name
