"""``emulate()``: a design and scenario on real PostgreSQL, with the simulation beside it.

The study is first time-scaled (:mod:`hadrsim.emulate.timescale`). The emulated runs go
one after another, each on fresh servers in its own sandbox. The side-by-side simulation
runs the *same scaled study* with the emulated topology's semantics, so that what differs
is the model's structure, not AWS's constants:

- promotion takes what PostgreSQL measured (the mean of the emulated ``pg_promote`` times),
  not RDS's calibrated law;
- a synchronous standby blocks commits with no time-out, as PostgreSQL's does
  (``sync_timeout_s`` effectively infinite), unlike RDS's storage-level replication;
- a commit whose client cancels the wait for the standby is acknowledged without it, as
  PostgreSQL does (``standby_replication: streaming`` for a Multi-AZ instance too);
- an asynchronous replica lags by what its link delays (the simulated network), not by
  RDS's calibrated lag law: PostgreSQL streams WAL as it is written;
- a lone instance's restore after a storage loss takes what PostgreSQL measured (the mean
  of the emulated point-in-time restores), not RDS's restore law: the simulated controller
  adds nothing to it (the size, log-replay and cold-block parts belong to an operator's
  restore into a new instance, which the emulator does not run), so the twin's restore
  lasts what the emulated one did.

Both sides are summarised by the same function as ``hadrsim run``'s scenarios
(:func:`~hadrsim.experiments.summary.summarize_scenario`: censored RTOs kept censored,
unknown losses counted as unknown).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from hadrsim.emulate.binaries import PgBinaries, find_binaries
from hadrsim.emulate.nemesis import check_faults
from hadrsim.emulate.pitr import check_storage_loss
from hadrsim.emulate.run import Measured, not_applicable, run_one
from hadrsim.emulate.sandbox import Sandbox
from hadrsim.emulate.store import EmulationStore
from hadrsim.emulate.timescale import default_time_scale, scale_study
from hadrsim.emulate.topology import NotEmulated, check_emulated
from hadrsim.experiments.run import RunResult, run_once
from hadrsim.experiments.summary import summarize_scenario
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.vocabulary import Metric
from hadrsim.spec.distributions import constant

if TYPE_CHECKING:
    from hadrsim.experiments.store import ResultsStore

T = TypeVar("T")

SIDE_BY_SIDE = (Metric.RTO_WRITE_S, Metric.RTO_READ_S, Metric.LOST_WRITES, Metric.RPO_S,
                Metric.AVAILABILITY_WRITE, "write_success_ratio", "commit_latency_p50_ms",
                "read_latency_p50_ms", "divergent_keys")
"""The metrics the side-by-side table shows (any other is in the JSON)."""

NO_TIME_OUT_S = 1e9
"""PostgreSQL's synchronous replication waits for the standby forever (no time-out)."""


@dataclass
class Emulation:
    """The emulated runs of one design and scenario, and the simulation of the same."""

    study: Any  # the time-scaled study both sides ran
    design: str
    scenario: str
    time_scale: float
    binaries: PgBinaries
    runs: list[RunResult] = field(default_factory=list)
    measured: list[Measured] = field(default_factory=list)
    recorders: list[Recorder] = field(default_factory=list)  # each run's records
    simulated: list[RunResult] = field(default_factory=list)
    stored: dict[str, int] | None = None  # runs added to the results store, per source

    @property
    def promote_s(self) -> list[float]:
        return [t for m in self.measured for t in m.promote_s]

    @property
    def restore_s(self) -> list[float]:
        """PostgreSQL's measured point-in-time restores (a lone instance's lost storage)."""
        return [t for m in self.measured for t in m.restore_s]

    def summaries(self) -> dict[str, dict[str, Any]]:
        return {"emulation": summarize_scenario(self.runs),
                "simulation": summarize_scenario(self.simulated)}

    def side_by_side(self) -> list[dict[str, Any]]:
        """Per metric: each side's mean, 95% CI and n, and the relative difference."""
        sides = self.summaries()
        rows = []
        for metric in SIDE_BY_SIDE:
            emu = sides["emulation"]["metrics"].get(metric, {})
            sim = sides["simulation"]["metrics"].get(metric, {})
            rows.append({"metric": metric, "emulation": _brief(emu), "simulation": _brief(sim),
                         "relative_difference": _relative(emu.get("mean"), sim.get("mean"))})
        return rows

    def to_json(self) -> dict[str, Any]:
        return {
            "source": "emulation",
            "study": self.study.name,
            "design": self.design,
            "kind": self.study.design(self.design).kind,
            "scenario": self.scenario,
            "time_scale": self.time_scale,
            "horizon_s": self.study.horizon_for(self.study.scenario(self.scenario)),
            "postgresql": {"version": self.binaries.version, "source": self.binaries.source},
            "promote_s": self.promote_s,
            "restore_s": self.restore_s,
            "not_applicable": not_applicable(self.study),
            "side_by_side": self.side_by_side(),
            **self.summaries(),
            "runs": [{"run_index": r.run_index, "metrics": r.metrics, "episodes": r.episodes,
                      "control": r.control, "wall_s": r.wall_s} for r in self.runs],
        }


def check(study: Any, design: str, scenario: str) -> None:
    """Refuse, before any server starts, what cannot be emulated (NotEmulated, KeyError)."""
    check_emulated(study.design(design))
    chosen = study.scenario(scenario)
    check_faults(chosen)
    check_storage_loss(study.design(design), chosen)
    if chosen.stop_conditions:
        raise NotEmulated(f"not emulated: stop_conditions (scenario {chosen.name!r}); the "
                          "emulator runs every scenario to its horizon")


def emulate(study: Any, design: str, scenario: str, *, runs: int = 1,
            time_scale: float | None = None, sim_runs: int = 30, keep: bool = False,
            progress: Callable[[str], None] | None = None,
            store: ResultsStore | None = None) -> Emulation:
    """Run ``design`` under ``scenario`` on real PostgreSQL ``runs`` times, then simulate
    the same scaled scenario ``sim_runs`` times with the emulated topology's semantics.

    ``store``: each run is committed to it as it finishes, under its own parameters
    (:mod:`hadrsim.emulate.store`), so an interrupted emulation keeps its finished runs."""
    check(study, design, scenario)
    binaries = find_binaries()
    factor = default_time_scale(study, scenario) if time_scale is None else time_scale
    scaled = scale_study(study, design, scenario, factor)
    out = Emulation(scaled, design, scenario, factor, binaries)
    saver = None if store is None else EmulationStore(store, factor, binaries.version)
    say = progress or (lambda _line: None)
    for index in range(runs):
        with Sandbox(binaries, keep=keep) as sandbox:
            say(f"emulating run {index + 1}/{runs} in {sandbox.path}")
            result, recorder, measured = _run_to_end(
                partial(run_one, scaled, design, scenario, index, sandbox))
        out.runs.append(result)
        out.recorders.append(recorder)
        out.measured.append(measured)
        if saver is not None:
            saver.add_emulated(scaled, result, recorder)
    say(f"simulating the same scaled scenario {sim_runs} times")
    twin = emulated_semantics(scaled, design, out.promote_s, restore_s=out.restore_s)
    for index in range(sim_runs):
        result = run_once(twin, design, scenario, index, keep_records=saver is not None)
        out.simulated.append(result)
        if saver is not None:
            saver.add_simulated(twin, result)
    out.stored = None if saver is None else dict(saver.added)
    return out


def _run_to_end(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end: in this thread, or, where an event loop already runs
    here (a Jupyter notebook), on a fresh loop in a worker thread while this one waits.
    The servers' parent-death signal follows the thread that started them: this worker
    lives until the run, which stops its servers itself, has ended."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(1, thread_name_prefix="hadrsim-emulate") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def emulated_semantics(study: Any, design: str, promote_s: list[float], *,
                       restore_s: list[float] | None = None) -> Any:
    """The scaled study as the emulated topology behaves: PostgreSQL's measured promotion
    (and ``restore_s``: point-in-time restore) times and its synchronous commit rule (see
    the module docstring)."""
    spec = study.design(design)
    update: dict[str, Any] = {}
    if "sync_timeout_s" in type(spec).model_fields:
        update["sync_timeout_s"] = NO_TIME_OUT_S
    if "standby_replication" in type(spec).model_fields:
        update["standby_replication"] = "streaming"  # a cancelled wait acknowledges
    if restore_s and "restore_s" in type(spec).model_fields:
        update["restore_s"] = constant(sum(restore_s) / len(restore_s))
    promoted = None if not promote_s else constant(sum(promote_s) / len(promote_s))
    if promoted is not None and "promotion_s" in type(spec).model_fields:
        update["promotion_s"] = promoted
    if getattr(spec, "replicas", None):
        # a replica streams as fast as its link allows: the network (simulated alike)
        # is its whole lag, not RDS's calibrated lag law
        update["replicas"] = [r.model_copy(update={
            "lag_s": constant(0.0), **({"promotion_s": promoted} if promoted else {})})
            for r in spec.replicas]
    return study.model_copy(update={"designs": [spec.model_copy(update=update)]})


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("mean", "ci95", "n", "n_unknown", "n_censored", "mean_is_lower_bound")
    return {key: summary[key] for key in keys if key in summary}


def _relative(emulated: float | None, simulated: float | None) -> float | None:
    """(emulation - simulation) / simulation; None when either is unknown or sim is 0."""
    if emulated is None or simulated is None or not (math.isfinite(emulated)
                                                    and math.isfinite(simulated)):
        return None
    if simulated == 0:
        return 0.0 if emulated == 0 else None
    return (emulated - simulated) / abs(simulated)


__all__ = ["NO_TIME_OUT_S", "SIDE_BY_SIDE", "Emulation", "check", "emulate",
           "emulated_semantics"]
