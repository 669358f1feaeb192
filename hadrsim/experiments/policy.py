"""Resiliency policies: RTO/RPO targets per disruption class, judged over episodes.

The vocabulary is AWS Resilience Hub's: a policy gives an RTO and an RPO target
for each disruption class ("Software", "Hardware", "AZ", "Region"). Resilience Hub
asks "can this design meet the targets?"; a simulation can answer "how often does
it?". So a verdict is the fraction of simulated fault episodes that met the
target, with a Wilson score 95% interval, which stays inside [0, 1] and behaves
at 0 or 100% met, where most episodes of a good design will land.

Episode rows are the per-episode metric records (a DataFrame becomes them with
``df.to_dict("records")``); the fields read here are ``disruption``,
``recovered_write``, ``rto_write_s`` and ``rpo_s`` (see DESIGN.md, "Metrics").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from scipy import stats

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
    met: int
    p_met: float
    ci95: list[float]
    rto_s: float
    rpo_s: float


def episode_meets(row: Mapping[str, Any], target: PolicyTarget) -> bool:
    """Whether one episode met ``target``: writes recovered within RTO and RPO.

    Targets are inclusive (an RTO equal to the target meets it). An unknown
    (NaN) RTO or RPO does not meet it: a verdict must not count what was not seen.
    ``recovered_write`` must be a real boolean True; a NaN or None there, which
    Python would treat as truthy or falsy by accident, counts as not recovered.
    """
    recovered = row["recovered_write"]
    if not isinstance(recovered, (bool, np.bool_)) or not recovered:
        return False
    return float(row["rto_write_s"]) <= target.rto_s and float(row["rpo_s"]) <= target.rpo_s


def policy_verdict(
    episode_rows: Iterable[Mapping[str, Any]],
    policy: Mapping[str, PolicyTarget],
) -> dict[str, VerdictEntry]:
    """Per disruption class in ``policy``: episodes, how many met, P(met), 95% CI.

    ``ci95`` is the Wilson score interval from ``scipy.stats.binomtest``. A class
    with no episode gets ``p_met`` and ``ci95`` NaN rather than a made-up figure.
    Rows of classes the policy does not name are ignored; an unknown class name,
    in a row or in the policy, is an error, so that a typo ("az") cannot quietly
    turn into "no episodes".
    """
    unknown = set(policy) - set(DISRUPTION_CLASSES)
    if unknown:
        raise ValueError(f"unknown disruption classes in policy: {sorted(unknown)}")
    counts = {name: [0, 0] for name in policy}  # [episodes, met]
    for row in episode_rows:
        disruption = row["disruption"]
        if disruption not in DISRUPTION_CLASSES:
            raise ValueError(f"unknown disruption class in episode row: {disruption!r}")
        if disruption in counts:
            count = counts[disruption]
            count[0] += 1
            count[1] += episode_meets(row, policy[disruption])
    return {name: _entry(n, k, policy[name]) for name, (n, k) in counts.items()}


def meets_with_confidence(entry: Mapping[str, Any], threshold: float = 0.95) -> bool:
    """Whether the data support "P(met) >= threshold": the CI's lower bound is.

    This is the one-sided reading used for a recommendation: the lower bound of
    the two-sided 95% interval is a 97.5% one-sided lower confidence bound, so a
    True here is a conservative claim. With no episode the answer is False.
    """
    if entry["episodes"] <= 0:
        return False
    return float(entry["ci95"][0]) >= threshold


def _entry(episodes: int, met: int, target: PolicyTarget) -> VerdictEntry:
    if episodes == 0:
        p_met, lo, hi = math.nan, math.nan, math.nan
    else:
        p_met = met / episodes
        ci = stats.binomtest(met, episodes).proportion_ci(confidence_level=0.95, method="wilson")
        lo, hi = float(ci.low), float(ci.high)
    return VerdictEntry(
        episodes=episodes,
        met=met,
        p_met=p_met,
        ci95=[lo, hi],
        rto_s=float(target.rto_s),
        rpo_s=float(target.rpo_s),
    )
