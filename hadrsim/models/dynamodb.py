"""DynamoDB global tables assembled from engine parts.

* MREC (``consistency: eventual``, the default): one multi-active
  last-writer-wins replica per Region (:mod:`hadrsim.simulator.multileader`);
  every Region accepts writes; replication ~0.5 s; conflicts resolved silently.
* MRSC (``consistency: strong``): three members (replicas, or two replicas and a
  witness), no leader (:mod:`hadrsim.simulator.mrsc`). A write commits once it is
  durable in its own Region and in the nearest reachable other member (a majority of
  three, S16), so its latency is the local write + the RTT to that member
  (calibration.md §7), RPO is 0, and a Region keeps writing while it reaches one
  other member; one that reaches neither cannot write. Concurrent writes to one item
  from two Regions: one fails (``ReplicatedWriteConflictException``, S16).

A replica is a Regional service (it spans that Region's AZs): it lives at the
Region location, so an AZ outage does not take it down, a Region outage does.
An AZ outage of the table's Region is still an episode (the service absorbs it).

Logical corruption applies to both modes: the bad writes go through the normal
write path (a Region's replica: last writer wins for MREC, a majority write for
MRSC) and PITR restores a new table (S18, S18b: any second of the retention, latest
restorable ~ now - 5 min). With ``pitr_retention_days: 0`` there is no restore
point: the corruption stays and the event log says ``restore_impossible``.
"""

from __future__ import annotations

from itertools import count

from hadrsim.models.deployment import Deployment
from hadrsim.simulator.log import Log
from hadrsim.simulator.mrsc import MrscMember, MrscService
from hadrsim.simulator.multileader import LwwReplica, MultiActiveRestore, MultiActiveService
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.world import World
from hadrsim.spec.faults import Faults

_MS = 1e-3
_ENDPOINT_TTL_S = 60.0  # ASM: Regional service endpoints do not move
_PITR_LAG_S = 300.0  # calibration.md §7, S18b: latest restorable time ~ now - 5 min
_DAY_S = 86400.0


class RegionalDeployment(Deployment):
    """Fault targets of a Regional managed service (DynamoDB).

    Its replicas span their Region's AZs and hide host failures, so a symbolic
    host fault (``instance_crash`` of ``primary``) cannot apply (see
    :mod:`hadrsim.spec.applicability`); ``node:NAME`` still hits a Regional
    replica. ``primary_az`` and ``replica_az`` name an AZ of that replica's Region:
    the outage hits the table's footprint and the service absorbs it.
    """

    _HOST_FAULTS = (Faults.INSTANCE_CRASH, Faults.INSTANCE_HANG, Faults.STORAGE_LOSS)

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
        if target == "primary_az":
            return replicas[0].net.azs_of(replicas[0].region)[0]
        if target == "replica_az" and len(replicas) > 1:
            return replicas[1].net.azs_of(replicas[1].region)[0]
        if target in ("standby_az", "replica_az"):
            return None  # no standby: a Regional replica spans every AZ
        return target


class MultiActiveDeployment(RegionalDeployment):
    """A multi-active table: ``primary`` is the first Region's replica."""

    table_restore: MultiActiveRestore | None = None

    def _declines_now(self, fault) -> str | None:
        if fault.kind == Faults.LOGICAL_CORRUPTION:
            return None  # table_restore always exists (it may have no restore point)
        return super()._declines_now(fault)

    def corrupt(self, fault_id: int, detection_s: float, decision_s: float) -> None:
        self.table_restore.corrupt(fault_id, detection_s, decision_s)


def build_dynamodb(world: World, net: Network, study, design) -> Deployment:
    if design.consistency == "eventual":
        return _build_mrec(world, net, study, design)
    return _build_mrsc(world, net, study, design)


def _build_mrec(world: World, net: Network, study, design) -> Deployment:
    streams = world.streams
    log = Log()
    replicas = []
    log_ids = count()  # commit-record timelines: restored replicas get new ones

    def new_replica(name: str, region: str, i: int) -> LwwReplica:
        return LwwReplica(
            world, net, name, region, log.root, index=i,
            write_latency=streams.sampler(f"dynamodb/{region}/write", design.write_ms, _MS),
            replication_lag=streams.sampler(f"dynamodb/{region}/lag", design.replication_lag_s),
            lag_regime_s=design.lag_regime_s,
            read_staleness=streams.sampler(f"dynamodb/{region}/staleness",
                                           design.read_staleness_s),
            consistent_reads=design.consistent_reads, log_id=next(log_ids),
            dataset=design.name,
        )

    for i, region in enumerate(design.regions):
        replicas.append(new_replica(f"{design.name}-{region}", region, i))
    endpoints = {
        r.region: Endpoint(world, f"dynamodb.{r.region}", _ENDPOINT_TTL_S, [r]) for r in replicas
    }
    service = MultiActiveService(world, replicas, endpoints)
    deployment = MultiActiveDeployment(service, {r.name: r for r in replicas})
    # retention 0 (PITR off): corruption still applies; the restore finds no point (S18b)
    deployment.table_restore = MultiActiveRestore(
        world, service, keys=range(study.workload.observed_keys),
        restore=streams.sampler("dynamodb/restore", design.restore_s),
        repoint=streams.sampler("operator/repoint", study.failover.repoint_s),
        lrt_lag_s=_PITR_LAG_S, retention_s=design.pitr_retention_days * _DAY_S,
        new_replica=lambda old, suffix: new_replica(f"{old.name}-{suffix}", old.region,
                                                    old.index),
    )
    return deployment


def _build_mrsc(world: World, net: Network, study, design) -> Deployment:
    """Three members, leaderless: each Region's write commits with its nearest member.

    See :mod:`hadrsim.simulator.mrsc` (calibration.md §7, S16): write latency is the
    local write plus the RTT to the nearest reachable member; strongly consistent
    reads take one round trip to a member; a Region that reaches no other member
    cannot write. PITR restores a new MRSC table (S18, S18b), like MREC's.
    """
    streams = world.streams
    log = Log()
    log_ids = count()  # commit-record timelines: restored members get new ones

    def new_member(name: str, region: str, witness: bool, generation: int) -> MrscMember:
        return MrscMember(
            world, net, name, region, log.root, log_id=next(log_ids),
            # ASM (calibration.md §7): the same single-digit-ms durable write everywhere
            write_latency=streams.sampler(f"dynamodb/{region}/write", design.write_ms, _MS),
            read_staleness=streams.sampler(f"dynamodb/{region}/staleness",
                                           design.read_staleness_s),
            consistent_reads=design.consistent_reads, witness=witness, generation=generation,
            dataset=design.name,
        )

    members = [new_member(f"{design.name}-{region}", region, False, 0)
               for region in design.regions]
    if design.witness_region:
        members.append(new_member(f"{design.name}-witness", design.witness_region, True, 0))
    endpoints = {m.region: Endpoint(world, f"dynamodb.{m.region}", _ENDPOINT_TTL_S, [m])
                 for m in members if not m.internal}
    service = MrscService(world, members, endpoints)
    deployment = MultiActiveDeployment(service, {m.name: m for m in members})
    generations: dict[str, int] = {}  # one per restored table: its versions start higher

    def restored_member(old: MrscMember, suffix: str) -> MrscMember:
        generation = generations.setdefault(suffix, len(generations) + 1)
        return new_member(f"{old.name}-{suffix}", old.region, old.internal, generation)

    # retention 0 (PITR off): corruption still applies; the restore finds no point (S18b)
    deployment.table_restore = MultiActiveRestore(
        world, service, keys=range(study.workload.observed_keys),
        restore=streams.sampler("dynamodb/restore", design.restore_s),
        repoint=streams.sampler("operator/repoint", study.failover.repoint_s),
        lrt_lag_s=_PITR_LAG_S, retention_s=design.pitr_retention_days * _DAY_S,
        new_replica=restored_member,
    )
    return deployment
