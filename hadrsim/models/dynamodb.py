"""DynamoDB global tables assembled from engine parts.

* MREC (``consistency: eventual``, the default): one multi-active
  last-writer-wins replica per Region (:mod:`hadrsim.simulator.multileader`);
  every Region accepts writes; replication ~0.5 s; conflicts resolved silently.
* MRSC (``consistency: strong``): three members (replicas, or two replicas and a
  witness). Writes go to one leader, which commits once a majority holds them
  (itself + one other: a strict quorum of 1 follower), so RPO is 0 and a Region
  cut off from the majority cannot write. Other Regions forward writes to the
  leader (higher latency: the cross-Region round trips). A leader that fails is
  replaced by the most advanced replica, decided from outside its Region.

A replica is a Regional service (it spans that Region's AZs): it lives at the
Region location, so an AZ outage does not take it down, a Region outage does.
"""

from __future__ import annotations

from hadrsim.models.deployment import Deployment
from hadrsim.simulator.failover import FailoverController, most_advanced
from hadrsim.simulator.log import Log
from hadrsim.simulator.multileader import LwwReplica, MultiActiveRestore, MultiActiveService
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import FollowConfig, Node
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.service import Service
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant

_MS = 1e-3
_ENDPOINT_TTL_S = 60.0  # ASM: Regional service endpoints do not move


class RegionalDeployment(Deployment):
    """Fault targets of a Regional managed service (DynamoDB).

    Its replicas span their Region's AZs and hide host failures, so a symbolic
    host fault (``instance_crash`` of ``primary``) or an AZ target finds nothing
    and is skipped; ``node:NAME`` still hits a Regional replica, and clock skew
    and replication breaks apply to it.
    """

    _HOST_FAULTS = ("instance_crash", "instance_hang", "storage_loss")

    def _replicas(self) -> list[Node]:
        return [n for n in self.nodes.values() if not n.internal]

    def node(self, target: str, kind: str | None = None) -> Node | None:
        if target.startswith("node:"):
            return self.nodes.get(target.removeprefix("node:"))
        if kind in self._HOST_FAULTS:
            return None
        replicas = self._replicas()
        if target == "primary":
            return replicas[0]
        if target in ("replica", "standby"):
            return replicas[1] if len(replicas) > 1 else None
        return None

    def place(self, target: str) -> str | None:
        replicas = self._replicas()
        if target == "primary_region":
            return replicas[0].region
        if target in ("replica_region", "secondary_region"):
            return replicas[1].region if len(replicas) > 1 else None
        if target in ("primary_az", "standby_az", "replica_az"):
            return None  # Regional replicas have no AZ of their own
        return target


class MultiActiveDeployment(RegionalDeployment):
    """A multi-active table: ``primary`` is the first Region's replica."""

    table_restore: MultiActiveRestore | None = None

    def can_corrupt(self) -> bool:
        return self.table_restore is not None

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> bool:
        if self.table_restore is None:
            return False
        self.table_restore.corrupt(fault_id, detection_s, decision_s)
        return True


def build_dynamodb(world: World, net: Network, study, design) -> Deployment:
    if design.consistency == "eventual":
        return _build_mrec(world, net, study, design)
    return _build_mrsc(world, net, study, design)


def _build_mrec(world: World, net: Network, study, design) -> Deployment:
    streams = world.streams
    log = Log()
    replicas = []

    def new_replica(name: str, region: str, i: int) -> LwwReplica:
        replica = LwwReplica(
            world, net, name, region, log.root, index=i,
            write_latency=streams.sampler(f"dynamodb/{region}/write", design.write_ms, _MS),
            replication_lag=streams.sampler(f"dynamodb/{region}/lag", design.replication_lag_s),
            lag_regime_s=design.lag_regime_s,
            read_staleness=streams.sampler(f"dynamodb/{region}/staleness",
                                           design.read_staleness_s),
            consistent_reads=design.consistent_reads,
        )
        replica.dataset = design.name
        return replica

    for i, region in enumerate(design.regions):
        replicas.append(new_replica(f"{design.name}-{region}", region, i))
    for replica in replicas:
        replica.peers = [r for r in replicas if r is not replica]
    endpoints = {
        r.region: Endpoint(world, f"dynamodb.{r.region}", _ENDPOINT_TTL_S, [r]) for r in replicas
    }
    service = MultiActiveService(world, replicas, endpoints)
    deployment = MultiActiveDeployment(service, {r.name: r for r in replicas})
    if design.pitr_retention_days > 0:
        deployment.table_restore = MultiActiveRestore(
            world, service, keys=range(study.workload.observed_keys),
            restore=streams.sampler("dynamodb/restore", design.restore_s),
            repoint=streams.sampler("operator/repoint", study.failover.repoint_s),
            lrt_lag_s=300.0, retention_s=design.pitr_retention_days * 86400.0,
            new_replica=lambda old, suffix: new_replica(f"{old.name}-{suffix}", old.region,
                                                        old.index),
        )
    return deployment


def _build_mrsc(world: World, net: Network, study, design) -> Deployment:
    streams = world.streams
    log = Log()
    member = FollowConfig(mode="quorum", readable=True, ack_on="flush",
                          flush=streams.sampler("dynamodb/member_write", design.write_ms, _MS))
    witness_cfg = FollowConfig(mode="quorum", readable=False, ack_on="receive")

    def new_node(name: str, region: str, follow: FollowConfig) -> Node:
        node = Node(world, net, name, region, log.root)
        node.follow = follow
        node.dataset = design.name
        return node

    replicas = [new_node(f"{design.name}-{region}", region, member) for region in design.regions]
    members = list(replicas)
    if design.witness_region:
        witness = new_node(f"{design.name}-witness", design.witness_region, witness_cfg)
        witness.internal = True
        members.append(witness)
    group = ReplicationGroup(
        world, net, replicas[0], flush=streams.sampler("dynamodb/leader_write", constant(0.0)),
        background_writes_per_s=study.workload.write_rate_per_s, quorum=1, strict_quorum=True,
        name=design.name,
    )
    for node in members[1:]:
        group.add_follower(node, in_sync=True)
    writer = Endpoint(world, f"{design.name}.leader", _ENDPOINT_TTL_S, [replicas[0]])
    service = Service(world, log, group, writer, writer)
    for node in replicas:
        endpoint = Endpoint(world, f"dynamodb.{node.region}", _ENDPOINT_TTL_S, [node])
        service.local_writers[node.region] = endpoint
        service.local_readers_by_region[node.region] = endpoint
        _forward_to_leader(net, service, node, reads=design.consistent_reads)
    for node in members:
        service.nodes[node.name] = node

    def observer() -> str:
        leader = service.group.primary
        for node in members:
            if node is not leader and net.is_up(node.region):
                return node.region
        return leader.region

    majority = len(members) // 2 + 1

    def leader_lost_majority() -> bool:
        """The consensus vote: does the leader still reach a majority (itself included)?"""
        leader = service.group.primary
        if not leader.responsive:
            return True
        reached = 1 + sum(
            1 for m in members
            if m is not leader and m.responsive and net.reachable(leader.az, m.az)
        )
        return reached < majority

    def newest_live_log():
        """A new leader first catches up from the most advanced live member."""
        leader = service.group.primary
        live = [m for m in members if m is not leader and m.responsive]
        if len(live) < majority:
            return None  # the new leader and its voters must be a majority themselves
        best = max(live, key=lambda m: (m.timeline.tid, m.lsn))
        return best.timeline, best.lsn

    controller = FailoverController(
        world, net, service, group, name=design.name, detection=design.detection,
        promotion=streams.sampler("control/promotion", design.promotion_s),
        replace=None, restore=streams.sampler("control/restore", constant(0.0)),
        archive_interval_s=300.0,
        candidate=lambda g: most_advanced(
            link.follower for link in g.links.values()
            if link.in_sync and not link.follower.internal
        ),
        observer=observer,
        confirm=leader_lost_majority,
        recovery_point=newest_live_log,
    )
    return RegionalDeployment(service, dict(service.nodes), [controller])


def _forward_to_leader(net: Network, service: Service, node: Node, reads: bool) -> None:
    """A non-leader member relays writes (and strongly consistent reads) to the leader."""

    def forward_write(key: int, write_id: int, reply) -> None:
        leader = service.group.primary

        def back(ok, version, error, prev=None) -> None:
            net.send(leader.az, node.az, reply, ok, version, error, prev)

        net.send(node.az, leader.az, leader.receive_write, key, write_id, back)

    def forward_read(key: int, reply) -> None:
        leader = service.group.primary

        def back(ok, value, version, error) -> None:
            net.send(leader.az, node.az, reply, ok, value, version, error)

        net.send(node.az, leader.az, leader.receive_read, key, back)

    node.forward_writes = forward_write
    if reads:
        node.forward_reads = forward_read
