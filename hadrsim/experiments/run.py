"""Run one (design, fault scenario, run index) and measure it.

Building has no side effects; processes start only when the run starts
(desmod's phases). The returned :class:`RunResult` holds the seed, the horizon,
the wall time, the event count and every metric; a run that raises is returned
with its error instead of aborting a Monte Carlo batch.
"""

from __future__ import annotations

import gc
import math
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from hadrsim.experiments.monitoring import alarm_entries, delay_to_alarm, metric_columns
from hadrsim.experiments.record_store import encode_records
from hadrsim.experiments.stop_conditions import watch_stop_conditions
from hadrsim.models import build_design
from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.client import ObservedClient
from hadrsim.simulator.faults import FaultInjector
from hadrsim.simulator.network import Network, region_rtt_lookup
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.service import ClientService, Service
from hadrsim.simulator.steady import SteadyRuns
from hadrsim.simulator.vocabulary import Ev
from hadrsim.simulator.world import World
from hadrsim.spec.alarms import AlarmSpec
from hadrsim.spec.study import Study

QUIESCE_S = 30.0  # after the horizon: replication settles before replicas are compared


@dataclass
class RunResult:
    """Everything one run produced, small enough to send between processes."""

    design: str
    kind: str
    scenario: str
    run_index: int
    seed: int
    horizon_s: float
    metrics: dict[str, float] = field(default_factory=dict)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    history_hash: str = ""
    events: int = 0
    control: list[tuple[float, str, str | None, str]] = field(default_factory=list)
    wall_s: float = 0.0
    error: str | None = None
    records: bytes | None = None  # the run's records, encoded (run_once(keep_records=True))

    @property
    def ok(self) -> bool:
        return self.error is None


def simulate(study: Study, design_name: str, scenario_name: str, run_index: int) -> World:
    """Build and run one simulation; returns the world with its full record."""
    design = study.design(design_name)
    scenario = study.scenario(scenario_name)
    world = World(study.seed, run_index, study.horizon_for(scenario))
    world.compressed = study.workload.history == "compressed"
    spec = study.network
    net = Network(
        world,
        {r.name: list(r.azs) for r in spec.regions},
        inter_az_rtt_ms=spec.inter_az_rtt_ms,
        intra_az_rtt_ms=spec.intra_az_rtt_ms,
        region_rtt_ms=region_rtt_lookup(spec),
        jitter_sigma=spec.jitter_sigma,
    )
    deployment = build_design(world, net, study, design)
    workload = study.workload
    regions = workload.client_regions
    write_ids = count(1)
    clients = [
        ObservedClient(world, net, deployment.service, workload, f"c{i + 1}",
                       regions[i % len(regions)], write_ids)
        for i in range(workload.observed_clients)
    ]
    _steady_runs(world, net, deployment.service, clients)
    injector = FaultInjector(world, net, deployment, scenario)
    for client in clients:
        client.start()
    injector.start()
    if scenario.stop_conditions:
        alarms = {a.name: a for a in study.alarms}
        watch_stop_conditions(world, [alarms[n] for n in scenario.stop_conditions], injector)
    world.run()
    world.quiesce(QUIESCE_S)  # operations in flight complete; replication settles
    world.rec.final = deployment.service.final_read()
    world.rec.replicas = deployment.service.replica_states(range(workload.observed_keys))
    return world


def _steady_runs(world: World, net: Network, service: ClientService,
                 clients: list[ObservedClient]) -> None:
    """Compressed clients of a single-writer service simulate their successful calls in
    steady runs (:mod:`hadrsim.simulator.steady`); application failover counts each
    call, so its clients never do."""
    if not world.compressed or type(service) is not Service:
        return
    runs = SteadyRuns(world, net, service)
    for client in clients:
        if client.spec.app_failover_after is None:
            client.steady = runs


def add_time_to_alarm(alarms: Sequence[AlarmSpec], rec: Recorder, result: RunResult) -> None:
    """``time_to_alarm_s`` per episode (first of ``alarms`` to fire) and per run, from the
    run's records (the emulator's too).

    Each alarm is evaluated once over the run; an episode's delay is then a bisection
    in the alarm's entries into ALARM (a year of 60-s periods is half a million).
    """
    if not alarms:
        return
    periods = {a.period_s for a in alarms}
    series = {p: metric_columns(rec, p, {a.metric for a in alarms if a.period_s == p})
              for p in periods}
    entries = [alarm_entries(series[a.period_s], a) for a in alarms]
    worst = math.nan
    for episode in result.episodes:
        times = [delay_to_alarm(e, episode["start_s"]) for e in entries]
        finite = [t for t in times if not math.isnan(t)]
        episode["time_to_alarm_s"] = min(finite) if finite else math.nan
        if finite:
            worst = min(finite) if math.isnan(worst) else max(worst, min(finite))
    result.metrics["time_to_alarm_s"] = worst


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a run simulates and is measured.

    A run allocates hundreds of thousands of records that live exactly as long as the run,
    and makes almost no cyclic garbage of its own; the collector's passes over the
    growing record lists were 15-35% of a run's time. The run's world (a cycle) is freed
    by the first collection after it.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def run_once(study: Study, design_name: str, scenario_name: str, run_index: int, *,
             keep_records: bool = False) -> RunResult:
    """Simulate and measure one run; errors are captured, not raised.

    ``keep_records``: the result also carries the run's records, encoded
    (:mod:`hadrsim.experiments.record_store`), for the results store.
    """
    with _collector_paused():
        return _run_once(study, design_name, scenario_name, run_index, keep_records)


def _run_once(study: Study, design_name: str, scenario_name: str, run_index: int,
              keep_records: bool) -> RunResult:
    design = study.design(design_name)
    scenario = study.scenario(scenario_name)
    result = RunResult(
        design_name, design.kind, scenario_name, run_index, study.seed,
        study.horizon_for(scenario),
    )
    started = time.perf_counter()
    try:
        world = simulate(study, design_name, scenario_name, run_index)
        result.metrics, result.episodes = run_metrics(world.rec)
        add_time_to_alarm(study.alarms, world.rec, result)
        if scenario.stop_conditions:
            stops = [e.time_s for e in world.rec.control if e.event == Ev.EXPERIMENT_STOPPED]
            result.metrics["experiment_stopped_s"] = stops[0] if stops else math.nan
        result.history_hash = world.rec.history_hash()
        result.control = [tuple(e) for e in world.rec.control]  # the RDS-style event log
        result.events = world.events_scheduled
        if keep_records:
            result.records = encode_records(world.rec)
    except Exception as exc:  # noqa: BLE001 - a sweep records a failed run, never aborts
        result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
    result.wall_s = time.perf_counter() - started
    return result
