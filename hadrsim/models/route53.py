"""Route 53 DNS failover in front of a design: records that follow health checks."""

from __future__ import annotations

from hadrsim.simulator.dns_failover import FailoverRecord
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.routing import FollowingEndpoint
from hadrsim.simulator.service import Service
from hadrsim.simulator.world import World


def attach_route53(world: World, net: Network, study, name: str, spec, service: Service,
                   secondary: Node) -> FailoverRecord:
    """Clients resolve the failover record; it answers with a *name* (a CNAME).

    The primary record names the design's writer endpoint, so an in-Region
    failover (which repoints that endpoint, TTL 5 s: calibration.md §2, S11)
    reaches clients after the endpoint's TTL, not the record's. The checkers
    probe the node that endpoint names. The secondary record names the replica
    the DR runbook promotes (``service.dr_target()``: one decision for both; the
    given ``secondary`` when there is no runbook or no responsive replica), at
    the replica endpoint's TTL. That replica answers writes only once promoted,
    so the client-visible RTO of a Region outage is the later of the DNS switch
    (detection + propagation + TTL, calibration.md §8) and the promotion.
    """

    def dr_target() -> Node | None:
        chosen = service.dr_target()
        return chosen if chosen is not None else secondary

    standby = FollowingEndpoint(f"{name}.dr-writer", service.writer.ttl_s, dr_target)
    record = FailoverRecord(
        world, net, f"{name}.route53", ttl_s=spec.ttl_s,
        primary=service.writer,
        secondary=standby,
        checker_regions=spec.checker_regions or [r.name for r in study.network.regions],
        interval_s=spec.request_interval_s,
        failure_threshold=spec.failure_threshold,
        timeout_s=spec.timeout_s,
        healthy_fraction=spec.healthy_fraction,
        propagation=world.streams.sampler("route53/propagation", spec.propagation_s),
    )
    service.set_front(record)
    return record
