"""Building a study from an inventory (pure), on data shaped like AWS's responses,
including what moto cannot produce: DynamoDB ``Replicas`` and witnesses, backup
selections."""

from __future__ import annotations

import copy

import pytest

from hadrsim.aws.discover_build import build_study, referenced_regions
from hadrsim.spec.loader import parse_study

AZS = {"us-east-1": ["us-east-1a", "us-east-1b", "us-east-1c"],
       "us-east-2": ["us-east-2a", "us-east-2b", "us-east-2c"],
       "us-west-2": ["us-west-2a", "us-west-2b", "us-west-2c"],
       "eu-west-2": ["eu-west-2a", "eu-west-2b", "eu-west-2c"]}
TAGS = {"hadrsim:study": "shop", "hadrsim:design": "ledger"}


def _instance(**kw):
    base = {"region": "us-east-1", "arn": None, "instance_class": "db.m6g.large",
            "engine": "postgres", "az": None, "secondary_az": None, "multi_az": False,
            "storage_gb": 100, "retention_days": 7, "cluster": None, "source": None,
            "replicas": [], "promotion_tier": None, "endpoint": None, "backup_copies": [],
            "tags": {}}
    base.update(kw)
    base["arn"] = base["arn"] or f"arn:aws:rds:{base['region']}:1:db:{base['id']}"
    return base


def _table(**kw):
    base = {"region": "us-east-1", "replicas": [], "consistency": "EVENTUAL",
            "witnesses": [], "pitr_days": 0, "size_bytes": 0, "tags": {}}
    base.update(kw)
    base["arn"] = f"arn:aws:dynamodb:{base['region']}:1:table/{base['name']}"
    return base


INVENTORY = {
    "regions": {r: AZS[r] for r in ("us-east-1", "us-west-2")},
    "instances": [
        _instance(id="ledger-w", cluster="ledger-db", az="us-east-1a", tags=TAGS),
        _instance(id="ledger-r1", cluster="ledger-db", az="us-east-1b", tags=TAGS),
        _instance(id="ledger-r2", cluster="ledger-db", az="us-east-1c", tags=TAGS),
        _instance(id="orphan", region="us-west-2", source="arn:aws:rds:eu-west-2:1:db:gone"),
        _instance(id="docs-1", cluster="docs", engine="docdb"),
    ],
    "clusters": [{"region": "us-east-1", "id": "ledger-db", "arn": "arn:aws:rds:us-east-1:1:"
                  "cluster:ledger-db", "engine": "postgres", "azs": [], "retention_days": 14,
                  "instance_class": "db.m6gd.large", "storage_gb": 400, "endpoint": None,
                  "members": [{"id": "ledger-w", "writer": True, "tier": 1},
                              {"id": "ledger-r1", "writer": False, "tier": 1},
                              {"id": "ledger-r2", "writer": False, "tier": 1}],
                  "tags": TAGS},
                 {"region": "us-east-1", "id": "docs", "arn": "arn:aws:rds:us-east-1:1:cluster:"
                  "docs", "engine": "docdb", "azs": [], "retention_days": 1,
                  "instance_class": None, "storage_gb": None, "endpoint": None,
                  "members": [{"id": "docs-1", "writer": True, "tier": 1}], "tags": {}}],
    "global_clusters": [],
    "tables": [
        _table(name="carts", replicas=["us-west-2"], pitr_days=7, size_bytes=5 * 10**9),
        _table(name="votes", replicas=["us-west-2"], consistency="STRONG",
               witnesses=["us-east-2"]),
    ],
    "failover_records": [{"zone": "shop.example.", "name": "db.shop.example.",
                          "primary": "ledger-db.cluster-x.us-east-1.rds.amazonaws.com",
                          "secondary": "x", "ttl_s": 60}],
    "backup_plans": [{
        "region": "us-east-1", "name": "gold", "arn": "arn:aws:backup:us-east-1:1:plan:p",
        "rules": [{"RuleName": "hourly", "ScheduleExpression": "cron(0 * ? * * *)",
                   "Lifecycle": {"DeleteAfterDays": 35}, "EnableContinuousBackup": True},
                  {"RuleName": "monthly", "ScheduleExpression": "cron(0 5 L * ? *)"}],
        "selections": [{"resources": ["arn:aws:dynamodb:*:*:table/carts"], "tags": {}},
                       {"resources": [], "tags": {"hadrsim:design": "ledger"}}]}],
    "warnings": [],
}


@pytest.fixture()
def inventory():
    inv = copy.deepcopy(INVENTORY)
    inv["regions"].update({r: AZS[r] for r in referenced_regions(inv) - set(inv["regions"])})
    return inv


def test_replicas_witness_cluster_and_tags(inventory):
    """Replicas make a global table, STRONG + witness makes MRSC, a non-Aurora cluster is a
    Multi-AZ DB cluster named by its hadrsim:design tag; the study validates."""
    data, warnings = build_study(inventory)
    study = parse_study(data)
    designs = {d.name: d for d in study.designs}
    assert study.name == "shop"  # the one hadrsim:study tag
    ledger = designs["ledger"]
    assert ledger.kind == "rds_multi_az_cluster"
    assert ledger.azs == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert ledger.instance_class == "db.m6gd.large" and ledger.backups.retention_days == 14
    carts = designs["carts"]
    assert (carts.regions, carts.consistency, carts.pitr_retention_days) == (
        ["us-east-1", "us-west-2"], "eventual", 7)
    assert carts.table_gb == pytest.approx(5.0)
    votes = designs["votes"]
    assert (votes.consistency, votes.witness_region) == ("strong", "us-east-2")
    assert "us-east-2" not in study.workload.client_regions  # a witness serves no client


def test_backup_selections_rules_and_warnings(inventory):
    """Selections match by ARN pattern and by tag; a rule with an unsupported cron field
    is left out with a reason; odd resources are reported, not guessed."""
    data, warnings = build_study(inventory)
    study = parse_study(data)
    (plan,) = study.backup_plans
    assert sorted(plan.selection) == ["carts", "ledger"]
    assert [r.name for r in plan.rules] == ["hourly"]
    assert plan.rules[0].continuous
    text = "\n".join(warnings)
    assert "rule monthly" in text
    assert "orphan" in text and "eu-west-2" in text  # replica of an unscanned source
    assert "db.shop.example." in text and "no copy in another Region" in text
    assert "docdb cluster docs: not RDS or Aurora" in text
    assert "docs" not in [d.name for d in study.designs]


def test_unknown_region_pairs_get_an_assumed_rtt(inventory):
    """Regions outside the calibrated RTT table get an assumed RTT and a warning."""
    inventory["tables"].append(_table(name="eu", region="eu-west-2", tags={}))
    inventory["regions"]["eu-west-2"] = AZS["eu-west-2"]
    data, warnings = build_study(inventory)
    study = parse_study(data)
    assert study.network.rtt_between_regions_ms("us-east-1", "eu-west-2") == 150
    assert study.network.rtt_between_regions_ms("us-west-2", "us-east-2") == 70
    assert any("eu-west-2" in w and "assumed 150 ms" in w for w in warnings)


def test_nothing_found_is_an_error():
    """No database: a clear error, not an empty study."""
    empty = {"regions": {"us-east-1": AZS["us-east-1"]}, "instances": [], "clusters": [],
             "global_clusters": [], "tables": [], "failover_records": [],
             "backup_plans": [], "warnings": []}
    with pytest.raises(ValueError, match="no database found"):
        build_study(empty)
