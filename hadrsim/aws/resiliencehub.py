"""A study's policy as an AWS Resilience Hub resiliency policy, and what each design
achieved in simulation in the shape of a Resilience Hub assessment.

The policy is the ``CreateResiliencyPolicy`` request: ``policy`` maps each disruption
type (Software, Hardware, AZ, Region) to ``{"rtoInSecs", "rpoInSecs"}``; Resilience Hub
requires Software, Hardware and AZ (Region is optional). ``tier`` is not in a study, so
hadrsim picks it from the tightest RTO target of the policy (its own rule; Resilience Hub
publishes none): <= 1 min MissionCritical, <= 15 min Critical, <= 1 h Important, <= 4 h
CoreServices, longer NonCritical.

Each design's simulated figures take the shape of ``DescribeAppAssessment``'s
``assessment.compliance`` (one ``DisruptionCompliance`` per disruption type):

- ``currentRtoInSecs`` / ``currentRpoInSecs``: the p95 over simulated episodes of the
  client-observed write RTO (``rto_write_s``) and of ``rpo_s`` - what to plan for;
- ``achievableRtoInSecs`` / ``achievableRpoInSecs``: the p50 - what a typical episode gets;
- ``complianceStatus``: ``PolicyMet`` when the design's decision proves the class met
  (the always-valid lower bound of P(met) >= ``decision.p_target``, the ``compare``
  recommendation's rule, :mod:`hadrsim.experiments.decision`), else
  ``PolicyBreached``; ``NotApplicable`` when no simulated episode was of that type;
  ``MissingPolicy`` for a type with episodes but no target.

P(met) and its interval come from :meth:`hadrsim.Results.summary`'s verdicts (not
recomputed); RTO percentiles are Kaplan-Meier estimates over the same episodes (a
censored RTO, clients not recovered by the end of the run, is a lower bound, and a
percentile beyond the last recovery says so), and ``recovered_ratio`` is given per scenario.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from hadrsim.aws.naming import MANAGED_TAG
from hadrsim.experiments.policy import DISRUPTION_CLASSES, meets_with_confidence
from hadrsim.experiments.statistics import NONNEGATIVE, summarize, summarize_censored
from hadrsim.simulator.vocabulary import Metric

if TYPE_CHECKING:
    from hadrsim.aws.session import AwsContext
    from hadrsim.experiments.run import RunResult
    from hadrsim.spec.study import Study

__all__ = ["REQUIRED_TYPES", "TIERS", "assessments", "create_policy", "resiliency_policy",
           "tier_for"]

REQUIRED_TYPES = ("Software", "Hardware", "AZ")  # CreateResiliencyPolicy: Region optional
TIERS = ("MissionCritical", "Critical", "Important", "CoreServices", "NonCritical",
         "NotApplicable")
DATA_LOCATIONS = ("AnyLocation", "SameContinent", "SameCountry")
_TIER_RULE = ((60.0, "MissionCritical"), (900.0, "Critical"), (3600.0, "Important"),
              (4 * 3600.0, "CoreServices"))


class PolicyError(ValueError):
    """A study policy Resilience Hub would refuse; the message says what to add."""


def tier_for(rto_targets: list[float]) -> str:
    """hadrsim's tier rule: from the tightest RTO target (see the module docstring)."""
    if not rto_targets:
        return "NotApplicable"
    tightest = min(rto_targets)
    return next((tier for limit, tier in _TIER_RULE if tightest <= limit), "NonCritical")


def _policy_name(study_name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", f"hadrsim-{study_name}").strip("-")
    return clean[:60]


def resiliency_policy(study: Study, *, name: str | None = None, tier: str | None = None,
                      data_location: str = "AnyLocation") -> dict[str, Any]:
    """The ``CreateResiliencyPolicy`` request for the study's ``policy:``."""
    missing = [kind for kind in REQUIRED_TYPES if kind not in study.policy]
    if missing:
        raise PolicyError(f"policy: Resilience Hub requires targets for {list(REQUIRED_TYPES)}; "
                          f"the study has none for {missing} (add e.g. "
                          f"{missing[0]}: {{rto_s: 3600, rpo_s: 900}})")
    if tier is not None and tier not in TIERS:
        raise PolicyError(f"tier {tier!r}: use one of {list(TIERS)}")
    if data_location not in DATA_LOCATIONS:
        raise PolicyError(f"data location {data_location!r}: use one of {list(DATA_LOCATIONS)}")
    policy_name = name or _policy_name(study.name)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]{1,59}", policy_name):
        raise PolicyError(f"policy name {policy_name!r}: 2-60 letters, digits, _ or -, "
                          "starting with a letter or digit")
    targets = {kind: {"rtoInSecs": round(t.rto_s), "rpoInSecs": round(t.rpo_s)}
               for kind, t in study.policy.items()}
    return {
        "policyName": policy_name,
        "policyDescription": f"hadrsim study {study.name}: RTO/RPO targets per disruption "
                             "type"[:500],
        "tier": tier or tier_for([t.rto_s for t in study.policy.values()]),
        "dataLocationConstraint": data_location,
        "policy": {kind: targets[kind] for kind in DISRUPTION_CLASSES if kind in targets},
        "tags": {MANAGED_TAG: "true", "hadrsim:study": study.name},
    }


def _seconds(value: float) -> int | None:
    return math.ceil(value) if math.isfinite(value) else None


def _compliance(kind: str, verdict: dict | None, episodes: list[dict],
                decided: dict | None = None) -> dict[str, Any]:
    """One ``DisruptionCompliance`` from the verdict and the episodes of that type.

    ``decided`` is the class's entry of the design's ``decision`` (the compare rule:
    PolicyMet only when the always-valid lower bound proves P(met) >= target).
    """
    # Unrecovered episodes are right-censored RTOs (Kaplan-Meier percentiles); a
    # percentile beyond the last recovery is shown as the longest time seen, a lower
    # bound, and the description says so.
    rto = summarize_censored([float(e[Metric.RTO_WRITE_S]) for e in episodes],
                             [e[Metric.RECOVERED_WRITE] is not True for e in episodes])
    rpo = summarize([float(e[Metric.RPO_S]) for e in episodes], NONNEGATIVE)
    recovered = sum(1 for e in episodes if e[Metric.RECOVERED_WRITE] is True)
    entry: dict[str, Any] = {}
    for field, stats, key in (("RtoInSecs", rto, "p95"), ("RpoInSecs", rpo, "p95")):
        for prefix, stat in (("current", key), ("achievable", "p50")):
            seconds = _seconds(stats[stat]) if stats["n"] else None
            if seconds is not None:
                entry[f"{prefix}{field}"] = seconds
    n = len(episodes)
    if verdict is None:
        entry["complianceStatus"] = "MissingPolicy" if n else "NotApplicable"
        entry["message"] = f"no {kind} target in the study's policy"
    elif not verdict["episodes"]:
        entry["complianceStatus"] = "NotApplicable"
        entry["message"] = f"no simulated {kind} episode: the scenarios never disrupt this way"
    else:
        if decided is not None:
            met, lo, hi = decided["status"] == "meets", decided["lower"], decided["upper"]
            how = "one-sided always-valid bounds"
        else:
            met = meets_with_confidence(verdict)
            (lo, hi), how = verdict["ci95"], "Wilson 95% CI"
        entry["complianceStatus"] = "PolicyMet" if met else "PolicyBreached"
        entry["message"] = (f"P(policy met) {verdict['p_met']:.0%} [{how} {lo:.0%}-"
                            f"{hi:.0%}] over {verdict['episodes']} episodes; PolicyMet needs "
                            "the lower bound >= the target")
        if decided is not None and decided["status"] == "open":  # breached = not proven met
            entry["message"] += "; not proven either way yet: more runs (--runs) decide it"
    if n:
        entry["rtoDescription"] = (f"client-observed write RTO over {n} simulated episodes: "
                                   "current = p95, achievable = p50; "
                                   f"{recovered}/{n} recovered within the run"
                                   + (f"; {', '.join(rto['above'])} beyond the run: a lower "
                                      "bound" if rto["above"] else ""))
        entry["rpoDescription"] = (f"loss window (ack of the latest lost write - the recovery "
                                   f"point) over {n} simulated episodes: current = p95, "
                                   "achievable = p50; unknown for unrecovered episodes")
    return entry


def assessments(study: Study, results: list[RunResult], summary: dict[str, Any],
                policy_request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per design: the simulated figures as a Resilience Hub assessment (``compliance``
    per disruption type, overall ``complianceStatus``), plus hadrsim's own statistics."""
    out = []
    for entry in summary["designs"]:
        by_kind: dict[str, list[dict]] = defaultdict(list)
        for result in results:
            if result.design == entry["name"] and result.ok:
                for episode in result.episodes:
                    by_kind[episode["disruption"]].append(episode)
        compliance = {}
        for kind in DISRUPTION_CLASSES:
            verdict = entry["policy"].get(kind)
            if verdict is None and not by_kind.get(kind):
                continue
            decided = (entry.get("decision") or {}).get("classes", {}).get(kind)
            compliance[kind] = _compliance(kind, verdict, by_kind.get(kind, []), decided)
        statuses = {c["complianceStatus"] for c in compliance.values()}
        overall = ("PolicyBreached" if "PolicyBreached" in statuses
                   else "PolicyMet" if "PolicyMet" in statuses else "NotApplicable")
        assessment: dict[str, Any] = {
            "assessmentName": f"hadrsim-{entry['name']}"[:60],
            "assessmentStatus": "Success" if not entry["failed_runs"] else "Failed",
            "complianceStatus": overall,
            "compliance": compliance,
        }
        if policy_request is not None:
            assessment["policy"] = {k: policy_request[k] for k in
                                    ("policyName", "tier", "dataLocationConstraint", "policy")}
        out.append({
            "design": entry["name"], "kind": entry["kind"], "assessment": assessment,
            "hadrsim": {
                "runs": entry["runs"], "failed_runs": entry["failed_runs"],
                "policy": entry["policy"],
                "recovered_ratio": {  # per scenario: never pooled across scenarios
                    name: scenario["metrics"]["recovered_ratio"]["mean"]
                    for name, scenario in entry["scenarios"].items()},
            },
        })
    return out


def client_token(request: dict[str, Any]) -> str:
    """Idempotency token from the content (Resilience Hub: ``[A-Za-z0-9_.-]``, <= 63)."""
    text = json.dumps(request, sort_keys=True)
    return "hadrsim-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def create_policy(ctx: AwsContext, request: dict[str, Any], region: str) -> dict[str, Any]:
    """Create the policy, read it back (``DescribeResiliencyPolicy``) and check that
    Resilience Hub stored the targets and tier asked for; returns what it stored."""
    from hadrsim.aws.session import AwsError, aws_errors

    client = ctx.client("resiliencehub", region)
    with aws_errors(f"creating the Resilience Hub policy in {region}"):
        created = client.create_resiliency_policy(clientToken=client_token(request), **request)
        arn = created["policy"]["policyArn"]
        stored = client.describe_resiliency_policy(policyArn=arn)["policy"]
    if stored.get("policy") != request["policy"] or stored.get("tier") != request["tier"]:
        raise AwsError(f"Resilience Hub stored {arn} with other targets than asked: "
                       f"{stored.get('policy')} (tier {stored.get('tier')})")
    return stored
