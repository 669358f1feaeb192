"""Resiliency policies: RTO/RPO targets per disruption class, judged over episodes.

The vocabulary is AWS Resilience Hub's: a policy gives an RTO and an RPO target
for each disruption class ("Software", "Hardware", "AZ", "Region"). Resilience Hub
asks "can this design meet the targets?"; a simulation can answer "how often does
it?". So a verdict is the fraction of simulated fault episodes that met the
target, with a 95% interval that stays inside [0, 1]:

- "wilson": the Wilson score interval, when each run holds at most one episode
  of the class (episodes are independent); it behaves at 0 or 100% met, where
  most episodes of a good design land.
- "cluster-bootstrap": when a run holds several episodes of the class they are
  not independent (same world, same seed), so runs are resampled whole (BCa
  bootstrap of the ratio met / episodes over runs). :mod:`summary` clusters by
  seed, not by (scenario, seed): a seed's scenarios draw the same named random
  streams (common random numbers), so they are not independent either.
- "wilson-runs": several episodes per run but every run met the same share
  of them (typically all or none: the bootstrap would collapse to a point):
  Wilson with one observation per run, the conservative reading (as if a
  run's episodes were one).

Episode rows are the per-episode metric records (a DataFrame becomes them with
``df.to_dict("records")``); the fields read here are ``disruption``,
``recovered_write``, ``rto_write_s`` and ``rpo_s`` (see DESIGN.md, "Metrics"),
and the run identity under ``cluster_key`` when one is given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from hadrsim.experiments.statistics import bootstrap_ratio_ci
from hadrsim.simulator.vocabulary import Metric

__all__ = [
    "DISRUPTION_CLASSES",
    "PolicyTarget",
    "VerdictEntry",
    "episode_meets",
    "meets_with_confidence",
    "policy_verdict",
]

DISRUPTION_CLASSES: tuple[str, ...] = ("Software", "Hardware", "AZ", "Region")


@dataclass(frozen=True)
class PolicyTarget:
    """RTO and RPO targets (seconds) for one disruption class; ``inf`` = no target."""

    rto_s: float
    rpo_s: float

    def __post_init__(self) -> None:
        for name in ("rto_s", "rpo_s"):
            value = getattr(self, name)
            if not value >= 0:  # also rejects NaN, which no episode could meet
                raise ValueError(f"{name} must be >= 0, got {value!r}")


class VerdictEntry(TypedDict):
    """One disruption class in a :func:`policy_verdict` (a plain dict at runtime)."""

    episodes: int
    runs: int
    met: int
    p_met: float
    ci95: list[float]
    ci_method: str | None
    rto_s: float
    rpo_s: float


def episode_meets(row: Mapping[str, Any], target: PolicyTarget) -> bool:
    """Whether one episode met ``target``: writes recovered within RTO and RPO.

    Targets are inclusive (an RTO equal to the target meets it). An unknown
    (NaN) RTO or RPO does not meet it: a verdict must not count what was not seen.
    ``recovered_write`` must be a real boolean True; a NaN or None there, which
    Python would treat as truthy or falsy by accident, counts as not recovered.
    """
    recovered = row[Metric.RECOVERED_WRITE]
    if not isinstance(recovered, (bool, np.bool_)) or not recovered:
        return False
    return (float(row[Metric.RTO_WRITE_S]) <= target.rto_s
            and float(row[Metric.RPO_S]) <= target.rpo_s)


def policy_verdict(
    episode_rows: Iterable[Mapping[str, Any]],
    policy: Mapping[str, PolicyTarget],
    cluster_key: str | None = None,
) -> dict[str, VerdictEntry]:
    """Per disruption class in ``policy``: episodes, how many met, P(met), 95% CI.

    ``cluster_key`` names the row field that identifies the run an episode came
    from; without it every episode is its own run. ``ci_method`` says which
    interval was used (see the module docstring). A class with no episode is
    "not exercised": ``p_met`` and ``ci95`` NaN, ``ci_method`` None, rather than a
    made-up figure. Rows of classes the policy does not name are ignored; an
    unknown class name, in a row or in the policy, is an error, so that a typo
    ("az") cannot quietly turn into "no episodes".
    """
    unknown = set(policy) - set(DISRUPTION_CLASSES)
    if unknown:
        raise ValueError(f"unknown disruption classes in policy: {sorted(unknown)}")
    runs: dict[str, dict[Any, list[int]]] = {name: {} for name in policy}  # run -> [n, met]
    for number, row in enumerate(episode_rows):
        disruption = row["disruption"]
        if disruption not in DISRUPTION_CLASSES:
            raise ValueError(f"unknown disruption class in episode row: {disruption!r}")
        if disruption in runs:
            run = row[cluster_key] if cluster_key is not None else number
            count = runs[disruption].setdefault(run, [0, 0])
            count[0] += 1
            count[1] += episode_meets(row, policy[disruption])
    return {name: _entry(list(per_run.values()), policy[name])
            for name, per_run in runs.items()}


def meets_with_confidence(entry: Mapping[str, Any], threshold: float = 0.95) -> bool:
    """Whether the data support "P(met) >= threshold": the CI's lower bound is.

    This is the one-sided reading used for a recommendation: the lower bound of
    the two-sided 95% interval is a 97.5% one-sided lower confidence bound, so a
    True here is a conservative claim. With no episode the answer is False.
    """
    if entry["episodes"] <= 0:
        return False
    return float(entry["ci95"][0]) >= threshold


def _entry(per_run: list[list[int]], target: PolicyTarget) -> VerdictEntry:
    counts = np.asarray(per_run, dtype=float).reshape(-1, 2)
    episodes, met = int(counts[:, 0].sum()), int(counts[:, 1].sum())
    method: str | None = None
    if episodes == 0:
        p_met, lo, hi = math.nan, math.nan, math.nan
    else:
        p_met = met / episodes
        clustered = bool((counts[:, 0] > 1).any())
        varies = np.unique(counts[:, 1] / counts[:, 0]).size > 1
        if clustered and varies:
            lo, hi = bootstrap_ratio_ci(counts[:, 1], counts[:, 0])
            method = "cluster-bootstrap"
        elif clustered:  # every run met the same share: one observation per run
            lo, hi = _wilson(round(p_met * len(per_run)), len(per_run))
            method = "wilson-runs"
        else:
            lo, hi = _wilson(met, episodes)
            method = "wilson"
    return VerdictEntry(
        episodes=episodes,
        runs=len(per_run),
        met=met,
        p_met=p_met,
        ci95=[lo, hi],
        ci_method=method,
        rto_s=float(target.rto_s),
        rpo_s=float(target.rpo_s),
    )


def _wilson(met: int, n: int) -> tuple[float, float]:
    from scipy import stats  # here: scipy costs 0.3 s to import

    ci = stats.binomtest(met, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)
