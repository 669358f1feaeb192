"""Honest checkers: metrics computed after a run from its records, never from the model.

Each module owns one metric and states its definition (DESIGN.md, "Metrics —
definitions are the contract"); :func:`run_metrics` assembles them for a run.
"""

from hadrsim.simulator.checkers.availability import (
    availability,
    nines,
    observed_success_ratio,
    success_ratio,
)
from hadrsim.simulator.checkers.breakdown import Breakdown, breakdown, breakdowns
from hadrsim.simulator.checkers.consistency import (
    monotonic_read_violations,
    read_your_writes_violations,
    stale_reads,
)
from hadrsim.simulator.checkers.corruption import corruption_rto
from hadrsim.simulator.checkers.divergence import divergent_keys
from hadrsim.simulator.checkers.episodes import Episode, episodes
from hadrsim.simulator.checkers.latency import latency_percentiles_ms
from hadrsim.simulator.checkers.lww import (
    final_values_by_version,
    indeterminate_writes,
    lost_updates,
    lww_conflict_pairs,
    lww_conflicts,
)
from hadrsim.simulator.checkers.rpo import (
    EpisodeLoss,
    Losses,
    discarded_writes,
    episode_losses,
    is_acknowledged,
    losses_known,
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
    "Losses",
    "availability",
    "breakdown",
    "breakdowns",
    "corruption_rto",
    "discarded_writes",
    "divergent_keys",
    "episode_losses",
    "episodes",
    "final_values_by_version",
    "indeterminate_writes",
    "is_acknowledged",
    "latency_percentiles_ms",
    "losses_known",
    "lost_updates",
    "lost_writes",
    "lost_writes_from_commits",
    "lww_conflict_pairs",
    "lww_conflicts",
    "monotonic_read_violations",
    "nines",
    "observed_success_ratio",
    "read_your_writes_violations",
    "rto_by_episode",
    "rto_by_episodes",
    "run_metrics",
    "split_brain_seconds",
    "stale_reads",
    "success_ratio",
    "t_visibility",
]
