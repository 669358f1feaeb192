"""Route 53 DNS failover in front of a design: records that follow health checks."""

from __future__ import annotations

from hadrsim.simulator.dns_failover import FailoverRecord
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.service import Service
from hadrsim.simulator.world import World


def attach_route53(world: World, net: Network, study, name: str, spec, service: Service,
                   secondary: Node) -> FailoverRecord:
    """Clients resolve the failover record; its primary is the writer endpoint's target.

    The secondary (a cross-Region replica or secondary cluster) answers writes
    only once it is promoted, so the client-visible RTO is the later of the DNS
    switch (detection + propagation + TTL) and the promotion.
    """
    record = FailoverRecord(
        world, net, f"{name}.route53", ttl_s=spec.ttl_s,
        primary=lambda: service.writer.targets[0] if service.writer.targets else None,
        secondary=lambda: secondary,
        checker_regions=spec.checker_regions or [r.name for r in study.network.regions],
        interval_s=spec.request_interval_s,
        failure_threshold=spec.failure_threshold,
        timeout_s=spec.timeout_s,
        healthy_fraction=spec.healthy_fraction,
        propagation=world.streams.sampler("route53/propagation", spec.propagation_s),
    )
    service.front = record
    return record
