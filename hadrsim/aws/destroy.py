"""Destroy what apply made for a design: in reverse dependency order, idempotently, safely.

Resources are found from the plan's identifiers and deleted only when their hadrsim tags
say they are this design's (``hadrsim:study`` and ``hadrsim:design``; Route 53 objects by
hadrsim's CallerReference); anything else of the same name is left alone and reported.
Steps that only configure a resource (tags, PITR, parameters) go with it.

Safe defaults: a standalone DB instance, a primary DB cluster and a DynamoDB table get a
final snapshot (an on-demand backup for DynamoDB) named ``<id>-final-<UTC time>``, kept
after the resource is gone, unless ``final_snapshot=False`` (``--skip-final-snapshot``).
Read replicas, cluster members and global secondaries hold no data of their own and are
deleted without one. A backup vault that still holds recovery points is kept. A second
destroy finds nothing and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from hadrsim.aws.apply import (
    Outcome,
    OutcomeReport,
    attempt,
    error_message,
    preflight,
    record,
    run_waiter,
    wait_until,
)
from hadrsim.aws.plan import ApiCall, Plan
from hadrsim.aws.resource_types import Env, KeptError, NotApplied, type_of
from hadrsim.aws.session import AwsContext

__all__ = ["DestroyReport", "destroy_plan"]


@dataclass
class DestroyReport(OutcomeReport):
    """What destroy did, in deletion order."""

    @property
    def deleted(self) -> list[Outcome]:
        return self.with_status("deleted")


def _destroy_one(env: Env, call: ApiCall, *, final_snapshot: bool, wait: bool,
                 skip: Mapping[str, str], stamp: str) -> tuple[str, str]:
    res, rtype = call.resource, type_of(call.resource)
    found = rtype.find(env, res)
    if found is None:
        return "absent", "nothing to delete"
    problem = rtype.owner_problem(found, res)
    if problem:
        return "left", f"left alone: {problem}"
    if found.status == "deleting":
        detail = "already being deleted"
    else:
        try:
            detail = rtype.delete(env, res, found, final_snapshot=final_snapshot, stamp=stamp)
        except KeptError as exc:
            return "kept", str(exc)
        except NotApplied as exc:
            return "skipped", f"not applied by this endpoint: {exc}"
        except (ClientError, ResponseParserError) as exc:
            after = rtype.find(env, res)  # an error reply does not always mean nothing happened
            if after is not None and after.status != "deleting":
                raise
            detail = f"gone, though the endpoint answered: {error_message(exc)[:100]}"
    env.found.pop(res.key, None)
    if not wait:
        return "deleted", detail
    waiter = rtype.deleted_waiter(res)
    name = waiter[0] if waiter else "poll"
    if f"wait:{name}" in skip:
        return "deleted", f"{detail}; wait skipped: {skip[f'wait:{name}']}".lstrip("; ")
    if waiter:
        run_waiter(env, rtype.service, res.region, *waiter)
    else:
        wait_until(env, rtype, res, lambda f: f is None, f"{res.identifier} still there")
    return "deleted", detail


def destroy_plan(plan: Plan, ctx: AwsContext, *, final_snapshot: bool = True,
                 wait: bool = True, skip: Mapping[str, str] | None = None,
                 allow_unimplemented: bool = False,
                 progress: Callable[[Outcome], None] | None = None) -> DestroyReport:
    """Delete the plan's resources in reverse order (see the module docstring).

    ``skip`` names operations of the *plan* whose resources are not looked for (an
    endpoint without them), and ``wait:<waiter>`` entries for waits not to do. Raises
    :class:`~hadrsim.aws.session.AwsError` only before the first call.
    """
    skip = dict(skip or {})
    env = Env(ctx, plan, preflight(ctx, plan), allow_unimplemented=allow_unimplemented)
    report = DestroyReport(plan.study, plan.design)
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    for call in reversed(plan.calls):
        if type_of(call.resource).config:
            continue
        start = time.monotonic()
        if call.operation in skip:
            status, detail = "skipped", f"not sent: {skip[call.operation]}"
        else:
            def destroy_one(call: ApiCall = call) -> tuple[str, str]:
                return _destroy_one(env, call, final_snapshot=final_snapshot, wait=wait,
                                    skip=skip, stamp=stamp)

            status, detail = attempt(destroy_one, allow_unimplemented,
                                     ("absent", "its parent {} is gone"))
        if not record(report, env, call, status, detail, start, progress):
            break
    return report
