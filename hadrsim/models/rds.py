"""RDS designs assembled from engine parts.

* Single-AZ: one node; crash -> detection -> host replacement (storage kept);
  storage loss -> restore to the last archived log position (S5).
* Multi-AZ instance: primary + synchronous non-readable standby; automatic
  failover to the in-sync standby, CNAME flip; the old primary is replaced and
  rejoins as standby (S1).
* Multi-AZ DB cluster: writer + two readable quorum standbys (commit needs one
  ack); failover to the most advanced reader (S2).
* Any of them with read replicas (same or cross Region): asynchronous, readable,
  promoted by the operator runbook of the study's failover policy (S7).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from hadrsim.models.deployment import Deployment
from hadrsim.models.route53 import attach_route53
from hadrsim.simulator.backups import BackupCatalog
from hadrsim.simulator.failover import (
    BackupRestoreRunbook,
    FailoverController,
    PromotionRunbook,
)
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import FollowConfig, Node
from hadrsim.simulator.random import Sampler, Streams
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.restore import PointInTimeRestore, RestoreRunbook
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.service import Service
from hadrsim.simulator.world import World
from hadrsim.spec.kinds import kind_of
from hadrsim.spec.rds import RdsMultiAzCluster, RdsMultiAzInstance, RdsSingleAz

_MS = 1e-3


class _Members(NamedTuple):
    """How a kind's own instances (all but the read replicas) replicate and fail over."""

    follow: FollowConfig | None
    quorum: int = 1
    sync_timeout_s: float = 10.0
    promotion: Sampler | None = None
    cancel_acknowledges: bool = False  # PostgreSQL-style sync replication (replication.py)


def _single_az(design: RdsSingleAz, streams: Streams) -> _Members:
    return _Members(follow=None)


def _multi_az_instance(design: RdsMultiAzInstance, streams: Streams) -> _Members:
    follow = FollowConfig(
        mode="sync", readable=False,
        flush=streams.sampler("db/standby_flush", design.standby_flush_ms, _MS),
    )
    return _Members(follow, 1, design.sync_timeout_s,
                    streams.sampler("control/promotion", design.promotion_s),
                    cancel_acknowledges=design.standby_replication == "streaming")


def _multi_az_cluster(design: RdsMultiAzCluster, streams: Streams) -> _Members:
    follow = FollowConfig(
        mode="quorum", readable=True, ack_on="receive",
        apply_lag=streams.sampler("db/reader_apply_lag", design.reader_apply_lag_s),
    )
    return _Members(follow, design.commit_quorum, design.sync_timeout_s,
                    streams.sampler("control/promotion", design.promotion_s),
                    cancel_acknowledges=True)  # S2: PostgreSQL semi-synchronous replication


def build_single_az(world: World, net: Network, study, design: RdsSingleAz) -> Deployment:
    """``build`` hook of ``rds_single_az``: one instance (and its read replicas)."""
    return _build_rds(world, net, study, design, _single_az)


def build_multi_az_instance(world: World, net: Network, study,
                            design: RdsMultiAzInstance) -> Deployment:
    """``build`` hook of ``rds_multi_az_instance``: primary + synchronous hidden standby."""
    return _build_rds(world, net, study, design, _multi_az_instance)


def build_multi_az_cluster(world: World, net: Network, study,
                           design: RdsMultiAzCluster) -> Deployment:
    """``build`` hook of ``rds_multi_az_cluster``: writer + two readable quorum standbys."""
    return _build_rds(world, net, study, design, _multi_az_cluster)


def _build_rds(world: World, net: Network, study, design,
               members_of: Callable[[Any, Streams], _Members]) -> Deployment:
    """An RDS design: its own instances named by the kind's inventory, its read replicas."""
    streams = world.streams
    log = Log()
    flush = streams.sampler("db/flush", design.commit_flush_ms, _MS)

    def new_node(name: str, az: str, follow: FollowConfig | None) -> Node:
        return Node(world, net, name, az, log.root, follow=follow)

    own = members_of(design, streams)
    quorum, sync_timeout, promotion = own.quorum, own.sync_timeout_s, own.promotion
    members: list[Node] = [new_node(slot.name, slot.az, own.follow)
                           for slot in kind_of(design).inventory(design)
                           if slot.role != "replica"]

    replica_promotion = {}
    for i, spec in enumerate(design.replicas):
        follow = FollowConfig(
            mode="async", readable=spec.readable,
            ship_lag=streams.sampler(f"replica/{i}/lag", spec.lag_s),
            lag_regime_s=spec.lag_regime_s,
        )
        members.append(new_node(spec.name, spec.az, follow))
        replica_promotion[spec.name] = streams.sampler(f"replica/{i}/promotion", spec.promotion_s)

    background = study.workload.write_rate_per_s

    def new_group(primary: Node) -> ReplicationGroup:
        return ReplicationGroup(
            world, net, primary, flush=flush, background_writes_per_s=background,
            quorum=quorum, sync_timeout_s=sync_timeout, name=primary.name,
            cancel_acknowledges=own.cancel_acknowledges,
        )

    group = new_group(members[0])
    for node in members[1:]:
        group.add_follower(node, in_sync=True)
    writer = Endpoint(world, f"{design.name}.writer", design.dns_ttl_s, [members[0]])
    reader = Endpoint(world, f"{design.name}.reader", design.dns_ttl_s, [])
    service = Service(world, log, group, writer, reader)
    reader.retarget(service.local_readers())

    replace = (
        None if design.replace_host_s is None
        else streams.sampler("control/replace_host", design.replace_host_s)
    )
    restore = streams.sampler("control/restore", design.restore_s)

    catalog = BackupCatalog(
        log, archive_interval_s=design.log_archive_interval_s,
        archive_phase_s=float(streams.generator("backup/archive").uniform(
            0, design.log_archive_interval_s)),
        retention_days=design.backups.retention_days,
        snapshot_at_s=streams.sampler("backup/window", design.backups.window_start_s)(),
        manual_every_s=design.backups.manual_snapshot_every_s,
    )

    def new_controller(g: ReplicationGroup, name: str, promote) -> FailoverController:
        return FailoverController(
            world, net, service, g, name=name, detection=design.detection,
            promotion=promote, replace=replace, restore=restore,
            archive_interval_s=design.log_archive_interval_s, backups=catalog,
        )

    controller = new_controller(group, design.name, promotion)
    deployment = Deployment(service, {n.name: n for n in members}, [controller])

    def restored(g: ReplicationGroup) -> None:
        deployment.retire_controllers()
        deployment.controllers.append(new_controller(g, g.primary.name, None))

    deployment.pitr = PointInTimeRestore(
        world, service, catalog, restore=restore,
        size_s=design.allocated_storage_gb * design.backups.restore_per_gb_s,
        replay_speedup=design.backups.replay_speedup,
        repoint=streams.sampler("operator/repoint", study.failover.repoint_s),
        new_node=lambda suffix, az: new_node(f"{design.name}-{suffix}", az or members[0].az,
                                             None),
        new_group=new_group, on_restored=restored,
        keys=range(study.workload.observed_keys),
        hydration_s=design.allocated_storage_gb * 1024.0 / design.backups.hydration_mib_s,
        cold_penalty=streams.sampler("backup/cold_block", design.backups.cold_block_ms, _MS),
    )
    policy = study.failover
    copy_region = design.backups.copy_to_region
    if copy_region is not None and not replica_promotion:
        deployment.controllers.append(BackupRestoreRunbook(
            world, net, service, controller=controller, observer_region=copy_region,
            detection=policy.detection,
            operator_delay=(streams.sampler("operator/delay", policy.operator_delay_s)
                            if policy.mode == "manual" else None),
            restore=RestoreRunbook(deployment.pitr, net.azs_of(copy_region)[0],
                                   streams.sampler("backup/copy_lag", design.backups.copy_lag_s)),
        ))
    if replica_promotion:
        operator = (
            streams.sampler("operator/delay", policy.operator_delay_s)
            if policy.mode == "manual" else None
        )
        first_replica = next(n for n in members if n.name in replica_promotion)
        runbook = PromotionRunbook(
            world, net, service,
            controller=controller,
            observer_region=first_replica.region,
            detection=policy.detection,
            operator_delay=operator,
            promotion=replica_promotion,
            repoint=streams.sampler("operator/repoint", policy.repoint_s),
            new_controller=lambda g: deployment.controllers.append(
                new_controller(g, f"{g.primary.name}-promoted", None)
            ),
            new_group=new_group,
        )
        deployment.controllers.append(runbook)
    if design.route53 is not None:
        remote = next(n for n in members if n.name in replica_promotion
                      and n.region != members[0].region)
        deployment.dns_records.append(
            attach_route53(world, net, study, design.name, design.route53, service, remote)
        )
    return deployment
