"""Honest checkers: metrics computed after a run from its records, never from the model.

Each module owns one metric and states its definition (DESIGN.md, "Metrics —
definitions are the contract"); :func:`run_metrics` assembles them for a run.
"""

from hadrsim.simulator.checkers.availability import availability, nines, success_ratio
from hadrsim.simulator.checkers.breakdown import Breakdown, breakdown, breakdowns
from hadrsim.simulator.checkers.episodes import Episode, episodes
from hadrsim.simulator.checkers.latency import latency_percentiles_ms
from hadrsim.simulator.checkers.rpo import (
    EpisodeLoss,
    attribute_losses,
    is_acknowledged,
    lost_writes,
    lost_writes_from_commits,
)
from hadrsim.simulator.checkers.rto import (
    ClientHistories,
    rto_by_episode,
    rto_by_episodes,
)
from hadrsim.simulator.checkers.run_metrics import run_metrics

__all__ = [
    "Breakdown",
    "ClientHistories",
    "Episode",
    "EpisodeLoss",
    "attribute_losses",
    "availability",
    "breakdown",
    "breakdowns",
    "episodes",
    "is_acknowledged",
    "latency_percentiles_ms",
    "lost_writes",
    "lost_writes_from_commits",
    "nines",
    "rto_by_episode",
    "rto_by_episodes",
    "run_metrics",
    "success_ratio",
]
