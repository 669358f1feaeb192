"""What one batch of histories says per year and per month.

An occurrence alone in its window contributes its library episode's write outage
from its start; a compound group contributes the outage its full simulation
measured, from the group's first fault. Months are the 43,800-minute months AWS
quotes SLAs for; a month meets the SLA when its availability is at least the
SLA percentage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hadrsim.longrun.histories import Batch, column
from hadrsim.longrun.library import Impacts
from hadrsim.longrun.renewal import MONTH_S, YEAR_S, bin_durations


@dataclass
class Outages:
    """A batch's outages (one per lone occurrence or compound group) and losses."""

    run: np.ndarray
    start_s: np.ndarray
    length_s: np.ndarray
    censored: np.ndarray
    lost_writes: np.ndarray
    loss_window_s: np.ndarray
    compound: np.ndarray  # bool: from a compound group


def outages(batch: Batch, library: dict[int, Impacts]) -> Outages:
    """Lone occurrences from the library, compound groups from their simulations."""
    occ, group = batch.occ, batch.group
    lone = np.bincount(group, minlength=1)[group] == 1 if len(occ) else np.zeros(0, bool)
    parts = [(occ.run[lone], occ.start_s[lone],
              column(occ, library, "downtime_s")[lone],
              column(occ, library, "censored")[lone].astype(bool),
              column(occ, library, "lost_writes")[lone],
              column(occ, library, "loss_window_s")[lone],
              np.zeros(int(lone.sum()), dtype=bool))]
    if batch.compound:
        ids = sorted(batch.compound)
        first = {gid: int(np.flatnonzero(group == gid)[0]) for gid in ids}
        impact = [batch.impacts[gid] for gid in ids]
        parts.append((
            np.array([occ.run[first[g]] for g in ids]),
            np.array([occ.start_s[first[g]] for g in ids]),
            np.array([i.downtime_s for i in impact]),
            np.array([i.censored for i in impact], dtype=bool),
            np.array([i.lost_writes for i in impact]),
            np.array([i.loss_window_s for i in impact]),
            np.ones(len(ids), dtype=bool)))
    return Outages(*(np.concatenate(c) for c in zip(*parts, strict=True)))


def batch_figures(batch: Batch, out: Outages, years: float, sla_pct: float | None
                  ) -> dict[str, float]:
    """Per-batch estimates of every yearly figure (means over its histories).

    An outage or loss no surviving client observed (NaN) makes the figures built on
    it NaN, never 0: the caller reports them as unknown.
    """
    run_years = batch.runs * years
    down = out.length_s
    unknown = bool(np.isnan(down).any())
    figures = {
        "unavailability": float(down.sum()) / (run_years * YEAR_S),
        "downtime_min_per_year": float(down.sum()) / 60.0 / run_years,
        "incidents_per_year": len(batch.occ) / run_years,
        "outages_per_year": math.nan if unknown else float((down > 0).sum()) / run_years,
        "lost_writes_per_year": float(out.lost_writes.sum()) / run_years,
        "loss_window_s_per_year": float(out.loss_window_s.sum()) / run_years,
        "compound_share": float(np.mean(np.bincount(batch.group)[batch.group] >= 2))
        if len(batch.occ) else 0.0,
        "compound_time_share": float(down[out.compound].sum()) / (run_years * YEAR_S),
    }
    months = int(math.floor(years * 12 + 1e-9))
    if sla_pct is not None and months:
        meets = math.nan
        below = math.nan
        if not unknown:
            per_month = bin_durations(out.run, out.start_s, down, MONTH_S, months, batch.runs)
            met = (1.0 - per_month / MONTH_S) * 100.0 >= sla_pct
            meets = float(met.mean())
            below = float((~met).sum()) / (batch.runs * months / 12)
        figures["p_meets_sla"] = meets
        figures["months_below_sla_per_year"] = below
    return figures


def annual_downtime_min(batch: Batch, out: Outages, years: float) -> np.ndarray:
    """Downtime (minutes) of every whole simulated year of the batch, pooled."""
    whole = int(math.floor(years + 1e-9))
    if not whole or np.isnan(out.length_s).any():
        return np.zeros(0)  # no whole year, or outages nobody saw: no distribution to give
    per_year = bin_durations(out.run, out.start_s, out.length_s, YEAR_S, whole, batch.runs)
    return per_year.ravel() / 60.0

