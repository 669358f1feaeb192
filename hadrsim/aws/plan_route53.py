"""Route 53 DNS failover in front of a design's writer, as calls.

A hosted zone ``<study>-<design>.<domain>`` (public: Route 53's health checkers probe from
the internet; delegate it from a domain you own, the default ``hadrsim.example`` is
reserved), a TCP health check on the writer's endpoint and port, and a failover record
pair ``writer.<zone>``: PRIMARY (the writer, with the health check) and SECONDARY (the
first cross-Region replica, or the first Aurora secondary cluster). Model field -> API:
``request_interval_s`` -> ``RequestInterval`` (10 or 30), ``failure_threshold`` ->
``FailureThreshold``, ``checker_regions`` -> ``Regions``, ``ttl_s`` -> the records' TTL.
Route 53 calls go to its control plane in us-east-1 whatever the design's Region.
"""

from __future__ import annotations

from hadrsim.aws.naming import tag_list
from hadrsim.aws.plan import PlanBuilder, PlanError, Ref, Resource, Wait

__all__ = ["CHECKER_REGIONS", "CONTROL_REGION", "plan_failover"]

CONTROL_REGION = "us-east-1"
# Route 53 health checkers run in these Regions only (HealthCheckConfig.Regions, S20).
CHECKER_REGIONS = ("us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1",
                   "ap-southeast-2", "ap-northeast-1", "sa-east-1")


def plan_failover(b: PlanBuilder, spec, domain: str) -> None:
    """Add the zone, the health check and the failover records of ``spec``."""
    writer, target = b.writer, b.failover_target
    if writer is None or writer.get("address") is None or target is None:
        raise PlanError(f"designs.{b.design.name}.route53: needs a writer endpoint and a "
                        "cross-Region replica or secondary to fail over to")
    regions = spec.checker_regions
    if regions is not None:
        bad = [r for r in regions if r not in CHECKER_REGIONS]
        if bad:
            raise PlanError(f"designs.{b.design.name}.route53.checker_regions: {bad} have no "
                            f"Route 53 health checkers; choose from {list(CHECKER_REGIONS)}")
    if abs(spec.healthy_fraction - 0.18) > 1e-9:
        b.note(f"route53.healthy_fraction {spec.healthy_fraction}: fixed by Route 53 at 18%")
    if spec.timeout_s != 4.0:
        b.note(f"route53.timeout_s {spec.timeout_s:g}: fixed by Route 53, not settable")
    b.note("route53.propagation_s is Route 53's own (changes reach its servers within 60 s)")
    base, region = b.id(), CONTROL_REGION
    zone_name = f"{base}.{domain}"
    tags = b.tags(role="dns")
    zone_ref = f"hadrsim-{base}-zone"
    zone = b.add("route53", region, "create_hosted_zone",
                 {"Name": zone_name, "CallerReference": zone_ref,
                  "HostedZoneConfig": {"Comment": f"hadrsim {b.study.name}/{b.design.name}",
                                       "PrivateZone": False}},
                 Resource("route53:hosted-zone", region, zone_name, tags,
                          {"caller_reference": zone_ref}),
                 exists=f"list_hosted_zones_by_name(DNSName={zone_name})",
                 purpose=f"hosted zone {zone_name} (delegate it from {domain})")
    _tags(b, "hostedzone", zone_name, Ref(zone, "ZoneId"), tags, zone)
    check_ref = f"hadrsim-{base}-primary"
    config = {"Type": "TCP", "FullyQualifiedDomainName": writer["address"],
              "Port": writer["port"], "RequestInterval": int(spec.request_interval_s),
              "FailureThreshold": spec.failure_threshold}
    if regions is not None:
        config["Regions"] = list(regions)
    check = b.add("route53", region, "create_health_check",
                  {"CallerReference": check_ref, "HealthCheckConfig": config},
                  Resource("route53:health-check", region, f"{base}-primary", tags,
                           {"caller_reference": check_ref}),
                  exists=f"list_health_checks() with CallerReference {check_ref}",
                  purpose=f"TCP health check of the writer every {spec.request_interval_s:g} s, "
                          f"down after {spec.failure_threshold} failures")
    _tags(b, "healthcheck", f"{base}-primary", Ref(check, "Id"),
          {**tags, "Name": f"{base}-primary"}, check)
    name = f"writer.{zone_name}"
    ttl = int(round(spec.ttl_s))

    def record(set_id: str, role: str, address, health: Ref | None) -> dict:
        record_set = {"Name": name, "Type": "CNAME", "SetIdentifier": set_id, "Failover": role,
                      "TTL": ttl, "ResourceRecords": [{"Value": address}]}
        if health is not None:
            record_set["HealthCheckId"] = health
        return {"Action": "UPSERT", "ResourceRecordSet": record_set}

    b.add("route53", region, "change_resource_record_sets",
          {"HostedZoneId": Ref(zone, "ZoneId"), "ChangeBatch": {
              "Comment": "hadrsim failover records",
              "Changes": [record("primary", "PRIMARY", writer["address"], Ref(check, "Id")),
                          record("secondary", "SECONDARY", target["address"], None)]}},
          Resource("route53:failover-records", region, name, tags,
                   {"zone": zone, "name": name, "set_ids": ["primary", "secondary"]}),
          exists=f"list_resource_record_sets(zone {zone_name}, name {name})",
          purpose=f"failover CNAME {name}, TTL {ttl} s: PRIMARY {writer['id']}, SECONDARY "
                  f"{target['id']} ({target['region']})",
          wait=Wait("resource_record_sets_changed", {"Id": Ref("@response", "ChangeInfo.Id")}))


def _tags(b: PlanBuilder, kind: str, name: str, resource_id: Ref, tags: dict, of: str) -> None:
    b.add("route53", CONTROL_REGION, "change_tags_for_resource",
          {"ResourceType": kind, "ResourceId": resource_id, "AddTags": tag_list(tags)},
          Resource("route53:tags", CONTROL_REGION, f"{kind}/{name}", tags,
                   {"type": kind, "of": of}),
          exists=f"list_tags_for_resource(ResourceType={kind})", creates=False,
          purpose=f"tag the {kind} (create_* takes no tags)", after=(of,))
