"""Aurora and Aurora Global Database assembled from engine parts.

* The cluster volume is six storage copies, two in each of three AZs (S12),
  followers of the writer under a *strict* 4-of-6 quorum: commits wait for four
  acknowledgements and never degrade, so losing an AZ plus one more copy stops
  writes. Reads need a read quorum of 3 live copies. Lost copies are repaired
  in ~10 s (S13).
* The writer instance holds no data of its own: on failover the reader with the
  best promotion tier (then the largest, then the first) becomes writer at the
  volume's recovery point (the newest position among live copies, which a read
  quorum guarantees holds every acknowledged write). With no reader the writer
  is recreated (S8, ~10 min); if its AZ is lost and no reader lives elsewhere,
  an operator creates one in another AZ on the surviving volume (15 min + the
  operator, calibration.md §5).
* Deleting the writer *instance* (an operator error) of a cluster with a live
  reader is a failover: the volume and the automated backups stay with the cluster.
* A global database adds, per secondary Region, an asynchronous storage-level
  follower (lag ~0.5 s, S14) with its own idle volume; unplanned failover is
  the study's promotion runbook (detach and promote: loses the lag), a planned
  switchover (S15) drains first and loses nothing, and ``rpo_limit_s`` blocks
  commits while every secondary lags past it.

Engine wiring: the readers carry the volume as their ``read_guard`` from
construction, a writer gets its volume's through ``Node.reconfigure`` when it
takes over (build, promotion, restore); write forwarding is a
``ForwardToPrimary`` policy (:mod:`hadrsim.simulator.policies`).
"""

from __future__ import annotations

from hadrsim.models.deployment import Deployment
from hadrsim.models.route53 import attach_route53
from hadrsim.simulator.backups import BackupCatalog
from hadrsim.simulator.failover import FailoverController, PromotionRunbook
from hadrsim.simulator.log import Log, Timeline
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import FollowConfig, Node
from hadrsim.simulator.policies import ForwardToPrimary, ReadGuard, WriteForwarding
from hadrsim.simulator.repair import AutoRepair
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.restore import PointInTimeRestore
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.service import Service
from hadrsim.simulator.switchover import PlannedSwitchover
from hadrsim.simulator.vocabulary import Ev
from hadrsim.simulator.world import World
from hadrsim.spec.aurora import Aurora, AuroraGlobal, instance_size
from hadrsim.spec.distributions import constant

_MS = 1e-3


class _Volume:
    """Six storage copies of one cluster volume, with its quorum rules."""

    def __init__(self, nodes: list[Node], read_quorum: int):
        self.nodes = nodes
        self.read_quorum = read_quorum

    def readable(self) -> bool:
        return sum(1 for n in self.nodes if n.responsive) >= self.read_quorum

    def recovery_point(self) -> tuple[Timeline, int] | None:
        """Newest (timeline, lsn) among live copies, if a read quorum is live."""
        live = [n for n in self.nodes if n.responsive]
        if len(live) < self.read_quorum:
            return None
        best = max(live, key=lambda n: (n.timeline.tid, n.lsn))
        return best.timeline, best.lsn


def build_aurora(world: World, net: Network, study, design: Aurora) -> Deployment:
    """``build`` hook of ``aurora``: one cluster (writer, readers, six storage copies)."""
    return _build_aurora(world, net, study, design, is_global=False)


def build_aurora_global(world: World, net: Network, study, design: AuroraGlobal) -> Deployment:
    """``build`` hook of ``aurora_global``: the primary cluster and its secondary clusters."""
    return _build_aurora(world, net, study, design, is_global=True)


def _build_aurora(world: World, net: Network, study, design: Aurora | AuroraGlobal, *,
                  is_global: bool) -> Deployment:
    streams = world.streams
    log = Log()
    storage_cfg = FollowConfig(
        mode="quorum", readable=False, ack_on="flush",
        flush=streams.sampler("aurora/storage_write", design.storage_write_ms, _MS),
    )
    reader_cfg = FollowConfig(
        mode="async", readable=True, lag_regime_s=1.0,
        ship_lag=streams.sampler("aurora/reader_lag", design.reader_lag_s),
    )
    no_local_flush = streams.sampler("aurora/writer_flush", constant(0.0))

    def new_node(name: str, az: str, follow: FollowConfig, internal: bool = False,
                 read_guard: ReadGuard | None = None,
                 forward_writes: WriteForwarding | None = None) -> Node:
        return Node(world, net, name, az, log.root, follow=follow, dataset=design.name,
                    internal=internal, read_guard=read_guard, forward_writes=forward_writes)

    def new_volume(prefix: str, azs: list[str]) -> _Volume:
        copies = [new_node(f"{prefix}-s{i + 1}{c}", az, storage_cfg, internal=True)
                  for i, az in enumerate(azs) for c in "ab"]
        return _Volume(copies, design.read_quorum)

    writer = new_node(f"{design.name}-w", design.writer_az, reader_cfg)
    volume = new_volume(design.name, design.storage_azs)
    # readers share the writer's volume: they serve reads only while it has a read quorum
    readers = [new_node(r.name, r.az, reader_cfg, read_guard=volume) for r in design.readers]
    tier = {r.name: (r.promotion_tier, -instance_size(r.instance_class), i)
            for i, r in enumerate(design.readers)}
    background = study.workload.write_rate_per_s

    def new_group(primary: Node, vol: _Volume) -> ReplicationGroup:
        group = ReplicationGroup(
            world, net, primary, flush=no_local_flush, background_writes_per_s=background,
            quorum=design.write_quorum, strict_quorum=True,
            rpo_limit_s=design.rpo_limit_s if is_global else None, name=primary.name,
        )
        for copy in vol.nodes:
            copy.adopt(primary.timeline, primary.lsn)
            group.add_follower(copy, in_sync=True)
        primary.reconfigure(read_guard=vol)  # it writes (and reads) this volume now
        return group

    group = new_group(writer, volume)
    for reader in readers:
        group.add_follower(reader, in_sync=True)

    def active_primary() -> Node:
        return service.group.primary  # the service is built below; asked at run time

    secondaries: list[tuple[Node, _Volume]] = []
    if is_global:
        forwarding = ForwardToPrimary(net, active_primary) if design.write_forwarding else None
        for i, spec in enumerate(design.secondaries):
            follow = FollowConfig(
                mode="async", readable=True, rpo_secondary=True, lag_regime_s=spec.lag_regime_s,
                ship_lag=streams.sampler(f"aurora/secondary/{i}/lag", spec.lag_s),
            )
            node = new_node(f"{design.name}-{spec.region}", spec.az, follow,
                            forward_writes=forwarding)
            group.add_follower(node, in_sync=True)
            secondaries.append(
                (node, new_volume(f"{design.name}-{spec.region}", net.azs_of(spec.region)[:3]))
            )

    ttl = design.global_endpoint_ttl_s if is_global else design.dns_ttl_s
    writer_endpoint = Endpoint(world, f"{design.name}.cluster", ttl, [writer])
    reader_endpoint = Endpoint(world, f"{design.name}.cluster-ro", design.dns_ttl_s, [])
    service = Service(world, log, group, writer_endpoint, reader_endpoint)
    reader_endpoint.retarget(service.local_readers())
    for node, vol in secondaries:
        service.add_node(node)
        service.set_local_reader(node.region, Endpoint(
            world, f"{design.name}.{node.region}.cluster-ro", design.dns_ttl_s, [node]))
        if design.write_forwarding:
            service.set_local_writer(node.region, Endpoint(
                world, f"{design.name}.{node.region}.cluster", design.dns_ttl_s, [node]))
        for copy in vol.nodes:
            service.add_node(copy)

    def choose_reader(g: ReplicationGroup) -> Node | None:
        live = [link.follower for link in g.links.values()
                if link.follower.name in tier and link.follower.responsive]
        return min(live, key=lambda n: tier[n.name], default=None)

    promotion = streams.sampler("control/promotion", design.promotion_s)
    recreate = streams.sampler("control/replace_host", design.recreate_writer_s)
    relocate = _relocation_delay(streams, study.failover, design)

    def new_controller(g: ReplicationGroup, vol: _Volume, name: str) -> FailoverController:
        return FailoverController(
            world, net, service, g, name=name, detection=design.detection,
            promotion=promotion, replace=recreate, restore=recreate,
            archive_interval_s=300.0, candidate=choose_reader,
            recovery_point=vol.recovery_point, relocate=relocate,
        )

    controller = new_controller(group, volume, design.name)
    deployment = Deployment(service, dict(service.nodes), [controller])
    catalog = BackupCatalog(
        log, archive_interval_s=300.0,
        archive_phase_s=float(streams.generator("backup/archive").uniform(0, 300.0)),
        retention_days=design.backups.retention_days,
        snapshot_at_s=streams.sampler("backup/window", design.backups.window_start_s)(),
    )
    restored_volumes: dict[str, _Volume] = {}

    def restored_group(node: Node) -> ReplicationGroup:
        vol = new_volume(node.name, design.storage_azs)
        restored_volumes[node.name] = vol
        return new_group(node, vol)

    def restored(g: ReplicationGroup) -> None:
        deployment.retire_controllers()
        deployment.controllers.append(
            new_controller(g, restored_volumes[g.primary.name], g.primary.name))

    deployment.pitr = PointInTimeRestore(
        world, service, catalog,
        restore=streams.sampler("control/restore", design.restore_s),
        size_s=design.allocated_storage_gb * design.backups.restore_per_gb_s,
        replay_speedup=design.backups.replay_speedup,
        repoint=streams.sampler("operator/repoint", study.failover.repoint_s),
        new_node=lambda suffix, az: new_node(f"{design.name}-{suffix}", az or design.writer_az,
                                             reader_cfg),
        new_group=restored_group, on_restored=restored,
        keys=range(study.workload.observed_keys),
    )
    deployment.add_operator_action("delete_instance", _DeleteWriter(deployment, choose_reader))
    repairs = [AutoRepair(world, net, log, volume.nodes,
                          streams.sampler("aurora/segment_repair", design.segment_repair_s))]
    deployment.controllers.extend(repairs)
    if not is_global:
        return deployment

    volume_of = {node.name: vol for node, vol in secondaries}

    def promoted_group(node: Node) -> ReplicationGroup:
        vol = volume_of[node.name]
        g = new_group(node, vol)
        repairs.append(AutoRepair(world, net, log, vol.nodes, streams.sampler(
            f"aurora/segment_repair/{node.region}", design.segment_repair_s)))
        service.set_local_writer(node.region, None)
        node.reconfigure(forward_writes=None)  # it is the primary now
        return g

    def adopt_controller(g: ReplicationGroup) -> None:
        deployment.controllers.append(
            new_controller(g, volume_of[g.primary.name], f"{g.primary.name}-promoted")
        )

    policy = study.failover
    runbook = PromotionRunbook(
        world, net, service,
        controller=controller,
        observer_region=secondaries[0][0].region,
        detection=policy.detection,
        operator_delay=(streams.sampler("operator/delay", policy.operator_delay_s)
                        if policy.mode == "manual" else None),
        promotion={
            node.name: streams.sampler(f"aurora/secondary/{i}/promotion", spec.promotion_s)
            for i, ((node, _), spec) in enumerate(zip(secondaries, design.secondaries, strict=True))
        },
        repoint=streams.sampler("aurora/global_endpoint", constant(0.0)),  # managed (S15)
        new_controller=adopt_controller,
        new_group=promoted_group,
    )
    deployment.controllers.append(runbook)

    def after_switchover(old: ReplicationGroup, new: ReplicationGroup) -> None:
        # the old primary Region becomes a secondary of the new one
        old_primary = old.primary
        old_primary.reconfigure(follow=FollowConfig(
            mode="async", readable=True, rpo_secondary=True, lag_regime_s=10.0,
            ship_lag=streams.sampler("aurora/secondary/back/lag", design.secondaries[0].lag_s),
        ))
        new.add_follower(old_primary)
        volume_of[old_primary.name] = volume
        runbook.add_candidate(old_primary.name, streams.sampler(
            "aurora/secondary/back/promotion", design.secondaries[0].promotion_s))
        controller.retire()
        adopt_controller(new)
        writer_endpoint.repoint([new.primary])
        reader_endpoint.repoint([new.primary])
        service.set_local_reader(new.primary.region, None)
        service.set_local_reader(old_primary.region, Endpoint(
            world, f"{design.name}.{old_primary.region}.cluster-ro", design.dns_ttl_s,
            [old_primary]))

    if design.route53 is not None:
        deployment.dns_records.append(attach_route53(
            world, net, study, design.name, design.route53, service, secondaries[0][0]))
    deployment.switchover = PlannedSwitchover(
        world, service,
        promotion=streams.sampler("aurora/switchover", design.switchover_promotion_s),
        new_group=promoted_group,
        on_promoted=after_switchover,
    )
    return deployment


def _relocation_delay(streams, policy, design):
    """Operator delay (manual policy) + creating a writer in another AZ (§5, ASM)."""
    create = streams.sampler("control/recreate_elsewhere", design.recreate_elsewhere_s)
    if policy.mode != "manual":
        return create
    operator = streams.sampler("operator/recreate_delay", policy.operator_delay_s)
    return lambda: operator() + create()


class _DeleteWriter:
    """Operator error ``delete_instance`` on a cluster: the writer *instance* goes.

    With a live reader the cluster fails over to it at once (the control plane
    knows; no health checks to fail); the volume and the automated backups stay
    (S8). With none, the deployment's default (the cluster is lost) applies.
    """

    def __init__(self, deployment: Deployment, choose_reader):
        self.deployment = deployment
        self.choose_reader = choose_reader

    def __call__(self, detection_s: float, decision_s: float) -> None:
        service = self.deployment.service
        group = service.group
        controller = next(
            (c for c in self.deployment.controllers if isinstance(c, FailoverController)
             and c.active and c.group is group), None)
        if controller is None or self.choose_reader(group) is None:
            self.deployment.retire_controllers()  # the cluster goes with its only instance
            self.deployment.pitr.delete_instance(detection_s, decision_s)
            return
        writer = group.primary
        writer.mark_deleted()
        world = service.world
        world.event(Ev.INSTANCE_DELETED, writer.name,
                    "writer instance; the cluster volume and automated backups remain")
        controller.fail_over_now("writer instance deleted")
        world.changed()

