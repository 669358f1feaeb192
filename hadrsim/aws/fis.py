"""A fault scenario as an AWS Fault Injection Service (FIS) experiment template.

The simulator's faults are mapped to FIS actions (ids, targets and parameters from the
FIS actions and targets references); what FIS cannot do is listed with a reason, never
dropped. One template covers one (scenario, design): targets select the design's
resources by the tags every resource hadrsim builds carries (:mod:`hadrsim.aws.naming`):
``hadrsim:node`` for a DB instance (``COUNT(1)``: one resource at most), ``hadrsim:design``
for its DB cluster, global table and subnets.

Timing: FIS starts every action at once unless ``startAfter`` names actions that must
complete first, so a chain of ``aws:fis:wait`` actions marks each scheduled ``at_s`` and a
fault starts after its mark. FIS durations run from 1 minute to 12 hours: shorter gaps
and durations are rounded up to a minute, longer (or permanent) ones cut to 12 hours, and
each change is written to ``notes``. A template acts in one Region (FIS resolves targets
in the Region the experiment runs in): the Region of the first exportable fault; faults
acting elsewhere are listed as unsupported.

Stop conditions come from the scenario's ``stop_conditions`` (the study's alarms, by
name), as the CloudWatch alarms ``hadrsim plan``/``apply`` make for them on the design
(``<study>-<design>-<alarm>``, one per real metric standing for the simulated one):
``arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME``. ACCOUNT is the caller's account
when the template is created, else ``account_id`` or the CloudFormation-style token
``${AWS::AccountId}`` (so the file drops into ``Fn::Sub``). The role FIS assumes
(``roleArn``) must be given to create a template; a dry export writes
``arn:aws:iam::${AWS::AccountId}:role/hadrsim-fis`` unless told otherwise.

What is kind-specific comes from the design kind's ``fis`` hook (registered by
:mod:`hadrsim.aws.builtin_kinds` with :func:`~hadrsim.spec.kinds.extend_kind`):

``fis(design) -> FisProfile``
    ``design`` is a resolved spec of the kind (locations filled, nodes named). Returns the
    :class:`~hadrsim.aws.fis_nodes.FisProfile` saying which FIS action stands for a host
    crash of each node, which roles are no addressable resource, what an AZ loss adds
    and whether the design is a global table. Pure: no AWS access. Node names, roles and
    places come from the kind's inventory (:mod:`hadrsim.aws.fis_nodes`), not from the
    hook. A kind with no ``fis`` hook exports no template: every scheduled fault is listed
    as "not supported for design kind X".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hadrsim.aws.fis_nodes import FisProfile, HostAction, node_for, nodes, place
from hadrsim.aws.naming import identifier, tags_of
from hadrsim.spec.faults import Faults
from hadrsim.spec.kinds import NodeSlot, kind_of

if TYPE_CHECKING:  # boto3 is optional: only create_template needs it
    from hadrsim.aws.session import AwsContext
    from hadrsim.spec.study import Study

__all__ = ["ACCOUNT_PLACEHOLDER", "FisExport", "create_template", "export_fis", "iso_duration"]

ACCOUNT_PLACEHOLDER = "${AWS::AccountId}"
DEFAULT_ROLE_NAME = "hadrsim-fis"
FIS_MIN_S = 60.0  # FIS reference: durations "from one minute to 12 hours"
FIS_MAX_S = 12 * 3600.0

# Faults FIS has no action for, with the reason given to the user.
_NO_FIS_ACTION = {
    Faults.INSTANCE_HANG: "FIS cannot hang an RDS instance while it stays up (a gray failure); "
                     "it can only reboot it",
    Faults.STORAGE_LOSS: "FIS cannot destroy RDS or Aurora storage",
    Faults.ADDED_LATENCY: "FIS adds latency only on compute (EC2 via SSM, ECS, EKS), not on the "
                     "path to a managed database",
    Faults.SWITCHOVER: "a managed switchover is an RDS API call (SwitchoverGlobalCluster), not "
                  "a FIS action",
    Faults.CLOCK_SKEW: "FIS cannot skew the clock of a managed database",
    Faults.LOGICAL_CORRUPTION: "bad writes are made by the application, not by FIS; restore "
                          "drills need PITR, not fault injection",
    Faults.BACKUP_FAILURE: "FIS cannot make an RDS or AWS Backup job fail",
    Faults.OPERATOR_ERROR: "deleting an instance or promoting the wrong replica is an operator "
                      "action, not a FIS action (and not reversible)",
}


_SHORT = {  # action name suffixes when one fault needs several actions
    "aws:network:disrupt-connectivity": "network",
    "aws:network:route-table-disrupt-cross-region-connectivity": "routes",
    "aws:dynamodb:global-table-pause-replication": "replication",
    "aws:rds:failover-db-cluster": "failover",
    "aws:rds:reboot-db-instances": "reboot",
}


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration as FIS takes it: 90 -> ``PT1M30S``, 7200 -> ``PT2H``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if v]
    return "PT" + ("".join(parts) or "0S")


class _Unsupported(Exception):
    pass


@dataclass
class FisExport:
    """One template (the CreateExperimentTemplate request, without clientToken) or None
    when nothing is exportable, plus what was left out and what was approximated."""

    design: str
    scenario: str
    region: str | None
    template: dict[str, Any] | None
    unsupported: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def client_token(self) -> str:
        """Idempotency token from the content: creating the same template twice is one."""
        text = json.dumps(self.template, sort_keys=True)
        return "hadrsim-" + hashlib.sha256(text.encode()).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.design, "scenario": self.scenario, "region": self.region,
                "template": self.template, "unsupported": self.unsupported,
                "notes": self.notes}


class _Template:
    """Targets and actions being assembled for one design (deduplicated targets)."""

    def __init__(self, study, scenario, design, profile: FisProfile | None):
        self.study, self.scenario, self.design = study, scenario, design
        self.supported = profile is not None  # False: the kind registers no fis hook
        self.profile = profile or FisProfile()
        self.targets: dict[str, dict] = {}
        self.region: str | None = None
        self.uses_subnets = False

    def tags(self, **extra: str) -> dict[str, str]:
        return tags_of(self.study.name, self.design.name, **extra)

    def target(self, name: str, spec: dict) -> str:
        name = name[:64]
        self.targets.setdefault(name, spec)
        return name

    def db(self, node: NodeSlot) -> str:
        return self.target(f"db-{node.name}", {
            "resourceType": "aws:rds:db", "resourceTags": self.tags(node=node.name),
            "selectionMode": "COUNT(1)"})

    def cluster(self, writer_az: str | None = None) -> str:
        spec: dict[str, Any] = {"resourceType": "aws:rds:cluster", "resourceTags": self.tags(),
                                "selectionMode": "COUNT(1)"}
        if writer_az:
            spec["parameters"] = {"writerAvailabilityZoneIdentifiers": writer_az}
        return self.target(f"cluster-{self.design.name}" + (f"-{writer_az}" if writer_az
                                                              else ""), spec)

    def subnets(self, region: str, az: str | None) -> str:
        self.uses_subnets = True
        spec: dict[str, Any] = {"resourceType": "aws:ec2:subnet", "resourceTags": self.tags(),
                                "selectionMode": "ALL"}
        if az:
            spec["filters"] = [{"path": "AvailabilityZone", "values": [az]}]
        return self.target(f"subnets-{az or region}", spec)

    def table(self) -> str:
        return self.target(f"table-{self.design.name}", {
            "resourceType": "aws:dynamodb:global-table", "resourceTags": self.tags(),
            "selectionMode": "COUNT(1)"})


def _duration(fault, notes: list[str], path: str) -> str:
    seconds = fault.duration_s
    if seconds is not None and not isinstance(seconds, (int, float)):
        notes.append(f"{path}: a random duration ({seconds.dist}) is exported as its mean "
                     f"{seconds.mean:g} s: an FIS action lasts a fixed time")
        seconds = seconds.mean
    if seconds is None:
        notes.append(f"{path}: a permanent {fault.kind} is cut to 12 h (FIS maximum)")
        seconds = FIS_MAX_S
    elif seconds > FIS_MAX_S:
        notes.append(f"{path}: duration {seconds:g} s cut to 12 h (FIS maximum)")
        seconds = FIS_MAX_S
    elif seconds < FIS_MIN_S:
        notes.append(f"{path}: duration {seconds:g} s raised to 1 min (FIS minimum)")
        seconds = FIS_MIN_S
    return iso_duration(seconds)


def _host_action(t: _Template, action: HostAction, node: NodeSlot,
                 writer_az: str | None = None) -> tuple[list[tuple[str, dict, dict]], str]:
    """The FIS action standing for losing ``node``'s host, and the note saying so."""
    if action == "cluster_failover":
        return [("aws:rds:failover-db-cluster", {}, {"Clusters": t.cluster(writer_az)})], (
            "a host crash is exported as a cluster failover (FIS cannot destroy the host)")
    force = action == "forced_reboot"
    return [("aws:rds:reboot-db-instances", {"forceFailover": "true" if force else "false"},
             {"DBInstances": t.db(node)})], (
        "a host crash is exported as a reboot" + (" with forced failover" if force else "")
        + " (FIS cannot destroy the host; RDS recovers faster than from a replacement)")


def _node_actions(t: _Template, fault) -> tuple[str, list[tuple[str, dict, dict]], str]:
    """instance_crash / replication_break on a node: (region, actions, note)."""
    design, profile = t.design, t.profile
    node = node_for(design, fault.target)
    if node is None:
        raise _Unsupported(f"target {fault.target!r} resolves to no node of {design.kind}")
    if fault.kind == Faults.REPLICATION_BREAK:
        if not (profile.global_table and node.role == "table"):
            raise _Unsupported("FIS can pause replication of DynamoDB global tables only, "
                               "not of RDS or Aurora")
        return node.region, [("aws:dynamodb:global-table-pause-replication", {},
                              {"Tables": t.table()})], ""
    if node.role in profile.unaddressable:
        raise _Unsupported(profile.unaddressable[node.role])
    is_primary = node == nodes(design)[0]
    if not is_primary and profile.other_crash_unsupported:
        raise _Unsupported(profile.other_crash_unsupported)
    actions, note = _host_action(t, profile.primary_crash if is_primary else "reboot", node)
    return node.region, actions, note


def _az_actions(t: _Template, fault, duration: str) -> tuple[str, list, str]:
    design = t.design
    if t.profile.no_az:
        raise _Unsupported(t.profile.no_az)
    region, az = place(t.study, design, fault.target)
    if az is None:
        raise _Unsupported(f"target {fault.target!r} resolves to no AZ of {design.kind}")
    actions = [("aws:network:disrupt-connectivity", {"scope": "all", "duration": duration},
                {"Subnets": t.subnets(region, az)})]
    primary = node_for(design, "primary")
    if primary.az == az and t.profile.az_failover:
        # as FIS's "AZ Availability: Power Interruption" scenario does
        actions += _host_action(t, t.profile.az_failover, primary, writer_az=az)[0]
    note = "the AZ's subnets lose all traffic (network ACLs); managed databases keep running"
    if len(actions) > 1:
        note += ", so FIS fails the primary over as well"
    elif primary.az == az:
        note += ": the instance stays up but unreachable, RDS does not replace it"
    return region, actions, note


def _region_actions(t: _Template, fault, duration: str) -> tuple[str, list, str]:
    region, _ = place(t.study, t.design, fault.target)
    if region is None:
        raise _Unsupported(f"target {fault.target!r} resolves to no Region of the design")
    actions = [("aws:network:disrupt-connectivity", {"scope": "all", "duration": duration},
                {"Subnets": t.subnets(region, None)})]
    if t.profile.global_table:
        actions.append(("aws:dynamodb:global-table-pause-replication", {"duration": duration},
                        {"Tables": t.table()}))
    return region, actions, ("FIS cannot stop a Region's managed services: the Region's "
                             "subnets are isolated (what clients there see)" +
                             (" and the table's replication is paused"
                              if t.profile.global_table else ""))


def _partition_actions(t: _Template, fault, duration: str) -> tuple[str, list, str]:
    (ra, aza), (rb, azb) = (place(t.study, t.design, p) for p in fault.between)
    if ra is None or rb is None:
        raise _Unsupported(f"between {fault.between} names a place the design does not have")
    if ra != rb and aza is None and azb is None:
        actions = [("aws:network:route-table-disrupt-cross-region-connectivity",
                    {"region": rb, "duration": duration}, {"Subnets": t.subnets(ra, None)})]
        if t.profile.global_table:
            actions.append(("aws:dynamodb:global-table-pause-replication",
                            {"duration": duration}, {"Tables": t.table()}))
        return ra, actions, (f"blocks VPC traffic from {ra} to {rb} only (one experiment "
                             "per direction); AWS-managed RDS/Aurora replication is not cut")
    if ra == rb and aza and azb:
        return ra, [("aws:network:disrupt-connectivity",
                     {"scope": "availability-zone", "duration": duration},
                     {"Subnets": t.subnets(ra, aza)})], (
            f"cuts {aza} from every other AZ of the VPC, not from {azb} alone")
    raise _Unsupported("FIS partitions two Regions or two AZs of one Region, not "
                       f"{fault.between}")


def _profile(design) -> FisProfile | None:
    """The design's FIS profile from its kind's ``fis`` hook; None when it has none."""
    kind = kind_of(design)
    return kind.hooks["fis"](design) if "fis" in kind.hooks else None


def _map_fault(t: _Template, fault, notes: list[str], path: str) -> tuple[str, list, str]:
    if not t.supported:
        raise _Unsupported(f"FIS export is not supported for design kind {t.design.kind!r} "
                           "(it registers no fis hook)")
    if fault.kind in _NO_FIS_ACTION:
        raise _Unsupported(_NO_FIS_ACTION[fault.kind])
    if fault.kind in (Faults.INSTANCE_CRASH, Faults.REPLICATION_BREAK):
        region, actions, note = _node_actions(t, fault)
        if fault.kind == Faults.REPLICATION_BREAK:
            actions[0][1]["duration"] = _duration(fault, notes, path)
        return region, actions, note
    duration = _duration(fault, notes, path)
    if fault.kind == Faults.AZ_OUTAGE:
        return _az_actions(t, fault, duration)
    if fault.kind == Faults.REGION_OUTAGE:
        return _region_actions(t, fault, duration)
    return _partition_actions(t, fault, duration)


def _planned_alarms(study, design) -> list[tuple[str, str]] | None:
    """(name, Region) of the CloudWatch alarms ``hadrsim plan`` makes for the design;
    None when the design cannot be planned."""
    from hadrsim.aws.plan import PlanError, plan_design

    try:
        plan = plan_design(study, design.name)
    except PlanError:
        return None
    return [(c.resource.identifier, c.region) for c in plan.calls
            if c.resource.kind == "cloudwatch:alarm"]


def _stop_conditions(study, scenario, design, region: str, account: str,
                     notes: list[str]) -> list[dict[str, str]]:
    """Stop conditions: the CloudWatch alarms plan/apply make for the scenario's alarms
    (``<study>-<design>-<alarm>[-<metric label>]``), those in the experiment's Region."""
    if not scenario.stop_conditions:
        return [{"source": "none"}]
    prefix = identifier(study.name, design.name)
    planned = _planned_alarms(study, design)
    names = sorted((a.name for a in study.alarms), key=len, reverse=True)
    arns = []
    for wanted in scenario.stop_conditions:
        if planned is None:
            found = [(f"{prefix}-{wanted}", region)]
            notes.append(f"stop condition {wanted}: the design cannot be planned; the alarm "
                         f"is assumed to be {prefix}-{wanted}")
        else:  # the longest study alarm name a planned alarm starts with owns it
            found = [(name, r) for name, r in planned if next(
                (n for n in names if name == f"{prefix}-{n}" or
                 name.startswith(f"{prefix}-{n}-")), None) == wanted]
        if not found:
            notes.append(f"stop condition {wanted}: no CloudWatch metric stands for it on "
                         f"{design.kind}, so plan makes no alarm; not a stop condition")
        for name, alarm_region in found:
            if alarm_region != region:
                notes.append(f"stop condition {name}: the alarm is in {alarm_region}, the "
                             f"experiment in {region}; left out")
                continue
            arns.append(f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}")
    if not arns:
        return [{"source": "none"}]
    return [{"source": "aws:cloudwatch:alarm", "value": arn} for arn in arns]


def _schedule(faults: list[tuple[float, str, list]], notes: list[str]) -> dict[str, dict]:
    """Actions with ``startAfter`` chained through waits that mark each ``at_s``."""
    actions: dict[str, dict] = {}
    clock, mark = 0.0, None
    for at_s, path, fault_actions in sorted(faults, key=lambda f: f[0]):
        if at_s < clock:  # an earlier wait was rounded up past this fault's time
            notes.append(f"{path}: starts at {clock:g} s, not {at_s:g} s (a FIS wait lasts "
                         "at least 1 min)")
        elif at_s > clock:
            gap = max(at_s - clock, FIS_MIN_S)
            if at_s - clock < FIS_MIN_S:
                notes.append(f"{path}: starts at {clock + gap:g} s, not {at_s:g} s "
                             "(a FIS wait lasts at least 1 min)")
            while gap > 0:  # waits of at most 12 h, each named by when it ends
                step = min(gap, FIS_MAX_S)
                clock, gap = clock + step, gap - step
                name = f"wait-until-{clock:.0f}s"
                actions[name] = {"actionId": "aws:fis:wait",
                                 "parameters": {"duration": iso_duration(step)},
                                 **({"startAfter": [mark]} if mark else {})}
                mark = name
        for name, action in fault_actions:
            if mark:
                action["startAfter"] = [mark]
            actions[name] = action
    return actions


def export_fis(study: Study, scenario_name: str, design_name: str, *,
               role_arn: str | None = None, account_id: str | None = None) -> FisExport:
    """The FIS template for one (scenario, design), what is unsupported and why."""
    scenario = study.scenario(scenario_name)
    design = study.design(design_name)
    s_index = study.scenarios.index(scenario)
    t = _Template(study, scenario, design, _profile(design))
    unsupported: list[dict[str, str]] = []
    notes: list[str] = []
    mapped: list[tuple[float, str, list]] = []
    for j, fault in enumerate(scenario.stochastic):
        unsupported.append({"fault": f"scenarios.{s_index}.stochastic.{j}", "kind": fault.kind,
                            "reason": "a stochastic class (MTTF) has no fixed schedule; FIS "
                                      "runs a fixed sequence of actions"})
    for j, fault in enumerate(scenario.scheduled):
        path = f"scenarios.{s_index}.scheduled.{j}"
        try:
            fault_notes: list[str] = []
            region, actions, note = _map_fault(t, fault, fault_notes, path)
            if t.region is not None and region != t.region:
                raise _Unsupported(f"acts in {region}; this experiment runs in {t.region} "
                                   "(FIS targets resources of one Region): export it apart")
        except _Unsupported as exc:
            unsupported.append({"fault": path, "kind": fault.kind, "reason": str(exc)})
            continue
        t.region = region
        notes += fault_notes + ([f"{path}: {note}"] if note else [])
        base = f"{fault.kind.replace('_', '-')}-{j}"
        named = []
        for action_id, params, targets in actions:
            action = {"actionId": action_id,
                      "description": f"{path}: {fault.kind} at {fault.at_s:g} s",
                      "targets": targets}
            if params:
                action["parameters"] = params
            suffix = _SHORT[action_id]
            named.append((base if len(actions) == 1 else f"{base}-{suffix}", action))
        mapped.append((fault.at_s, path, named))
    if not mapped:
        return FisExport(design.name, scenario.name, None, None, unsupported, notes)
    if t.uses_subnets:
        notes.append("subnets are selected by the design's hadrsim tags: hadrsim apply does "
                     "not create subnets, so tag the DB subnet group's subnets "
                     "(hadrsim:managed, hadrsim:study, hadrsim:design) or edit resourceTags")
    account = account_id or ACCOUNT_PLACEHOLDER
    description = (f"hadrsim {study.name}: scenario {scenario.name} on design {design.name}"
                   + (f" - {scenario.description}" if scenario.description else ""))
    template = {
        "description": description[:512],
        "targets": t.targets,
        "actions": _schedule(mapped, notes),
        "stopConditions": _stop_conditions(study, scenario, design, t.region, account, notes),
        "roleArn": role_arn or f"arn:aws:iam::{account}:role/{DEFAULT_ROLE_NAME}",
        "tags": {"Name": f"hadrsim-{study.name}-{scenario.name}-{design.name}"[:256],
                 **tags_of(study.name, design.name, scenario=scenario.name)},
    }
    return FisExport(design.name, scenario.name, t.region, template, unsupported, notes)


def caller_account(ctx: AwsContext, region: str) -> str:
    """The account id of the caller (STS GetCallerIdentity, one quick call)."""
    return ctx.account(region)


def create_template(ctx: AwsContext, export: FisExport) -> dict[str, Any]:
    """Create the template in its Region; returns the template FIS stored.

    The client token is derived from the content, so running this twice creates one
    template (FIS returns the first)."""
    from hadrsim.aws.session import AwsError, aws_errors

    if export.template is None or export.region is None:
        raise AwsError(f"nothing to create for design {export.design}: no fault of scenario "
                       f"{export.scenario} is exportable to FIS")
    if ACCOUNT_PLACEHOLDER in json.dumps(export.template):
        raise AwsError("the template still holds the account placeholder: export it with the "
                       "caller's account (and --role-arn) before creating it")
    with aws_errors(f"creating the FIS experiment template in {export.region}"):
        response = ctx.client("fis", export.region).create_experiment_template(
            clientToken=export.client_token, **export.template)
    return response["experimentTemplate"]
