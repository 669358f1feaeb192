"""The long-run view of a study: ``hadrsim longrun`` as one call.

::

    view = hadrsim.long_run(study, years=10, runs=2000, workers=2, store="lib.db")
    view.to_json()["designs"][0]["availability"]     # {"mean": ..., "ci95": [...]}

Two levels, each honest: an episode library measured by the full model
(:mod:`.library`), and a renewal Monte Carlo over many years that resamples it
(:mod:`.renewal`), with overlapping faults simulated in full (:mod:`.compound`).
Availability is *write* availability, as the simulator's ``availability_write``:
the share of time in which a client write would succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hadrsim.experiments.jsonout import strict_json
from hadrsim.longrun.compound import sample, simulate_groups
from hadrsim.longrun.estimate import figure, percentiles
from hadrsim.longrun.histories import Batch, draw_batches
from hadrsim.longrun.library import (
    FaultClass,
    Impacts,
    Library,
    build_library,
    fault_classes,
    library_study,
)
from hadrsim.longrun.renewal import YEAR_S
from hadrsim.longrun.sla import aws_sla_pct
from hadrsim.longrun.yearly import annual_downtime_min, batch_figures, outages
from hadrsim.simulator.checkers.availability import nines

if TYPE_CHECKING:
    from hadrsim.experiments.montecarlo import RunExecutor
    from hadrsim.experiments.store import ResultsStore
    from hadrsim.spec.study import Study

METHOD = ("episode library (full model, one fault per episode, sequential) + vectorised "
          "renewal Monte Carlo; compound faults simulated in full; 95% intervals from "
          "batch means with a bootstrapped library")


@dataclass
class LongRun:
    """The long-run view of a study: one document per design."""

    study: str
    scenario: str
    years: float
    runs: int
    seed: int
    classes: list[FaultClass]
    designs: list[dict[str, Any]]
    annual_downtime_min: dict[str, np.ndarray] = field(default_factory=dict)
    """Per design, the downtime (minutes) of every simulated whole year: for plots."""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document (NaN and infinities become null)."""
        return strict_json({
            "study": self.study, "scenario": self.scenario, "years": self.years,
            "runs": self.runs, "seed": self.seed, "method": METHOD,
            "classes": [{"class": c.label, "kind": c.fault.kind,
                         "mttf_h": _law_json(c.fault.mttf_h),
                         "mttr_h": _law_json(c.fault.mttr_h)} for c in self.classes],
            "notes": self.notes(),
            "designs": self.designs,
        })

    def notes(self) -> list[str]:
        """What a reader must know to read these figures right."""
        notes = [f"{c.label}: library episodes start with {c.fault.target[5:]} in its initial "
                 "role, although over the years roles swap; a primary/standby target "
                 "follows the role" for c in self.classes
                 if (c.fault.target or "").startswith("node:")]
        return notes


def long_run(study: Study, *, designs: Sequence[str] | None = None,
             scenario: str | None = None, years: float | None = None,
             runs: int | None = None, sla_pct: float | None = None, workers: int = 1,
             store: str | Path | ResultsStore | None = None,
             prices: dict[str, float] | None = None,
             progress: Callable[[str], None] | None = None) -> LongRun:
    """Build (or reuse from ``store``) the episode library, then draw the years."""
    from hadrsim.experiments.montecarlo import RunExecutor

    spec = study.longrun
    years = float(years if years is not None else spec.years)
    runs = int(runs if runs is not None else spec.runs)
    if runs < 20:
        raise ValueError(f"runs: value {runs}: at least 20 histories are needed "
                         "(20 batches give the interval)")
    picked, classes = fault_classes(study, scenario)
    names = [d.name for d in study.designs]
    for name in designs or []:
        if name not in names:
            raise ValueError(f"design {name!r}: no such design; designs: {names}")
    lib = library_study(study, classes)
    chosen = list(designs) if designs else names
    opened = open_store(store)
    try:
        with RunExecutor(lib, workers=workers) as executor:
            library = build_library(lib, classes, executor, opened, progress,
                                    rules=spec.library, designs=chosen)
            call = _Call(study, lib, classes, library, executor, opened, progress, years,
                         runs, sla_pct, prices)
            views = [_design(call, name) for name in chosen]
    finally:
        if opened is not None and not _is_store(store):
            opened.close()
    return LongRun(study.name, picked.name, years, runs, study.seed, classes,
                   [doc for doc, _annual in views],
                   {doc["design"]: annual for doc, annual in views})


@dataclass
class _Call:
    """What one ``long_run`` call works with, shared by its designs."""

    study: Study
    lib: Study
    classes: list[FaultClass]
    library: Library
    executor: RunExecutor
    store: ResultsStore | None
    progress: Callable[[str], None] | None
    years: float
    runs: int
    sla_pct: float | None
    prices: dict[str, float] | None


def _design(call: _Call, name: str) -> tuple[dict[str, Any], np.ndarray]:
    """The design's document, and the downtime of each of its simulated years."""
    study, classes, years, runs = call.study, call.classes, call.years, call.runs
    mine = {c.index: call.library[(name, c.index)] for c in classes}
    settle = float(study.workload.observe_after_s)
    args = (name, classes, mine, years * YEAR_S, runs, study.seed, settle)
    plain = draw_batches(*args)
    boot = draw_batches(*args, bootstrap=True)
    compound = _simulate_compounds(call, plain, boot, name)
    design = study.design(name)
    sla = (call.sla_pct if call.sla_pct is not None
           else (study.longrun.sla_pct or aws_sla_pct(design)))
    figures: dict[str, list[dict[str, float]]] = {"plain": [], "boot": []}
    annual, censored = [], []
    for tag, batches in (("plain", plain), ("boot", boot)):
        for batch in batches:
            out = outages(batch, mine)
            figures[tag].append(batch_figures(batch, out, years, sla))
            if tag == "plain":
                annual.append(annual_downtime_min(batch, out, years))
                censored.append(float(out.censored.mean()) if len(out.censored) else 0.0)
    years_down = np.concatenate(annual)
    return _document(study, design, classes, mine, figures, years_down,
                     float(np.mean(censored)), sla, compound, call.prices,
                     runs * years), years_down


def _simulate_compounds(call: _Call, plain: list[Batch], boot: list[Batch], design: str
                        ) -> tuple[int, int]:
    """Simulate a sample of the compound groups of both batch sets; give every group an
    impact. Returns ``(groups, simulated)``.

    Plain batches keep a simulated group's own impact and resample the simulated
    groups of the same classes for the others; bootstrap batches first resample
    those pools (their uncertainty is part of the interval).
    """
    keys = [(batches, b, gid) for batches in (plain, boot)
            for b, batch in enumerate(batches) for gid in sorted(batch.compound)]
    by_signature: dict[tuple[int, ...], list[int]] = {}
    for k, (batches, b, gid) in enumerate(keys):
        by_signature.setdefault(batches[b].compound[gid].signature, []).append(k)
    chosen = sample(by_signature, call.study.longrun.library.max_compound, plain[0].rng)
    if call.progress is not None and keys:
        call.progress(f"{design}: {len(keys)} compound fault groups, simulating "
                      f"{len(chosen)}")
    groups = [keys[k][0][keys[k][1]].compound[keys[k][2]] for k in chosen]
    impacts = simulate_groups(call.lib, call.classes, groups, call.executor, call.store)
    measured = dict(zip(chosen, impacts, strict=True))
    pools = {sig: [measured[k] for k in ks if k in measured]
             for sig, ks in by_signature.items()}
    for batch in boot:  # a bootstrap of each pool, per batch
        batch.pools = {sig: [pool[i] for i in batch.rng.integers(0, len(pool), len(pool))]
                       for sig, pool in pools.items()}
    for k, (batches, b, gid) in enumerate(keys):
        batch = batches[b]
        signature = batch.compound[gid].signature
        if batches is plain and k in measured:
            batch.impacts[gid] = measured[k]
            continue
        pool = pools[signature] if batches is plain else batch.pools[signature]
        batch.impacts[gid] = pool[int(batch.rng.integers(len(pool)))]
    return len(keys), len(chosen)  # found in both batch sets, simulated


def _document(study: Study, design: Any, classes: list[FaultClass],
              library: dict[int, Impacts], figures: dict[str, list[dict[str, float]]],
              annual: np.ndarray, censored: float, sla: float | None,
              compound: tuple[int, int], prices: dict[str, float] | None,
              run_years: float) -> dict[str, Any]:
    from hadrsim.models.pricing import DEFAULT_PRICES, monthly_cost

    def series(key: str, tag: str = "plain") -> list[float]:
        return [b[key] for b in figures[tag]]

    def fig(key: str, domain: str, trials: float | None = None, **extra: Any
            ) -> dict[str, Any] | None:
        """The figure, or None (unknown) when some history held an unobserved impact."""
        plain, boot = series(key), series(key, "boot")
        if not np.isfinite(plain + boot).all():
            return None
        return figure(plain, boot, domain, int(trials) if trials else None, **extra)

    measured = any(library[c.index].episodes for c in classes)
    unavailability = fig("unavailability", "share") if measured else None
    availability = None
    if unavailability is not None:
        low, high = unavailability["ci95"]
        availability = {"mean": 1.0 - unavailability["mean"],
                        "ci95": [1.0 - high, 1.0 - low],
                        "nines": nines(1.0 - unavailability["mean"]),
                        "bound": "upper" if censored else None}
    downtime = fig("downtime_min_per_year", "positive", **percentiles(annual)) \
        if measured else None
    lost = fig("lost_writes_per_year", "positive")
    doc: dict[str, Any] = {
        "design": design.name, "kind": design.kind,
        "availability": availability,
        "downtime_min_per_year": downtime,
        "unknown": _unknown(classes, library) if availability is None else None,
        "censored_share": censored,
        "incidents_per_year": fig("incidents_per_year", "positive"),
        "outages_per_year": fig("outages_per_year", "positive"),
        "lost_writes_per_year": lost,
        "loss_window_s_per_year": fig("loss_window_s_per_year", "positive"),
        "sla_pct": sla,
        "p_meets_sla": None, "months_below_sla_per_year": None,
        "compound": {"share_of_incidents": float(np.mean(series("compound_share"))),
                     "share_of_time": float(np.mean(series("compound_time_share"))),
                     "groups": compound[0], "simulated": compound[1]},
        "cost_month_usd": monthly_cost(design, study.workload, prices or DEFAULT_PRICES)[
            "total"],
        "incident_cost_usd_per_year": _incident_cost(study, downtime, lost),
        "classes": [{"class": c.label, **library[c.index].to_dict()} for c in classes],
    }
    if sla is not None and measured and "p_meets_sla" in figures["plain"][0]:
        doc["p_meets_sla"] = fig("p_meets_sla", "share", trials=run_years * 12)
        doc["months_below_sla_per_year"] = fig("months_below_sla_per_year", "positive")
    return doc


def _unknown(classes: list[FaultClass], library: dict[int, Impacts]) -> list[str]:
    """Why availability is unknown: nothing applies, or outages nobody observed."""
    if all(library[c.index].episodes == 0 for c in classes):
        return ["no fault class applies to this design: nothing was measured"]
    reasons = [f"{c.label}: {library[c.index].unknown} of {library[c.index].episodes} "
               "episodes had no surviving client to observe the outage"
               for c in classes if library[c.index].unknown]
    return reasons or ["a compound fault group's outage had no surviving client to see it"]


def _incident_cost(study: Study, downtime: dict[str, Any] | None,
                   lost: dict[str, Any] | None) -> float | None:
    """Expected yearly cost of incidents, when the study prices downtime and loss (None
    when a figure it needs is unknown)."""
    spec = study.longrun
    if spec.downtime_cost_usd_per_min is None and spec.lost_write_cost_usd is None:
        return None
    if downtime is None or lost is None:
        return None
    return (downtime["mean"] * (spec.downtime_cost_usd_per_min or 0.0)
            + lost["mean"] * (spec.lost_write_cost_usd or 0.0))


def _law_json(law: Any) -> Any:
    return law if isinstance(law, (int, float)) else law.model_dump(by_alias=True)


def _is_store(store: Any) -> bool:
    from hadrsim.experiments.store import ResultsStore

    return isinstance(store, ResultsStore)


def open_store(store: str | Path | ResultsStore | None) -> ResultsStore | None:
    """``store`` opened: a URL or an SQLite file path (created if new); an open store
    as it is; None for none."""
    if store is None:
        return None
    if _is_store(store):
        return store  # type: ignore[return-value]
    from hadrsim.experiments.store import ResultsStore, store_url

    return ResultsStore(store_url(store))


__all__ = ["LongRun", "long_run"]
