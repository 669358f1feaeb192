"""AWS exports: ``fis-export`` (FIS templates), ``rh-export`` (Resilience Hub) and
``discover`` (a study from an existing deployment).

boto3 is optional (``hadrsim[aws]``): it is imported only by the calls that reach AWS,
so the dry exports and every other command work without it. AWS problems (credentials,
Region, endpoint) print one line and exit 2; nothing is written then.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from hadrsim.cli.common import (
    FileArg,
    _bad_input,
    _check_output,
    _load,
    _write_atomically,
    _write_json_atomically,
    app,
    console,
    errors,
)

if TYPE_CHECKING:  # hadrsim.aws is imported by the commands (start-up time, issue 14)
    from hadrsim.aws.fis import FisExport

EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint-url", help="AWS endpoint (LocalStack, moto, a VPC endpoint).")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile.")]


def _context(profile: str | None, endpoint_url: str | None, region: str):
    """An AwsContext that has answered once: a dead endpoint or refused credentials fail
    in seconds with one line (the context's own clients retry 8 times, for a minute)."""
    try:
        from hadrsim.aws.session import AwsError, open_context
    except ImportError:
        raise _bad_input("AWS calls need boto3: python -m pip install 'hadrsim[aws]'") from None
    try:
        ctx = open_context(profile, endpoint_url)
        ctx.account(region)
    except AwsError as exc:
        raise _bad_input(str(exc)) from None
    return ctx


def _aws_call(call, *args, **kwargs):
    from hadrsim.aws.session import AwsError

    try:
        return call(*args, **kwargs)
    except AwsError as exc:
        raise _bad_input(str(exc)) from None


def _designs(study, names: list[str] | None) -> list[str]:
    known = [d.name for d in study.designs]
    for name in names or []:
        if name not in known:
            raise _bad_input(f"--design {name!r}: no such design; designs: {known}")
    return list(names) if names else known


def _fis_table(export: FisExport) -> Table:
    table = Table(title=f"{export.scenario} on {export.design} (FIS, {export.region})",
                  title_justify="left")
    for column in ("action", "actionId", "start after", "parameters", "targets"):
        table.add_column(column)
    for name, action in export.template["actions"].items():
        params = ", ".join(f"{k}={v}" for k, v in action.get("parameters", {}).items())
        table.add_row(name, action["actionId"], ", ".join(action.get("startAfter", [])),
                      params, ", ".join(action.get("targets", {}).values()))
    return table


@app.command("fis-export")
def fis_export(
    file: FileArg,
    scenario: Annotated[str, typer.Option(help="Scenario to export.")],
    design: Annotated[list[str] | None, typer.Option(
        help="Only this design (repeatable); default: every design.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the templates.")] = None,
    account_id: Annotated[str | None, typer.Option(
        help="Account in ARNs of a dry export (default: the ${AWS::AccountId} token).")] = None,
    role_arn: Annotated[str | None, typer.Option(
        help="IAM role FIS assumes to run the experiment (needed by --create).")] = None,
    create: Annotated[bool, typer.Option(help="Create the templates in AWS FIS.")] = False,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """A scenario's faults as AWS FIS experiment templates (one per design)."""
    from hadrsim.aws.fis import caller_account, create_template, export_fis

    study = _load(file)
    if scenario not in {s.name for s in study.scenarios}:
        raise _bad_input(f"--scenario {scenario!r}: no such scenario; scenarios: "
                         f"{[s.name for s in study.scenarios]}")
    names = _designs(study, design)
    _check_output(json_path)
    if account_id is not None and not (account_id.isdigit() and len(account_id) == 12):
        raise _bad_input(f"--account-id {account_id!r}: an AWS account id has 12 digits")
    ctx = None
    if create:
        if not role_arn:
            raise _bad_input("--create needs --role-arn: the IAM role FIS assumes "
                             "(arn:aws:iam::ACCOUNT:role/NAME)")
        region = study.network.regions[0].name
        ctx = _context(profile, endpoint_url, region)
        account_id = _aws_call(caller_account, ctx, region)
    exports = [export_fis(study, scenario, name, role_arn=role_arn, account_id=account_id)
               for name in names]
    documents = []
    for export in exports:
        document = export.to_dict()
        if export.template is None:
            console.print(f"{export.design}: no fault of {scenario} can run in FIS",
                          markup=False)
        else:
            console.print(_fis_table(export))
            if ctx is not None:
                stored = _aws_call(create_template, ctx, export)
                document["created"] = {"id": stored["id"], "arn": stored.get("arn")}
                console.print(f"created {stored['id']} in {export.region}", markup=False)
        for item in export.unsupported:
            console.print(f"  unsupported {item['fault']} ({item['kind']}): {item['reason']}",
                          markup=False, highlight=False)
        for note in export.notes:
            console.print(f"  note {note}", markup=False, highlight=False)
        documents.append(document)
    if create and not any("created" in d for d in documents):
        raise _bad_input(f"--create: no fault of scenario {scenario} can run in FIS on "
                         f"{names}; nothing was created")
    if json_path is not None:
        _write_json_atomically(json_path, {"study": study.name, "scenario": scenario,
                                           "account_id": account_id, "templates": documents})
        console.print(f"templates written to {json_path}")


def _rh_table(items: list[dict[str, Any]], policy: dict[str, Any]) -> Table:
    table = Table(title=f"Resilience Hub view ({policy['policyName']}, tier {policy['tier']})",
                  title_justify="left")
    for column in ("design", "type", "target RTO/RPO s", "current RTO/RPO s (p95)",
                   "achievable (p50)", "P(met) [95% CI]", "status"):
        table.add_column(column)
    for item in items:
        for kind, c in item["assessment"]["compliance"].items():
            target = policy["policy"].get(kind)
            verdict = item["hadrsim"]["policy"].get(kind) or {}
            p_met = (f"{verdict['p_met']:.0%} [{verdict['ci95'][0]:.0%}, "
                     f"{verdict['ci95'][1]:.0%}]" if verdict.get("episodes") else "-")
            table.add_row(
                item["design"], kind,
                f"{target['rtoInSecs']}/{target['rpoInSecs']}" if target else "-",
                f"{c.get('currentRtoInSecs', '-')}/{c.get('currentRpoInSecs', '-')}",
                f"{c.get('achievableRtoInSecs', '-')}/{c.get('achievableRpoInSecs', '-')}",
                p_met, c["complianceStatus"])
    return table


@app.command("rh-export")
def rh_export(
    file: FileArg,
    design: Annotated[list[str] | None, typer.Option(help="Only this design (repeatable).")
                      ] = None,
    runs: Annotated[int | None, typer.Option(min=1, help="Runs per scenario.")] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write policy + figures.")
                         ] = None,
    tier: Annotated[str | None, typer.Option(help="Policy tier (default: from the tightest "
                                             "RTO target).")] = None,
    data_location: Annotated[str, typer.Option(help="AnyLocation, SameContinent or "
                                               "SameCountry.")] = "AnyLocation",
    policy_name: Annotated[str | None, typer.Option(help="Default: hadrsim-STUDY.")] = None,
    create: Annotated[bool, typer.Option(help="Create the policy in Resilience Hub.")] = False,
    region: Annotated[str | None, typer.Option(help="Region of the policy (default: the "
                                               "study's first).")] = None,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """The study's policy for Resilience Hub, and simulated RTO/RPO per disruption type.

    The figures take the shape of a Resilience Hub assessment (compliance per type)."""
    import hadrsim.experimental
    from hadrsim.aws.resiliencehub import (
        PolicyError,
        assessments,
        create_policy,
        resiliency_policy,
    )

    study = _load(file)
    names = _designs(study, design)
    _check_output(json_path)
    try:
        request = resiliency_policy(study, name=policy_name, tier=tier,
                                    data_location=data_location)
    except PolicyError as exc:
        raise _bad_input(str(exc)) from None
    region = region or study.network.regions[0].name
    ctx = _context(profile, endpoint_url, region) if create else None
    results = hadrsim.experimental.run_study(study, designs=names, runs=runs, workers=workers)
    summary = hadrsim.experimental.summarize_study(study, results)
    items = assessments(study, results, summary, request)
    console.print(_rh_table(items, request))
    document: dict[str, Any] = {"study": study.name, "seed": study.seed,
                                "runs_per_scenario": summary["runs_per_scenario"],
                                "policy": request, "assessments": items}
    if ctx is not None:
        stored = _aws_call(create_policy, ctx, request, region)
        document["created"] = json.loads(json.dumps(stored, default=str))
        console.print(f"created {stored['policyArn']} (read back: tier {stored['tier']}, "
                      f"{len(stored['policy'])} disruption types)", markup=False)
    if json_path is not None:
        _write_json_atomically(json_path, document)
        console.print(f"written to {json_path}")


@app.command("discover")
def discover_cmd(
    region: Annotated[list[str], typer.Option(help="Region to read (repeatable).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Study file to write.")],
    name: Annotated[str | None, typer.Option(help="Study name (default: the hadrsim:study "
                                             "tag, else 'discovered').")] = None,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Read an existing deployment and write a study file that simulates it."""
    _check_output(output, "-o")
    regions = list(dict.fromkeys(region))
    ctx = _context(profile, endpoint_url, regions[0])
    from hadrsim.aws.discover import discover

    try:
        found = _aws_call(discover, ctx, regions, name)
    except ValueError as exc:
        raise _bad_input(str(exc)) from None
    _write_atomically(output, lambda handle: handle.write(found.to_yaml()))
    table = Table(title=f"{found.study.name}: {len(found.study.designs)} designs",
                  title_justify="left")
    for column in ("design", "kind", "Region(s)", "copies"):
        table.add_column(column)
    for spec in found.study.designs:
        copies = [f"{r.name} ({r.region})" for r in getattr(spec, "replicas", [])]
        copies += [r.name for r in getattr(spec, "readers", [])]
        copies += [s.region for s in getattr(spec, "secondaries", [])]
        regions_of = getattr(spec, "regions", None) or [spec.region]
        table.add_row(spec.name, spec.kind, ", ".join(regions_of), ", ".join(copies) or "-")
    console.print(table)
    for warning in found.warnings:
        errors.print(f"note: {warning}", markup=False, highlight=False)
    console.print(f"study written to {output}; check it with: hadrsim validate {output}",
                  markup=False)
