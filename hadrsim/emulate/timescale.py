"""Time scale: the study's control durations divided, so an emulation takes a minute, not hours.

Real AWS time constants (90-s failovers, 15-min operator delays, a 30-min horizon) would make
an emulation take hours. :func:`scale_study` divides every *control* duration of one design
and one scenario by the factor: the horizon, fault times and durations, think times and the
client's retry pause and observation windows, the health-check interval (not below
:data:`MIN_CHECK_INTERVAL_S`), DNS TTLs and caches,
operator delays, promotion and host-replacement laws, the log-upload interval of
automated backups (what a point-in-time restore reaches). It leaves alone what cannot be
shrunk faithfully: network latencies (a user-space proxy cannot emulate much below a
millisecond), the client's operation time-out and the health check's time-out (below ~200 ms
they would fire on ordinary commits), and PostgreSQL's own costs (promotion, crash recovery,
restore), which are whatever they measure.

The scaled study is what the emulator runs *and* what the side-by-side simulation runs, so
the comparison tests the model's structure (detection, decision, DNS, retries, loss
accounting), not AWS's constants.
"""

from __future__ import annotations

from typing import Any

from hadrsim.spec.study import Study

TARGET_S = 60.0
"""The default factor makes the scenario's horizon last about this long (issue 15)."""

MIN_CHECK_INTERVAL_S = 0.5
"""A scaled health-check interval stays at least this long (unless it was shorter to begin
with). A probe is judged after ``min(timeout_s, interval_s)``, so the interval acts as a
time-out; below ~0.5 s a probe over a cross-Region link (65 ms round trips, plus a real
server's and the proxies' own costs) would fail on a healthy writer."""


def default_time_scale(study: Study, scenario_name: str) -> float:
    """The factor that makes ``scenario_name``'s horizon last :data:`TARGET_S` (never < 1)."""
    return max(1.0, study.horizon_for(study.scenario(scenario_name)) / TARGET_S)


def scale_study(study: Study, design_name: str, scenario_name: str, factor: float) -> Study:
    """``study`` reduced to one design and one scenario, with control durations / ``factor``."""
    if not factor >= 1.0:
        raise ValueError(f"time scale must be >= 1 (it divides durations), not {factor!r}")
    design = study.design(design_name)
    scenario = study.scenario(scenario_name)
    inv = 1.0 / factor
    horizon = study.horizon_for(scenario) * inv
    workload = study.workload
    return study.model_copy(update={
        "horizon_s": horizon,
        "workload": workload.model_copy(update=_times(workload, inv, (
            "probe_interval_s", "idle_interval_s", "observe_before_s", "observe_after_s",
            "retry_backoff_s", "dns_cache_s"))),
        "failover": _scaled_policy(study.failover, inv),
        "designs": [design.model_copy(update=_design_times(design, inv))],
        "scenarios": [scenario.model_copy(update={
            "horizon_s": None,
            "scheduled": [f.model_copy(update=_fault_times(f, inv)) for f in scenario.scheduled],
            "stochastic": [f.model_copy(update=_times(f, inv, ("detection_s", "decision_s")))
                           for f in scenario.stochastic],
        })],
    })


def _scaled(value: Any, inv: float) -> Any:
    """A number or a distribution times ``inv`` (None stays None)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return value * inv
    return value.scaled(inv)


def _times(model: Any, inv: float, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _scaled(getattr(model, name), inv) for name in names
            if name in type(model).model_fields}


def _health(check: Any, inv: float) -> Any:
    """A health check's interval scaled, not below :data:`MIN_CHECK_INTERVAL_S`; its
    time-out is a network time-out: kept."""
    interval = max(check.interval_s * inv, min(check.interval_s, MIN_CHECK_INTERVAL_S))
    return check.model_copy(update={"interval_s": interval})


def _scaled_policy(policy: Any, inv: float) -> Any:
    update = _times(policy, inv, ("operator_delay_s", "repoint_s"))
    update["detection"] = _health(policy.detection, inv)
    return policy.model_copy(update=update)


_DESIGN_TIMES = ("dns_ttl_s", "promotion_s", "replace_host_s", "restore_s", "sync_timeout_s",
                 "log_archive_interval_s")  # RDS's 5-min log upload: the PITR's cadence


def _design_times(design: Any, inv: float) -> dict[str, Any]:
    update = _times(design, inv, _DESIGN_TIMES)
    if "detection" in type(design).model_fields:
        update["detection"] = _health(design.detection, inv)
    if getattr(design, "replicas", None):
        update["replicas"] = [r.model_copy(update=_times(r, inv, ("promotion_s",)))
                              for r in design.replicas]
    return update


def _fault_times(fault: Any, inv: float) -> dict[str, Any]:
    update = _times(fault, inv, ("at_s", "duration_s", "detection_s", "decision_s"))
    return update


__all__ = ["MIN_CHECK_INTERVAL_S", "TARGET_S", "default_time_scale", "scale_study"]
