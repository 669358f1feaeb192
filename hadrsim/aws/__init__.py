"""The AWS adapter: a simulated design becomes the boto3 calls that build it.

Library code takes an injected :class:`~hadrsim.aws.session.AwsContext`; nothing here
builds clients from globals. Calls to AWS need ``pip install 'hadrsim[aws]'`` (boto3);
plans and dry exports do not, so names are imported on first use.

Design kinds are found through the registry (:mod:`hadrsim.spec.kinds`): this package
attaches its hooks of the built-in kinds (``plan``, ``alarms``, ``fis``) in one place,
:mod:`hadrsim.aws.builtin_kinds`, imported here.
"""

from __future__ import annotations

from importlib import import_module

_HOMES = {
    "AwsContext": "session", "AwsError": "session", "open_context": "session",
    "plan_design": "plan", "Plan": "plan", "ApiCall": "plan", "PlanError": "plan",
    "DEFAULTS": "plan",
    "apply_plan": "apply", "ApplyReport": "apply", "Outcome": "apply",
    "destroy_plan": "destroy", "DestroyReport": "destroy",
    "export_fis": "fis", "FisExport": "fis", "create_template": "fis",
    "resiliency_policy": "resiliencehub", "assessments": "resiliencehub",
    "create_policy": "resiliencehub", "PolicyError": "resiliencehub",
    "discover_deployment": "discover:discover", "Discovery": "discover",
    "build_study": "discover_build",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'hadrsim.aws' has no attribute {name!r}")
    module, _, attribute = _HOMES[name].partition(":")
    # "discover" is also a submodule's name, so the function is exported under another
    return getattr(import_module(f"hadrsim.aws.{module}"), attribute or name)


from hadrsim.aws import builtin_kinds  # noqa: E402,F401  (registers the kinds' aws hooks)
