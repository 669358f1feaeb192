"""From an inventory of AWS resources to a study that simulates them (pure).

Resources are grouped into designs by their ``hadrsim:design`` tag when they carry one
(so a deployment made by ``hadrsim apply`` gets its design names back, and node names
from ``hadrsim:node``), else one design per top-level primary: a DB instance that is no
replica and no cluster member (with its read replicas, same or cross Region), a DB cluster
that is no global secondary (with its instances, and a global cluster's secondaries), a
DynamoDB table (with its replica Regions). Kinds follow what was read: ``MultiAZ`` makes an
instance ``rds_multi_az_instance``; an ``aurora*`` engine makes a cluster ``aurora`` (or
``aurora_global`` in a global cluster), any other cluster engine ``rds_multi_az_cluster``;
``MultiRegionConsistency: STRONG`` makes a table ``consistency: strong``.

What cannot be read keeps the simulator's calibrated default (failover timings, lags).
The study gets a default set of scenarios (instance crash, AZ outage, Region outage) and
the SecureCart policy as a starting point; RTTs between Regions missing from the
calibrated table are assumed (70 ms on one continent, 150 ms across) and reported.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from hadrsim.spec.cron import parse_cron
from hadrsim.spec.kinds import kind_of
from hadrsim.spec.network import KNOWN_REGION_RTT_MS

__all__ = ["DEFAULT_POLICY", "DEFAULT_SCENARIOS", "build_study", "referenced_regions"]

DESIGN_TAG, NODE_TAG, STUDY_TAG = "hadrsim:design", "hadrsim:node", "hadrsim:study"

DEFAULT_SCENARIOS: list[dict[str, Any]] = [
    {"name": "instance-crash", "description": "the primary's host dies (RDS replaces it)",
     "scheduled": [{"kind": "instance_crash", "target": "primary", "at_s": 300}]},
    {"name": "az-outage", "description": "the primary's AZ is lost for 2 hours",
     "scheduled": [{"kind": "az_outage", "target": "primary_az", "at_s": 300,
                    "duration_s": 7200}]},
    {"name": "region-outage", "description": "the primary's Region is lost for 5 hours",
     "horizon_s": 4200,
     "scheduled": [{"kind": "region_outage", "target": "primary_region", "at_s": 300,
                    "duration_s": 18000}]},
]
# The bundled SecureCart policy: a starting point to edit, not a recommendation.
DEFAULT_POLICY = {"Software": {"rto_s": 7200, "rpo_s": 900}, "Hardware": {"rto_s": 120, "rpo_s": 0},
                  "AZ": {"rto_s": 120, "rpo_s": 0}, "Region": {"rto_s": 3600, "rpo_s": 300}}
_RTT_SAME_CONTINENT_MS, _RTT_OTHER_MS = 70.0, 150.0  # ASM: no measurement for the pair
_NOT_RDS = ("neptune", "docdb")  # DescribeDBClusters/Instances list these engines too


def _region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def _id_of_arn(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def referenced_regions(inventory: dict[str, Any]) -> set[str]:
    """Regions resources point to (replicas, secondaries, copies), scanned or not."""
    found = {i["region"] for i in inventory["instances"]}
    for inst in inventory["instances"]:
        found |= {_region_of_arn(r) for r in inst["replicas"] if r.startswith("arn:")}
        found |= set(inst["backup_copies"])
    for glob in inventory["global_clusters"]:
        found |= {_region_of_arn(m["arn"]) for m in glob["members"]}
    for table in inventory["tables"]:
        found |= {table["region"], *table["replicas"], *table["witnesses"]}
    for plan in inventory["backup_plans"]:
        for rule in plan["rules"]:
            found |= {_region_of_arn(c["DestinationBackupVaultArn"])
                      for c in rule.get("CopyActions") or []}
    return found | {c["region"] for c in inventory["clusters"]}


class _Builder:
    def __init__(self, inventory: dict[str, Any]):
        self.inv = inventory
        self.azs: dict[str, list[str]] = inventory["regions"]
        self.warnings: list[str] = list(inventory.get("warnings", []))
        self.instances = {(i["region"], i["id"]): i for i in inventory["instances"]}
        self.by_arn = {i["arn"]: i for i in inventory["instances"] if i.get("arn")}
        self.clusters_by_arn = {c["arn"]: c for c in inventory["clusters"] if c.get("arn")}
        self.designs: list[dict[str, Any]] = []
        self.resources: dict[str, list[str]] = {}  # design -> ARNs (backup selections)
        self.tags: dict[str, dict[str, str]] = {}  # design -> root tags

    def az(self, region: str, az: str | None) -> str | None:
        """An AZ only if it belongs to the Region (some endpoints report others)."""
        return az if az in self.azs.get(region, []) else None

    def add(self, design: dict[str, Any], tags: dict[str, str], arns: list[str]) -> None:
        wanted = tags.get(DESIGN_TAG) or design["name"]
        name, k = wanted, 2
        while name in self.resources:
            name, k = f"{wanted}-{k}", k + 1
        if name != wanted:
            self.warnings.append(f"two designs are called {wanted!r}: the second is {name!r}")
        design = {"name": name, "kind": design.pop("kind"),
                  **{k: v for k, v in design.items() if k != "name"}}
        self.designs.append(design)
        self.resources[name] = [a for a in arns if a]
        self.tags[name] = tags

    # -- RDS instances -------------------------------------------------------------
    def instance_design(self, db: dict[str, Any]) -> None:
        region = db["region"]
        design: dict[str, Any] = {"name": db["id"], "region": region,
                                  "instance_class": db["instance_class"]}
        if db.get("storage_gb"):
            design["allocated_storage_gb"] = float(db["storage_gb"])
        az = self.az(region, db["az"])
        if db["multi_az"]:
            design["kind"] = "rds_multi_az_instance"
            standby = self.az(region, db["secondary_az"])
            if az and standby is None:  # not reported: any other AZ (the simulator's choice)
                standby = next((z for z in self.azs[region] if z != az), None)
            design.update({k: v for k, v in (("primary_az", az), ("standby_az", standby)) if v})
        else:
            design["kind"] = "rds_single_az"
            if az:
                design["az"] = az
        backups: dict[str, Any] = {"retention_days": min(35, int(db["retention_days"] or 0))}
        copies = [r for r in db["backup_copies"] if r != region]
        if copies:
            backups["copy_to_region"] = copies[0]
        design["backups"] = backups
        replicas, arns = [], [db["arn"]]
        for ref in db["replicas"]:
            r_region = _region_of_arn(ref) if ref.startswith("arn:") else region
            replica = self.instances.get((r_region, _id_of_arn(ref) if ref.startswith("arn:")
                                          else ref))
            spec: dict[str, Any] = {"name": (replica or {}).get("tags", {}).get(NODE_TAG)
                                    or (_id_of_arn(ref) if ref.startswith("arn:") else ref),
                                    "region": r_region}
            if replica and self.az(r_region, replica["az"]):
                spec["az"] = replica["az"]
            if replica and replica["replicas"]:
                self.warnings.append(f"replica {replica['id']} has replicas of its own: "
                                     "they are not simulated")
            replicas.append(spec)
            arns.append(replica["arn"] if replica else ref)
        if replicas:
            design["replicas"] = replicas
        self.add(design, db["tags"], arns)

    # -- DB clusters ---------------------------------------------------------------
    def cluster_design(self, cl: dict[str, Any], secondaries: list[str]) -> None:
        region = cl["region"]
        members = [(m, self.instances.get((region, m["id"]))) for m in cl["members"]]
        writer = next((inst for m, inst in members if m["writer"] and inst), None)
        if writer is None and members and members[0][1]:
            writer = members[0][1]
        aurora = cl["engine"].startswith("aurora")
        design: dict[str, Any] = {"name": cl["id"], "region": region}
        arns = [cl["arn"]] + [inst["arn"] for _, inst in members if inst]
        if aurora:
            design["kind"] = "aurora_global" if secondaries else "aurora"
            if writer:
                design["instance_class"] = writer["instance_class"]
                if self.az(region, writer["az"]):
                    design["writer_az"] = writer["az"]
            readers = []
            for m, inst in members:
                if inst is None or inst is writer:
                    continue
                reader: dict[str, Any] = {"name": inst["tags"].get(NODE_TAG) or inst["id"],
                                          "instance_class": inst["instance_class"]}
                tier = m.get("tier") if m.get("tier") is not None else inst["promotion_tier"]
                if tier is not None:
                    reader["promotion_tier"] = int(tier)
                if self.az(region, inst["az"]):
                    reader["az"] = inst["az"]
                readers.append(reader)
            design["readers"] = readers
            storage = [z for z in cl["azs"] if self.az(region, z)]
            if len(set(storage)) == 3:
                design["storage_azs"] = sorted(set(storage))
            design["backups"] = {"retention_days": max(1, min(35, int(cl["retention_days"])))}
            if secondaries:
                design["secondaries"] = [{"region": r} for r in secondaries]
        else:
            design["kind"] = "rds_multi_az_cluster"
            design["instance_class"] = cl["instance_class"] or (writer or {}).get(
                "instance_class") or "db.r6g.large"
            if cl.get("storage_gb"):
                design["allocated_storage_gb"] = float(cl["storage_gb"])
            ordered = [writer] + [inst for _, inst in members if inst and inst is not writer]
            azs = [self.az(region, inst["az"]) for inst in ordered if inst]
            if len(azs) == 3 and None not in azs and len(set(azs)) == 3:
                design["azs"] = azs
            design["backups"] = {"retention_days": min(35, int(cl["retention_days"] or 0))}
        self.add(design, cl["tags"], arns)

    # -- DynamoDB ------------------------------------------------------------------
    def table_designs(self) -> None:
        groups: dict[str, list[dict[str, Any]]] = {}
        for table in self.inv["tables"]:
            key = table["tags"].get(DESIGN_TAG) or table["name"]
            group = groups.setdefault(key, [])
            # a table seen from each of its Regions is one global table
            if not any(table["region"] in [t["region"], *t["replicas"]] and
                       t["name"] == table["name"] for t in group):
                group.append(table)
        for tables in groups.values():
            first = tables[0]
            regions = [first["region"]]
            for t in tables:
                regions += [r for r in [t["region"], *t["replicas"]] if r not in regions]
            design: dict[str, Any] = {"name": first["name"], "kind": "dynamodb_global_table",
                                      "regions": regions,
                                      "pitr_retention_days": int(first["pitr_days"])}
            if first["size_bytes"]:
                design["table_gb"] = max(first["size_bytes"] / 1e9, 0.001)
            if first["consistency"] == "STRONG":
                members = len(regions) + len(first["witnesses"][:1])
                if members == 3:
                    design["consistency"] = "strong"
                    if first["witnesses"]:
                        design["witness_region"] = first["witnesses"][0]
                else:
                    self.warnings.append(f"table {first['name']}: strong consistency with "
                                         f"{members} members is not MRSC's 3; simulated as "
                                         "eventual")
            self.add(design, first["tags"], [t["arn"] for t in tables])

    # -- Route 53 and backups --------------------------------------------------------
    def route53(self) -> None:
        endpoints: dict[str, dict[str, Any]] = {}
        for design in self.designs:
            for arn in self.resources[design["name"]][:1]:
                root = self.by_arn.get(arn) or self.clusters_by_arn.get(arn) or {}
                if root.get("endpoint"):
                    endpoints[root["endpoint"].rstrip(".")] = design
                endpoints.setdefault(_id_of_arn(arn), design)
        for record in self.inv["failover_records"]:
            value = record["primary"]
            design = endpoints.get(value) or endpoints.get(value.split(".")[0])
            if design is None:
                self.warnings.append(f"Route 53 failover record {record['name']}: its primary "
                                     f"{value} is no discovered database; ignored")
                continue
            copies = [*design.get("replicas", []), *design.get("secondaries", [])]
            dr = any(c["region"] != design["region"] for c in copies)
            if not dr or "route53" not in kind_of(design["kind"]).spec.model_fields:
                self.warnings.append(f"Route 53 record {record['name']} fronts {design['name']}, "
                                     "which has no copy in another Region; ignored")
                continue
            spec: dict[str, Any] = {}
            if record.get("ttl_s") is not None:
                spec["ttl_s"] = float(record["ttl_s"])
            if record.get("interval_s") in (10, 30):
                spec["request_interval_s"] = float(record["interval_s"])
            if record.get("failure_threshold") and 1 <= record["failure_threshold"] <= 10:
                spec["failure_threshold"] = int(record["failure_threshold"])
            design["route53"] = spec

    def backup_plans(self, regions: list[str]) -> list[dict[str, Any]]:
        plans, names = [], set()
        for plan in self.inv["backup_plans"]:
            rules = [r for r in (self._rule(plan, raw, regions) for raw in plan["rules"]) if r]
            if not rules:
                self.warnings.append(f"backup plan {plan['name']}: no rule hadrsim can "
                                     "simulate; left out")
                continue
            name, k = plan["name"], 2
            while name in names:
                name, k = f"{plan['name']}-{k}", k + 1
            names.add(name)
            plans.append({"name": name, "rules": rules,
                          "selection": self._selected(plan.get("selections") or [])})
        return plans

    def _rule(self, plan: dict, raw: dict, regions: list[str]) -> dict[str, Any] | None:
        schedule = raw.get("ScheduleExpression") or "cron(0 5 ? * * *)"  # AWS's default
        try:
            parse_cron(schedule)
        except ValueError as exc:
            self.warnings.append(f"backup plan {plan['name']} rule {raw['RuleName']}: {exc}; "
                                 "rule left out")
            return None
        life = raw.get("Lifecycle") or {}
        rule: dict[str, Any] = {
            "name": raw["RuleName"], "schedule": schedule,
            "start_window_min": max(60, int(raw.get("StartWindowMinutes") or 480)),
            "completion_window_min": max(60, int(raw.get("CompletionWindowMinutes") or 10080)),
            "lifecycle": {k: life[a] for k, a in (
                ("move_to_cold_storage_after_days", "MoveToColdStorageAfterDays"),
                ("delete_after_days", "DeleteAfterDays")) if life.get(a)},
            "continuous": bool(raw.get("EnableContinuousBackup")),
        }
        own = plan["arn"].split(":")[4] if plan["arn"].count(":") >= 4 else ""
        copies = []
        for copy in raw.get("CopyActions") or []:
            arn = copy["DestinationBackupVaultArn"]
            entry: dict[str, Any] = {"region": _region_of_arn(arn)}
            if arn.split(":")[4] not in ("", own):
                entry["account"] = arn.split(":")[4]
            if (copy.get("Lifecycle") or {}).get("DeleteAfterDays"):
                entry["delete_after_days"] = copy["Lifecycle"]["DeleteAfterDays"]
            if entry["region"] in regions:
                copies.append(entry)
        rule["copy_to"] = copies
        return rule

    def _selected(self, selections: list[dict[str, Any]]) -> list[str]:
        chosen = []
        for design, arns in self.resources.items():
            tags = self.tags[design]
            for sel in selections:
                by_arn = any(fnmatch.fnmatchcase(arn, pattern)
                             for pattern in sel["resources"] for arn in arns)
                by_tag = bool(sel["tags"]) and all(tags.get(k) == v
                                                   for k, v in sel["tags"].items())
                if by_arn or by_tag:
                    chosen.append(design)
                    break
        return chosen


def _network(regions: list[str], azs: dict[str, list[str]], warnings: list[str]) -> dict:
    links = []
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            if frozenset({a, b}) in KNOWN_REGION_RTT_MS:
                continue
            same = a.split("-")[0] == b.split("-")[0]
            rtt = _RTT_SAME_CONTINENT_MS if same else _RTT_OTHER_MS
            links.append({"a": a, "b": b, "rtt_ms": rtt})
            warnings.append(f"RTT {a} <-> {b} assumed {rtt:g} ms: edit network.region_rtt_ms")
    network: dict[str, Any] = {"regions": [{"name": r, "azs": azs[r]} for r in regions]}
    if links:
        network["region_rtt_ms"] = links
    return network


def build_study(inventory: dict[str, Any], name: str | None = None
                ) -> tuple[dict[str, Any], list[str]]:
    """(study as a dict ready for YAML, warnings). Raises ValueError if nothing is found."""
    b = _Builder(inventory)
    globals_by_cluster = {}
    for glob in inventory["global_clusters"]:
        members = glob["members"]
        primary = next((m for m in members if m["writer"]), members[0] if members else None)
        if primary:
            globals_by_cluster[primary["arn"]] = [_region_of_arn(m["arn"]) for m in members
                                                  if m is not primary]
            for m in members:
                if m is not primary:
                    globals_by_cluster.setdefault(m["arn"], None)
    for db in inventory["instances"]:
        if db["engine"].startswith(_NOT_RDS):
            continue  # the cluster (below) says it is left out
        if db["cluster"]:
            continue
        if db["source"]:
            source = db["source"]
            if source not in b.by_arn and (db["region"], source) not in b.instances:
                b.warnings.append(f"replica {db['id']} ({db['region']}): its source {source} "
                                  "was not discovered (scan its Region too); left out")
            continue
        b.instance_design(db)
    for cl in inventory["clusters"]:
        if cl["engine"].startswith(_NOT_RDS):
            b.warnings.append(f"{cl['engine']} cluster {cl['id']}: not RDS or Aurora; left out")
            continue
        secondaries = globals_by_cluster.get(cl["arn"], [])
        if secondaries is None:
            continue  # a global secondary: part of its primary's design
        b.cluster_design(cl, secondaries)
    b.table_designs()
    if not b.designs:
        raise ValueError(f"no database found in {sorted(inventory['regions'])}: nothing to "
                         "simulate (RDS instances and clusters, DynamoDB tables)")
    b.route53()
    used: list[str] = []
    for design in b.designs:
        for region in [design.get("region"), *design.get("regions", []),
                       *(r["region"] for r in design.get("replicas", [])),
                       *(s["region"] for s in design.get("secondaries", [])),
                       design.get("witness_region"),
                       design.get("backups", {}).get("copy_to_region")]:
            if region and region not in used:
                used.append(region)
    plans = b.backup_plans(used)
    for plan in plans:
        for rule in plan["rules"]:
            used += [c["region"] for c in rule["copy_to"] if c["region"] not in used]
    studies = {t.get(STUDY_TAG) for t in b.tags.values()} - {None}
    study_name = name or (studies.pop() if len(studies) == 1 else "discovered")
    clients = [d["region"] for d in b.designs if d.get("region")]
    clients += [r for d in b.designs for r in d.get("regions", [])[:1]]
    clients += [r for r in used if r not in clients and r != _witness(b.designs, r)]
    study = {
        "name": re.sub(r"\s+", "-", study_name),
        "description": "Discovered by hadrsim discover; failover timings and lags are "
                       "hadrsim's calibrated defaults, not measured.",
        "seed": 0, "runs": 10, "horizon_s": 1800,
        "network": _network(used, b.azs, b.warnings),
        "workload": {"client_regions": list(dict.fromkeys(clients)), "idle_interval_s": 5.0},
        "failover": {"mode": "manual"},
        "designs": b.designs,
        "scenarios": DEFAULT_SCENARIOS,
        "policy": DEFAULT_POLICY,
    }
    if plans:
        study["backup_plans"] = plans
    return study, b.warnings


def _witness(designs: list[dict[str, Any]], region: str) -> str | None:
    return region if any(d.get("witness_region") == region for d in designs) else None
