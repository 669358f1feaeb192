"""Honest checkers: metrics computed after a run from its records, never from the model.

Each module owns one metric and states its definition (DESIGN.md, "Metrics —
definitions are the contract"); :func:`run_metrics` assembles them for a run.
"""

from hadrsim.simulator.checkers.availability import availability, nines, success_ratio
from hadrsim.simulator.checkers.breakdown import Breakdown, breakdown, breakdowns
from hadrsim.simulator.checkers.consistency import (
    monotonic_read_violations,
    read_your_writes_violations,
    stale_reads,
)
from hadrsim.simulator.checkers.divergence import divergent_keys
from hadrsim.simulator.checkers.episodes import Episode, episodes
from hadrsim.simulator.checkers.latency import latency_percentiles_ms
from hadrsim.simulator.checkers.lww import final_values_by_version, lost_updates, lww_conflicts
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
from hadrsim.simulator.checkers.split_brain import split_brain_seconds
from hadrsim.simulator.checkers.visibility import t_visibility

__all__ = [
    "Breakdown",
    "ClientHistories",
    "Episode",
    "EpisodeLoss",
    "attribute_losses",
    "availability",
    "breakdown",
    "breakdowns",
    "divergent_keys",
    "episodes",
    "final_values_by_version",
    "is_acknowledged",
    "latency_percentiles_ms",
    "lost_updates",
    "lost_writes",
    "lost_writes_from_commits",
    "lww_conflicts",
    "monotonic_read_violations",
    "nines",
    "read_your_writes_violations",
    "rto_by_episode",
    "rto_by_episodes",
    "run_metrics",
    "split_brain_seconds",
    "stale_reads",
    "success_ratio",
    "t_visibility",
]
