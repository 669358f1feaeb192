"""A study file: designs x fault scenarios, a workload, a policy, a seed.

This is the root of the YAML a user writes. Validation resolves defaults that
depend on the network (a design with no region takes the first one) and checks
every place name, so that a model builder never meets an unknown name. A fault
that can apply to no design of the study (a switchover with no global database,
a backup failure with no backups) is refused: it would measure nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from hadrsim.spec.alarms import AlarmSpec
from hadrsim.spec.applicability import applies_to_none
from hadrsim.spec.backup_plans import BackupPlanSpec, check_backup_plans
from hadrsim.spec.decision import ENGINES, ConstraintsSpec, DecisionSpec
from hadrsim.spec.designs import DesignSpec
from hadrsim.spec.distributions import Dist, constant, lognormal
from hadrsim.spec.faults import (
    AZ_TARGETS,
    NODE_TARGETS,
    REGION_TARGETS,
    DisruptionClass,
    Faults,
    FaultScenario,
)
from hadrsim.spec.kinds import kind_of, on_register
from hadrsim.spec.longrun import LongRunSpec
from hadrsim.spec.network import NetworkSpec
from hadrsim.spec.rds import HealthCheckSpec
from hadrsim.spec.types import Integer, Name, Number, is_control
from hadrsim.spec.workload import WorkloadSpec


class FailoverPolicySpec(BaseModel):
    """How a non-managed promotion (a read replica) happens: by an operator or a script."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    mode: Literal["manual", "automatic"] = "manual"
    # calibration 4: operator delay before promoting, 15 min; 5-60 (ASM).
    operator_delay_s: Dist = lognormal(900.0, 3600.0)
    # calibration 8: DNS change propagation 30 s, "within 60 seconds" (S22).
    repoint_s: Dist = constant(30.0)
    # ASM: the operator's alarm, a 10-s check x 3 (Route 53 fast interval, S19/S20).
    detection: HealthCheckSpec = HealthCheckSpec(interval_s=10.0, failure_threshold=3)


class PolicyTargetSpec(BaseModel):
    """Resilience Hub style target for one disruption class."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    rto_s: Number = Field(ge=0)
    rpo_s: Number = Field(ge=0)


class Study(BaseModel):
    """The whole study file."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: Name
    description: str = ""
    seed: Integer = Field(0, ge=0, strict=True)
    runs: Integer = Field(20, ge=1, le=1_000_000, strict=True)
    horizon_s: Number = Field(1800.0, gt=0)
    network: NetworkSpec = NetworkSpec()
    workload: WorkloadSpec = WorkloadSpec()
    failover: FailoverPolicySpec = FailoverPolicySpec()
    designs: list[DesignSpec] = Field(min_length=1)
    scenarios: list[FaultScenario] = Field(min_length=1)
    policy: dict[DisruptionClass, PolicyTargetSpec] = Field(default_factory=dict)
    alarms: list[AlarmSpec] = Field(
        default_factory=list, description="CloudWatch-style alarms; time to alarm is reported."
    )
    # calibration 9 (S23): AWS Backup plans; none by default (audited by backup-audit).
    backup_plans: list[BackupPlanSpec] = Field(default_factory=list)
    decision: DecisionSpec = DecisionSpec()
    constraints: ConstraintsSpec = ConstraintsSpec()
    longrun: LongRunSpec = LongRunSpec()

    @model_serializer(mode="wrap")
    def _omit_default_longrun(self, handler: Any) -> Any:
        """A study without a ``longrun:`` block dumps as it did before the block existed,
        so results stores keyed by the study's JSON still recognise it."""
        data = handler(self)
        if isinstance(data, dict) and self.longrun == LongRunSpec():
            data.pop("longrun", None)
        return data

    @model_validator(mode="after")
    def _resolve_and_check_places(self) -> Study:
        errors: list[str] = []
        _unique([d.name for d in self.designs], "designs", errors)
        _unique([s.name for s in self.scenarios], "scenarios", errors)
        resolved = []
        for i, design in enumerate(self.designs):
            design, problems = kind_of(design).resolve_locations(
                design, self.network, f"designs.{i}")
            errors += problems
            resolved.append(design)
        regions = [r.name for r in self.network.regions]
        azs = [az for r in self.network.regions for az in r.azs]
        client_regions = self.workload.client_regions or [regions[0]]
        for i, region in enumerate(client_regions):
            if region not in regions:
                errors.append(
                    f"workload.client_regions.{i}: unknown region {region!r}; known: {regions}"
                )
        nodes = sorted({name for design in resolved
                        for name in kind_of(design).node_names(design)})
        alarm_names = [a.name for a in self.alarms]
        _printable([d.name for d in self.designs], "designs", errors)
        _printable(alarm_names, "alarms", errors)
        _unique(alarm_names, "alarms", errors)
        for s, scenario in enumerate(self.scenarios):
            for j, name in enumerate(scenario.stop_conditions):
                if name not in alarm_names:
                    errors.append(f"scenarios.{s}.stop_conditions.{j}: no alarm {name!r}; "
                                  f"alarms: {alarm_names}")
            faults = [("scheduled", f) for f in scenario.scheduled]
            faults += [("stochastic", f) for f in scenario.stochastic]
            horizon = scenario.horizon_s or self.horizon_s
            for j, (group, fault) in enumerate(faults):
                index = j if group == "scheduled" else j - len(scenario.scheduled)
                path = f"scenarios.{s}.{group}.{index}"
                known = len(errors)
                _check_fault_places(fault, path, regions, azs, errors)
                target = fault.target or ""
                if target.startswith("node:") and target[5:] not in nodes:
                    errors.append(f"{path}.target: no design has node {target[5:]!r}; "
                                  f"nodes: {nodes}")
                if len(errors) == known:  # places known: can it apply to some design?
                    problem = applies_to_none(resolved, fault, path)
                    if problem:
                        errors.append(problem)
                if group == "scheduled" and fault.at_s >= horizon:
                    errors.append(f"{path}.at_s: value {fault.at_s:g} is not before the "
                                  f"horizon ({horizon:g} s): the fault would never happen")
        scenario_names = [s.name for s in self.scenarios]
        if self.longrun.scenario is not None and self.longrun.scenario not in scenario_names:
            errors.append(f"longrun.scenario: value {self.longrun.scenario!r}: no such "
                          f"scenario; scenarios: {scenario_names}")
        errors += check_backup_plans(self.backup_plans, [d.name for d in self.designs], regions)
        for k, engine in enumerate(self.constraints.engines() or []):
            if engine not in ENGINES:
                where = "" if isinstance(self.constraints.engine, str) else f".{k}"
                errors.append(f"constraints.engine{where}: value {engine!r}: expected one "
                              f"of {list(ENGINES)}")
        if errors:
            raise ValueError("\n".join(errors))
        object.__setattr__(self, "designs", resolved)
        if self.workload.client_regions is None:
            workload = self.workload.model_copy(update={"client_regions": client_regions})
            object.__setattr__(self, "workload", workload)
        return self

    def design(self, name: str) -> DesignSpec:
        for design in self.designs:
            if design.name == name:
                return design
        raise KeyError(f"no design {name!r}; designs: {[d.name for d in self.designs]}")

    def scenario(self, name: str) -> FaultScenario:
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(f"no scenario {name!r}; scenarios: {[s.name for s in self.scenarios]}")

    def with_history(self, history: str) -> Study:
        """This study with its observed clients' ``workload.history`` set: ``per_op`` (one
        event per call, the reference) or ``compressed`` (failure streaks and steady runs,
        the default)."""
        workload = self.workload.model_copy(update={"history": history})
        return self.model_copy(update={"workload": workload})

    def with_scenarios(self, names: str | Sequence[str]) -> Study:
        """This study with only the scenarios ``names`` (kept in the study's order): a
        smaller experiment, e.g. one disruption class, or a lab within its time budget.

        Runs of a kept scenario are unchanged (streams are keyed by name, not position).
        An unknown name is a KeyError naming the scenarios; keeping none, or dropping the
        ``longrun.scenario``, is a ValueError.
        """
        wanted = list(dict.fromkeys([names] if isinstance(names, str) else names))
        for name in wanted:
            self.scenario(name)
        if not wanted:
            raise ValueError("with_scenarios: name at least one scenario; scenarios: "
                             f"{[s.name for s in self.scenarios]}")
        if self.longrun.scenario is not None and self.longrun.scenario not in wanted:
            raise ValueError(f"with_scenarios: longrun.scenario {self.longrun.scenario!r} "
                             "would be left out; keep it")
        kept = [s for s in self.scenarios if s.name in wanted]
        return self.model_copy(update={"scenarios": kept})

    def horizon_for(self, scenario: FaultScenario) -> float:
        return scenario.horizon_s or self.horizon_s


def _unique(names: list[str], path: str, errors: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            errors.append(f"{path}.{i}.name: {name!r} is used twice; names must be unique")
        seen.add(name)


def _printable(names: list[str], path: str, errors: list[str]) -> None:
    """Names reach tables and messages: an ANSI escape in one would drive the terminal."""
    for i, name in enumerate(names):
        if any(is_control(c) for c in name):
            errors.append(f"{path}.{i}.name: value {name!r}: control characters are not "
                          "allowed in names; use letters, digits, spaces, '-', '_' or '.'")


def _check_fault_places(fault, path: str, regions: list[str], azs: list[str], errors) -> None:
    places = set(regions) | set(azs) | set(AZ_TARGETS) | set(REGION_TARGETS)
    if fault.between is not None:
        for k, place in enumerate(fault.between):
            if place not in places:
                errors.append(
                    f"{path}.between.{k}: unknown place {place!r}; use a region, an AZ, "
                    f"or one of {list(AZ_TARGETS + REGION_TARGETS)}"
                )
        return
    target = fault.target
    if target in NODE_TARGETS or target.startswith("node:"):
        return
    if fault.kind == Faults.AZ_OUTAGE and target not in AZ_TARGETS and target not in azs:
        errors.append(f"{path}.target: unknown AZ {target!r}; known: {azs} or {list(AZ_TARGETS)}")
    if (fault.kind in (Faults.REGION_OUTAGE, Faults.SWITCHOVER) and target not in REGION_TARGETS
            and target not in regions):
        errors.append(
            f"{path}.target: unknown region {target!r}; known: {regions} or {list(REGION_TARGETS)}"
        )


on_register(lambda: Study.model_rebuild(force=True))  # a new kind joins the designs union
