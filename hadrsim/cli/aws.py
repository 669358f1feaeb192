"""AWS commands: ``plan`` (the calls that build a design, a dry run), ``apply``, ``destroy``.

A thin layer over :mod:`hadrsim.aws.plan`, :mod:`hadrsim.aws.apply` and
:mod:`hadrsim.aws.destroy`. ``plan`` needs no AWS access nor boto3; ``apply`` and
``destroy`` need boto3 (``pip install 'hadrsim[aws]'``) and credentials from the usual
chain or ``--profile``. Exit status: 0 done (skipped calls are named), 1 a call failed
(what was made before it is listed), 2 bad input, credentials, endpoint or Region.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from hadrsim.cli.common import (
    FileArg,
    _bad_input,
    _check_output,
    _load,
    _write_json_atomically,
    app,
    console,
    errors,
)

if TYPE_CHECKING:  # hadrsim.aws is imported by the commands (start-up time, issue 14)
    from hadrsim.aws.plan import Plan

DesignOpt = Annotated[str, typer.Option("--design", help="Design of the study.",
                                        show_default=False)]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Also write it as JSON.")]
EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint-url", help="Talk to this endpoint (moto, LocalStack) instead of AWS.")]
ProfileOpt = Annotated[str | None, typer.Option(help="AWS profile (default: the usual chain).")]
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait where AWS makes you "
                                       "wait (boto3 waiters).")]
SkipOpt = Annotated[list[str] | None, typer.Option(
    "--skip", help="OPERATION[=REASON] not to send (or wait:WAITER); repeatable.")]
UnimplementedOpt = Annotated[bool, typer.Option(
    "--allow-unimplemented", help="Report calls the endpoint cannot serve as skipped "
    "instead of failing (for emulators).")]
DomainOpt = Annotated[str | None, typer.Option(
    help="Parent domain of the Route 53 zone (default hadrsim.example, reserved).")]
BackupRoleOpt = Annotated[str | None, typer.Option(
    help="IAM role AWS Backup assumes (default: its service role).")]
DmsUrlOpt = Annotated[str | None, typer.Option(
    "--dms-source-url", help="Add a DMS migration from this database (no password in it).")]
DmsSecretOpt = Annotated[str | None, typer.Option(
    "--dms-source-secret", help="Secrets Manager ARN with the source's credentials.")]
DmsTargetOpt = Annotated[str | None, typer.Option(
    "--dms-target-secret", help="Secrets Manager ARN with the writer's migration user.")]
DmsRoleOpt = Annotated[str | None, typer.Option(
    "--dms-role", help="IAM role DMS assumes to read the secrets.")]

_STYLE = {"created": "green", "configured": "green", "deleted": "green", "present": "cyan",
          "looked-up": "cyan", "absent": "cyan", "skipped": "yellow", "kept": "yellow",
          "left": "yellow", "failed": "red"}


def _plan(file: Path, design: str, *, domain=None, backup_role=None, dms_source_url=None,
          dms_source_secret=None, dms_target_secret=None, dms_role=None) -> Plan:
    from hadrsim.aws.plan import PlanError, plan_design

    study = _load(file)
    try:
        return plan_design(study, design, domain=domain, backup_role=backup_role,
                           dms_source_url=dms_source_url, dms_source_secret=dms_source_secret,
                           dms_target_secret=dms_target_secret, dms_role=dms_role)
    except PlanError as exc:
        raise _bad_input(str(exc)) from None


def _plan_table(plan: Plan) -> Table:
    table = Table(title=f"{plan.study}/{plan.design} ({plan.kind}): {len(plan.calls)} AWS calls")
    for column in ("step", "region", "call", "resource", "what", "needs", "wait"):
        table.add_column(column, overflow="fold", no_wrap=column in ("step", "region", "call"))
    for call in plan.calls:
        wait = "" if call.wait is None else (call.wait.waiter or "poll")
        table.add_row(str(call.step), call.region, Text(f"{call.service}.{call.operation}"),
                      Text(call.resource.identifier), Text(call.purpose),
                      ",".join(map(str, call.depends_on)), wait)
    return table


def _notes(plan: Plan) -> None:
    for note in plan.notes:
        console.print(Text(f"note: {note}"), style="dim", soft_wrap=True)


@app.command("plan")
def plan_command(
    file: FileArg, design: DesignOpt, json_path: JsonOpt = None, domain: DomainOpt = None,
    backup_role: BackupRoleOpt = None, dms_source_url: DmsUrlOpt = None,
    dms_source_secret: DmsSecretOpt = None, dms_target_secret: DmsTargetOpt = None,
    dms_role: DmsRoleOpt = None,
) -> None:
    """The ordered AWS API calls that would build a design (a dry run: nothing is called)."""
    _check_output(json_path)
    plan = _plan(file, design, domain=domain, backup_role=backup_role,
                 dms_source_url=dms_source_url, dms_source_secret=dms_source_secret,
                 dms_target_secret=dms_target_secret, dms_role=dms_role)
    console.print(_plan_table(plan))
    _notes(plan)
    if json_path is not None:
        _write_json_atomically(json_path, plan.to_dict())


def _skips(values: list[str] | None) -> dict[str, str]:
    out = {}
    for value in values or []:
        name, _, reason = value.partition("=")
        if not name.strip():
            raise _bad_input(f"--skip {value!r}: give OPERATION[=REASON]")
        out[name.strip()] = reason.strip() or "--skip"
    return out


def _context(profile: str | None, endpoint_url: str | None):
    try:
        import boto3  # noqa: F401  (optional extra)
    except ImportError:
        raise _bad_input("the AWS commands need boto3: python -m pip install 'hadrsim[aws]'") \
            from None
    from hadrsim.aws.session import AwsError, open_context

    if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
        raise _bad_input(f"--endpoint-url {endpoint_url!r}: give http(s)://HOST:PORT")
    try:
        return open_context(profile, endpoint_url)
    except AwsError as exc:
        raise _bad_input(str(exc)) from None


class _Scrubber:
    """Removes the session's keys from anything printed (defence in depth)."""

    def __init__(self, ctx) -> None:
        creds = ctx.session.get_credentials()
        frozen = creds.get_frozen_credentials() if creds else None
        self.values = [v for v in (getattr(frozen, "access_key", None),
                                   getattr(frozen, "secret_key", None),
                                   getattr(frozen, "token", None)) if v]

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, "***")
        return text


def _progress(scrub: _Scrubber):
    def show(outcome) -> None:
        line = (f"{outcome.step:>3} {outcome.status:<10} {outcome.operation} "
                f"{outcome.identifier} ({outcome.region})")
        if outcome.detail:
            line += f": {outcome.detail}"
        errors.print(Text(scrub(line), style=_STYLE.get(outcome.status, "")), soft_wrap=True)
    return show


def _report_table(title: str, outcomes) -> Table:
    table = Table(title=title)
    for column in ("step", "status", "call", "resource", "region", "s", "detail"):
        table.add_column(column, overflow="fold",
                         no_wrap=column in ("step", "status", "call", "region", "s"))
    for o in outcomes:
        table.add_row(str(o.step), Text(o.status, style=_STYLE.get(o.status, "")),
                      Text(o.operation), Text(o.identifier), o.region, f"{o.seconds:.2f}",
                      Text(o.detail))
    return table


def _run(action: str, file: Path, design: str, *, endpoint_url, profile, json_path,
         plan_options: dict[str, Any], run) -> None:
    _check_output(json_path)
    plan = _plan(file, design, **plan_options)
    ctx = _context(profile, endpoint_url)
    scrub = _Scrubber(ctx)
    from hadrsim.aws.session import AwsError

    try:
        report = run(plan, ctx, _progress(scrub))
    except AwsError as exc:
        raise _bad_input(scrub(str(exc))) from None
    console.print(_report_table(f"{action} {plan.study}/{plan.design}", report.outcomes))
    document = report.to_dict()
    if json_path is not None:
        _write_json_atomically(json_path, document)
    skipped = report.with_status("skipped")
    for outcome in skipped:
        console.print(Text(f"skipped step {outcome.step} {outcome.operation} "
                           f"{outcome.identifier}: {outcome.detail}", style="yellow"),
                      soft_wrap=True)
    summary = ", ".join(f"{n} {status}" for status, n in document["counts"].items())
    failed = report.failed
    if failed is not None:
        done = [o for o in report.outcomes if o.status in ("created", "configured", "deleted")]
        errors.print(Text(scrub(f"error: {action} stopped at step {failed.step} "
                                f"{failed.operation} {failed.identifier}: {failed.detail}"),
                          style="red"), soft_wrap=True)
        console.print(Text(f"{action} so far: {summary}; "
                           + ("made: " if action == "apply" else "deleted: ")
                           + (", ".join(o.identifier for o in done) or "nothing")),
                      soft_wrap=True)
        raise typer.Exit(1)
    console.print(Text(f"{action}: {summary}"), soft_wrap=True)
    changed = [o for o in report.outcomes if o.status in ("created", "configured", "deleted")]
    if changed:
        verb, shown = ("made", ("created",)) if action == "apply" else ("deleted", ("deleted",))
        console.print(Text(f"{verb}: " + ", ".join(
            f"{o.identifier} ({o.region})" for o in changed if o.status in shown)),
            soft_wrap=True)
    else:
        console.print(Text("nothing new: every resource was already "
                           + ("there" if action == "apply" else "gone or left alone")),
                      soft_wrap=True)


@app.command("apply")
def apply_command(
    file: FileArg, design: DesignOpt, endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None, wait: WaitOpt = True, skip: SkipOpt = None,
    allow_unimplemented: UnimplementedOpt = False, json_path: JsonOpt = None,
    domain: DomainOpt = None, backup_role: BackupRoleOpt = None,
    dms_source_url: DmsUrlOpt = None, dms_source_secret: DmsSecretOpt = None,
    dms_target_secret: DmsTargetOpt = None, dms_role: DmsRoleOpt = None,
) -> None:
    """Build a design in AWS: make what is missing (a second apply makes nothing)."""
    skips = _skips(skip)

    def run(plan, ctx, progress):
        from hadrsim.aws.apply import apply_plan

        return apply_plan(plan, ctx, wait=wait, skip=skips,
                          allow_unimplemented=allow_unimplemented, progress=progress)

    _run("apply", file, design, endpoint_url=endpoint_url, profile=profile,
         json_path=json_path, run=run,
         plan_options=dict(domain=domain, backup_role=backup_role,
                           dms_source_url=dms_source_url, dms_source_secret=dms_source_secret,
                           dms_target_secret=dms_target_secret, dms_role=dms_role))


@app.command("destroy")
def destroy_command(
    file: FileArg, design: DesignOpt, endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None, wait: WaitOpt = True, skip: SkipOpt = None,
    allow_unimplemented: UnimplementedOpt = False, json_path: JsonOpt = None,
    skip_final_snapshot: Annotated[bool, typer.Option(
        "--skip-final-snapshot", help="Delete without final snapshots or backups.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    domain: DomainOpt = None, backup_role: BackupRoleOpt = None,
    dms_source_url: DmsUrlOpt = None, dms_source_secret: DmsSecretOpt = None,
    dms_target_secret: DmsTargetOpt = None, dms_role: DmsRoleOpt = None,
) -> None:
    """Delete what apply made for a design (found by its hadrsim tags), newest first.

    Standalone instances, primary clusters and tables get a final snapshot unless
    --skip-final-snapshot; resources not tagged as this design's are left alone.
    """
    skips = _skips(skip)
    if not yes:
        if not sys.stdin.isatty():
            raise _bad_input("destroy deletes AWS resources: pass --yes to confirm")
        typer.confirm(f"Delete the AWS resources of {design}?", abort=True)

    def run(plan, ctx, progress):
        from hadrsim.aws.destroy import destroy_plan

        return destroy_plan(plan, ctx, final_snapshot=not skip_final_snapshot, wait=wait,
                            skip=skips, allow_unimplemented=allow_unimplemented,
                            progress=progress)

    _run("destroy", file, design, endpoint_url=endpoint_url, profile=profile,
         json_path=json_path, run=run,
         plan_options=dict(domain=domain, backup_role=backup_role,
                           dms_source_url=dms_source_url, dms_source_secret=dms_source_secret,
                           dms_target_secret=dms_target_secret, dms_role=dms_role))
