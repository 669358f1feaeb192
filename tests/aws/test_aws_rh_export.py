"""Resilience Hub export: the study policy as a resiliency policy (created and read back
on moto) and each design's simulated RTO/RPO in the assessment's shape."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import hadrsim
import hadrsim.experimental
from hadrsim.aws.resiliencehub import (
    PolicyError,
    assessments,
    create_policy,
    resiliency_policy,
    tier_for,
)
from hadrsim.cli import app

ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1"}
POLICY = {"Software": {"rto_s": 3600, "rpo_s": 900}, "Hardware": {"rto_s": 600, "rpo_s": 0},
          "AZ": {"rto_s": 600, "rpo_s": 0}}


@pytest.fixture(scope="module")
def study(make_study):
    return make_study(
        policy=POLICY,
        designs=[{"name": "single", "kind": "rds_single_az"},
                 {"name": "maz", "kind": "rds_multi_az_instance"}],
        scenarios=[{"name": "crash", "scheduled": [
            {"kind": "instance_crash", "target": "primary", "at_s": 120.0}]}])


@pytest.fixture(scope="module")
def simulated(study):
    results = hadrsim.experimental.run_study(study, runs=2, workers=1)
    return results, hadrsim.experimental.summarize_study(study, results)


def test_policy_request_has_resilience_hubs_shape(study):
    """Targets in whole seconds per disruption type; tier from the tightest RTO."""
    request = resiliency_policy(study)
    assert request["policy"] == {"Software": {"rtoInSecs": 3600, "rpoInSecs": 900},
                                 "Hardware": {"rtoInSecs": 600, "rpoInSecs": 0},
                                 "AZ": {"rtoInSecs": 600, "rpoInSecs": 0}}
    assert request["tier"] == "Critical"  # tightest RTO 10 min: <= 15 min
    assert request["policyName"] == "hadrsim-t"
    assert request["dataLocationConstraint"] == "AnyLocation"
    assert [tier_for([t]) for t in (30, 120, 3600, 7200, 86400)] == [
        "MissionCritical", "Critical", "Important", "CoreServices", "NonCritical"]


def test_missing_required_types_are_refused(make_study):
    """Resilience Hub requires Software, Hardware and AZ: say which one is missing."""
    with pytest.raises(PolicyError, match=r"none for \['Software'\]"):
        resiliency_policy(make_study(policy={"Hardware": {"rto_s": 1, "rpo_s": 0},
                                             "AZ": {"rto_s": 1, "rpo_s": 0}}))


def test_assessment_reuses_the_verdicts(study, simulated):
    """Status follows the Wilson lower bound; current/achievable are p95/p50 of episodes."""
    results, summary = simulated
    items = {i["design"]: i for i in assessments(study, results, summary,
                                                 resiliency_policy(study))}
    maz = items["maz"]["assessment"]["compliance"]["Hardware"]
    verdict = next(d for d in summary["designs"] if d["name"] == "maz")["policy"]["Hardware"]
    assert verdict["episodes"] == 2 and verdict["met"] == 2
    # 2 of 2 met is P = 100% but a lower bound of 34%: not confidently met
    assert maz["complianceStatus"] == "PolicyBreached"
    rtos = sorted(e["rto_write_s"] for r in results if r.design == "maz" for e in r.episodes)
    assert maz["achievableRtoInSecs"] <= maz["currentRtoInSecs"] <= int(rtos[-1]) + 1
    assert maz["currentRpoInSecs"] == 0
    single = items["single"]["assessment"]
    # a host replacement takes minutes, and may outlast the run (censored): said so
    assert single["compliance"]["Hardware"]["currentRtoInSecs"] > 120
    recovered = sum(e["recovered_write"] for r in results if r.design == "single"
                    for e in r.episodes)
    assert f"{recovered}/2 recovered" in single["compliance"]["Hardware"]["rtoDescription"]
    assert single["complianceStatus"] == "PolicyBreached"
    # no AZ or Software episode in this study: NotApplicable, said so
    assert single["compliance"]["AZ"]["complianceStatus"] == "NotApplicable"
    assert "currentRtoInSecs" not in single["compliance"]["AZ"]


def test_create_policy_and_read_it_back(aws, study):
    """The policy is created on the server and DescribeResiliencyPolicy returns it."""
    request = resiliency_policy(study, tier="Important")
    stored = create_policy(aws, request, "us-east-1")
    assert stored["policyArn"].startswith("arn:aws:resiliencehub:us-east-1:123456789012:")
    client = aws.client("resiliencehub", "us-east-1")
    again = client.describe_resiliency_policy(policyArn=stored["policyArn"])["policy"]
    assert again["policy"] == request["policy"] and again["tier"] == "Important"
    assert again["tags"] == {"hadrsim:managed": "true", "hadrsim:study": "t"}


def test_cli_creates_and_writes_the_document(moto_endpoint, aws, tmp_path):
    """rh-export --create: the JSON holds the request, the stored policy and one
    assessment per design."""
    path = tmp_path / "s.yaml"
    path.write_text(STUDY_YAML)
    out = tmp_path / "rh.json"
    result = CliRunner().invoke(app, ["rh-export", str(path), "--runs", "1", "--workers", "1",
                                      "--create", "--endpoint-url", moto_endpoint,
                                      "--json", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["created"]["policy"] == doc["policy"]["policy"]
    assert [a["design"] for a in doc["assessments"]] == ["maz"]
    compliance = doc["assessments"][0]["assessment"]["compliance"]
    assert compliance["Hardware"]["complianceStatus"] in ("PolicyMet", "PolicyBreached")
    assert "resiliency-policy/" in result.output


def test_cli_unreachable_endpoint(tmp_path):
    """An endpoint nobody listens on: one line, exit 2, no simulation, nothing written."""
    path = tmp_path / "s.yaml"
    path.write_text(STUDY_YAML)
    out = tmp_path / "rh.json"
    result = CliRunner().invoke(app, ["rh-export", str(path), "--create", "--endpoint-url",
                                      "http://127.0.0.1:9", "--json", str(out)], env=ENV)
    assert result.exit_code == 2
    assert "cannot reach the endpoint http://127.0.0.1:9" in result.output
    assert not out.exists()


STUDY_YAML = """
name: shop
seed: 3
horizon_s: 600
workload: {observed_clients: 2, client_regions: [us-east-1]}
designs: [{name: maz, kind: rds_multi_az_instance}]
scenarios:
  - {name: crash, scheduled: [{kind: instance_crash, target: primary, at_s: 120}]}
policy:
  Software: {rto_s: 3600, rpo_s: 900}
  Hardware: {rto_s: 120, rpo_s: 0}
  AZ: {rto_s: 120, rpo_s: 0}
"""
