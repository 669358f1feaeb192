"""Apply a plan: make what is missing, in order, and say what happened to every call.

Idempotent: before each call, the resource's describe call says whether it exists; an
existing resource is *present* (when it is this design's, by its hadrsim tags) and not
made again, so a second apply creates nothing. A resource of the same name that is not
this design's stops the apply: hadrsim never adopts what it did not make. Where AWS makes
you wait (an instance becoming available, a replica ACTIVE), apply waits with boto3's
waiters, polling every second against an emulator endpoint and at the waiters' own pace
against AWS. The first failing call stops the apply; the report lists what was created
before it.

An endpoint that lacks an operation is never taken for success: calls named in ``skip``
are not sent and are reported with the reason given; with ``allow_unimplemented`` an
operation the endpoint cannot serve (an HTTP 5xx error page, or a call it accepted
without any effect a describe can see) is reported as skipped with that reason instead of
failing. Secrets are resolved in memory; every message is scrubbed of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from hadrsim.aws.plan import ApiCall, Plan
from hadrsim.aws.resource_types import Env, Found, ResourceType, Unresolved, type_of
from hadrsim.aws.session import AwsContext, AwsError, aws_errors

__all__ = ["ApplyReport", "Outcome", "OutcomeReport", "apply_plan", "error_message", "preflight",
           "unimplemented"]

UNSERVED = "it answered with an HTTP 5xx error page (an operation an emulator lacks)"

@dataclass(frozen=True)
class Outcome:
    """What happened to one call (apply) or one resource (destroy)."""

    step: int
    operation: str
    region: str
    kind: str
    identifier: str
    status: str
    detail: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OutcomeReport:
    """Every call's outcome, in the order it ran, up to and including a failure."""

    study: str
    design: str
    outcomes: list[Outcome] = field(default_factory=list)

    def with_status(self, *statuses: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def failed(self) -> Outcome | None:
        failed = self.with_status("failed")
        return failed[0] if failed else None

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return {"study": self.study, "design": self.design, "ok": self.failed is None,
                "counts": counts, "outcomes": [o.to_dict() for o in self.outcomes]}


@dataclass
class ApplyReport(OutcomeReport):
    """What apply did, in plan order."""

    @property
    def created(self) -> list[Outcome]:
        return self.with_status("created", "configured")


def error_message(exc: BaseException) -> str:
    """botocore's failure as the one line :func:`aws_errors` gives."""
    try:
        with aws_errors():
            raise exc
    except AwsError as err:
        return str(err)
    except Exception:  # noqa: BLE001 - anything else: its type and text, on one line
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def unimplemented(exc: BaseException) -> bool:
    """True for an emulator's answer to an operation it does not have."""
    if isinstance(exc, ResponseParserError):
        return "500" in str(exc) or "Internal Server Error" in str(exc)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return (error.get("Code") in ("NotImplemented", "NotImplementedError", "InvalidAction",
                                      "UnknownOperationException")
                or status in (500, 501) and "not" in str(error.get("Message", "")).lower()
                or status == 500 and "<html" in str(exc).lower())
    return False


def preflight(ctx: AwsContext, plan: Plan) -> str | None:
    """Check Regions and credentials once, fast (no retries); the account id, or AwsError."""
    for call in plan.calls:
        known = ctx.session.get_available_regions(call.service)
        if known and call.region not in known:
            raise AwsError(f"Region {call.region!r} is not a Region of {call.service}; check "
                           "the study's network regions")
    if not plan.calls:
        return None
    return ctx.account(plan.calls[0].region)


def _dependency_keys(plan: Plan, call: ApiCall) -> list[str]:
    return [plan.calls[step - 1].resource.key for step in call.depends_on]


def wait_until(env: Env, rtype: ResourceType, resource,
               want: Callable[[Found | None], bool],
               what: str) -> None:
    """Poll ``rtype.find`` until ``want(found)``; TimeoutError after the limit (1 s polls for
    a minute against an emulator, 20 s polls for two hours against AWS)."""
    fast = env.ctx.endpoint_url is not None
    delay, limit = (1.0, 60.0) if fast else (20.0, 2 * 3600.0)
    deadline = time.monotonic() + limit
    while True:
        if want(rtype.find(env, resource)):
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} after {limit:g} s")
        time.sleep(delay)


def run_waiter(env: Env, service: str, region: str, name: str, args: dict) -> None:
    """A boto3 waiter: 1-s polls against an emulator, the waiter's own pace (x180) on AWS."""
    config = {"Delay": 1, "MaxAttempts": 60} if env.ctx.endpoint_url else {"MaxAttempts": 180}
    env.client(service, region).get_waiter(name).wait(**args, WaiterConfig=config)


def _wait(env: Env, call: ApiCall, response: dict | None, skip: Mapping[str, str]) -> str:
    name = call.wait.waiter or "poll"
    if f"wait:{name}" in skip:
        return f"wait skipped: {skip[f'wait:{name}']}"
    if call.wait.waiter:
        run_waiter(env, call.service, call.region, call.wait.waiter,
                   env.resolve(dict(call.wait.args), response))
        return f"waited: {call.wait.waiter}"
    rtype = type_of(call.resource)
    wait_until(env, rtype, call.resource, lambda f: f is not None and f.status == "ready",
               f"{call.resource.identifier} not ready")
    return "waited until ready"


class _Step:
    """Applies one call; returns (status, detail)."""

    def __init__(self, env: Env, call: ApiCall, *, wait: bool, skip: Mapping[str, str],
                 allow_unimplemented: bool) -> None:
        self.env, self.call, self.wait, self.skip = env, call, wait, skip
        self.allow_unimplemented = allow_unimplemented
        self.rtype = type_of(call.resource)

    def run(self) -> tuple[str, str]:
        call, env, rtype = self.call, self.env, self.rtype
        res = call.resource
        found = rtype.find(env, res)
        if found is not None:
            problem = rtype.owner_problem(found, res)
            if problem:
                return "failed", f"{res.identifier} already exists and {problem}; not adopted"
            if found.status == "deleting":
                return "failed", f"{res.identifier} is being deleted; re-run when it is gone"
            env.found[res.key] = found
            waited = ""
            if self.wait and call.wait is not None and found.status == "pending":
                waited = "; " + _wait(env, call, None, self.skip)
                env.found[res.key] = rtype.find(env, res) or found
            status = "looked-up" if call.operation.startswith("describe") else "present"
            return status, ("already there" if call.creates else "already in place") + waited
        if call.operation.startswith("describe"):
            return "failed", f"{res.identifier} not found in {call.region}"
        params = env.resolve(dict(call.params))
        response = getattr(env.client(call.service, call.region), call.operation)(**params)
        detail = ""
        polled = call.wait is not None and call.wait.waiter is None
        if self.wait and call.wait is not None and not polled:
            detail = _wait(env, call, response, self.skip)
        found = rtype.find(env, res)  # AWS shows a change at once, even before it is ready
        if found is None:
            why = "the endpoint accepted the call but a describe shows no effect"
            if self.allow_unimplemented:
                return "skipped", f"not applied by this endpoint: {why}"
            return "failed", why
        if self.wait and polled:
            detail = _wait(env, call, response, self.skip)
            found = rtype.find(env, res) or found
        env.found[res.key] = found
        return ("created" if call.creates else "configured"), detail


def apply_plan(plan: Plan, ctx: AwsContext, *, wait: bool = True,
               skip: Mapping[str, str] | None = None, allow_unimplemented: bool = False,
               progress: Callable[[Outcome], None] | None = None) -> ApplyReport:
    """Make what ``plan`` describes; stops at the first failure (see the module docstring).

    ``skip`` maps an operation (or ``wait:<waiter>``, ``wait:poll``) to the reason it is not
    sent. Raises :class:`AwsError` only before the first call (credentials, endpoint,
    Region); every later problem is an outcome of the report.
    """
    skip = dict(skip or {})
    env = Env(ctx, plan, preflight(ctx, plan), allow_unimplemented=allow_unimplemented)
    report = ApplyReport(plan.study, plan.design)
    unavailable: dict[str, int] = {}
    for call in plan.calls:
        start = time.monotonic()
        blocked = [k for k in _dependency_keys(plan, call) if k in unavailable]
        if call.operation in skip:
            status, detail = "skipped", f"not sent: {skip[call.operation]}"
        elif blocked:
            status, detail = "skipped", f"needs step {unavailable[blocked[0]]}, skipped"
        else:
            step = _Step(env, call, wait=wait, skip=skip, allow_unimplemented=allow_unimplemented)
            status, detail = attempt(step.run, allow_unimplemented,
                                     ("failed", "needs {}, which does not exist"))
        if status == "skipped":
            unavailable[call.resource.key] = call.step
        if not record(report, env, call, status, detail, start, progress):
            break
    return report


def attempt(run: Callable[[], tuple[str, str]], allow_unimplemented: bool,
            on_unresolved: tuple[str, str]) -> tuple[str, str]:
    """``run()``'s (status, detail), with AWS failures turned into one: an emulator's
    missing operation is skipped when allowed, a missing parent gives ``on_unresolved``
    (status, detail with ``{}`` for the parent), a wait that ran out fails."""
    try:
        return run()
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        if allow_unimplemented and unimplemented(exc):
            return "skipped", f"NotImplemented by this endpoint: {UNSERVED}"
        return "failed", error_message(exc)
    except Unresolved as exc:
        return on_unresolved[0], on_unresolved[1].format(exc)
    except TimeoutError as exc:
        return "failed", f"timed out waiting: {exc}"


def record(report: OutcomeReport, env: Env, call: ApiCall, status: str, detail: str,
           start: float, progress: Callable[[Outcome], None] | None) -> bool:
    """Add the call's outcome (secrets scrubbed) to the report; False once one failed."""
    outcome = Outcome(call.step, call.operation, call.region, call.resource.kind,
                      call.resource.identifier, status, env.scrub(detail),
                      round(time.monotonic() - start, 3))
    report.outcomes.append(outcome)
    if progress is not None:
        progress(outcome)
    return status != "failed"
