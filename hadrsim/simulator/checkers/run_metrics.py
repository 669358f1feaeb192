"""All metrics of one run, computed from its recorder alone.

Returns one flat dict of run-level floats (a sweep's tidy row) and one dict per
fault episode. Nothing here asks the model anything: every figure is derived
from the recorded client history, commits, faults, role changes, control events
and end-of-run replica states, so a model that misbehaves cannot hide it from
these numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from hadrsim.simulator.checkers._table import CommitTable, OpTable
from hadrsim.simulator.checkers.availability import availability, observed_success_ratio
from hadrsim.simulator.checkers.breakdown import breakdowns
from hadrsim.simulator.checkers.consistency import (
    monotonic_read_violations,
    read_your_writes_violations,
    stale_reads,
)
from hadrsim.simulator.checkers.corruption import combine, corrupt_owners, episode_corruption_rto
from hadrsim.simulator.checkers.divergence import divergent_keys
from hadrsim.simulator.checkers.episodes import Episode, episodes
from hadrsim.simulator.checkers.latency import latency_percentiles_ms
from hadrsim.simulator.checkers.lww import indeterminate_writes, lost_updates, lww_conflicts
from hadrsim.simulator.checkers.rpo import (
    UNKNOWN_LOSS,
    Losses,
    discarded_writes,
    episode_losses,
    losses_known,
    lost_writes,
    lost_writes_from_commits,
)
from hadrsim.simulator.checkers.rto import rto_by_episodes
from hadrsim.simulator.checkers.split_brain import split_brain_seconds
from hadrsim.simulator.checkers.visibility import DEFAULT_TS, t_visibility
from hadrsim.simulator.vocabulary import Metric

if TYPE_CHECKING:
    from hadrsim.simulator.recorder import Recorder
    from hadrsim.simulator.records import FinalRead

_Rto = tuple[float, bool]

TVIS_POINTS = {"tvis_p_0s": 0.0, "tvis_p_0_1s": 0.1, "tvis_p_1s": 1.0, "tvis_p_5s": 5.0}
"""Run metrics from the t-visibility curve: P(visible) in the bin starting at each time."""


def _max_known(values: Iterable[float], empty: float) -> float:
    """Max ignoring NaN (unobserved episodes); ``empty`` if there are no values, NaN if all NaN."""
    values = list(values)
    if not values:
        return empty
    known = [v for v in values if not math.isnan(v)]
    return max(known) if known else math.nan


def _nan_first(value: float) -> tuple[bool, float]:
    """Sort key under which NaN (unknown) is the largest: max() returns it if present."""
    return (math.isnan(value), 0.0 if math.isnan(value) else value)


def _latency_metrics(ops: OpTable, kind: str, prefix: str) -> dict[str, float]:
    percentiles = latency_percentiles_ms(ops, kind)
    return {f"{prefix}_{key.replace('.', '')}_ms": value for key, value in percentiles.items()}


def _consistency_metrics(
    recorder: Recorder, ops: OpTable, commits: CommitTable
) -> dict[str, float]:
    """Stale reads, session guarantees, t-visibility, LWW anomalies, split brain, divergence.

    Lost updates take each key's final value by version (last writer wins), not
    from the end-of-run replica states: a run may hold several datasets (a
    detached DR copy) or disagreeing replicas. Writes lost with a discarded
    branch of the log are RPO's, not lost updates; indeterminate writes are
    counted apart.
    """
    assert recorder.final is not None
    stale, reads = stale_reads(ops)
    curve = {t: p for t, _, p in t_visibility(ops, DEFAULT_TS)}
    return {
        "stale_reads": float(stale),
        Metric.STALE_READ_RATIO: stale / reads if reads else math.nan,
        "ryw_violations": float(read_your_writes_violations(ops)),
        "monotonic_read_violations": float(monotonic_read_violations(ops)),
        **{name: curve[t] for name, t in TVIS_POINTS.items()},
        "conflicts": float(lww_conflicts(ops)),
        "lost_updates": float(
            lost_updates(ops, discarded=discarded_writes(commits, recorder.final))
        ),
        "indeterminate_writes": float(indeterminate_writes(ops)),
        Metric.SPLIT_BRAIN_S: split_brain_seconds(recorder.roles, recorder.faults,
                                                  recorder.horizon_s),
        "divergent_keys": float(divergent_keys(recorder.replicas)),
        "corrupt_reads": float(np.count_nonzero(ops.ok_read & (ops.owner >= 0))),
    }


def _client_rtos(
    recorder: Recorder, ops: OpTable, eps: list[Episode], losses: Losses
) -> tuple[list[_Rto], list[_Rto]]:
    """Write and read RTOs per episode, lost writes charged as :mod:`.attribution` says,
    with the corruption rule applied (:mod:`.corruption`)."""
    final = recorder.final
    assert final is not None
    writes = rto_by_episodes(ops, eps, "write", charged_s=losses.unavailable_s())
    reads = rto_by_episodes(ops, eps, "read")
    still_corrupt = corrupt_owners(final)
    if still_corrupt or np.any(ops.ok_read & (ops.owner >= 0)):
        fault_ids = frozenset(ep.fault_id for ep in eps)
        rules = [episode_corruption_rto(ops, ep, still_corrupt, fault_ids) for ep in eps]
        writes = [combine(rto, rule) for rto, rule in zip(writes, rules, strict=True)]
        reads = [combine(rto, rule) for rto, rule in zip(reads, rules, strict=True)]
    return writes, reads


def _episode_rows(
    eps: list[Episode], writes: list[_Rto], reads: list[_Rto], losses: Losses,
    final: FinalRead, recorder: Recorder,
) -> list[dict[str, Any]]:
    steps = breakdowns(recorder.control, eps)
    rows = []
    for i, ep in enumerate(eps):
        write, read = writes[i], reads[i]
        known = losses_known(ep, write[1], final, losses.branch_times)
        loss = losses.episodes[i] if known else UNKNOWN_LOSS
        rows.append({
            "fault_id": ep.fault_id,
            "kind": ep.kind,
            "scope": ep.scope,
            "disruption": ep.disruption,
            "start_s": ep.start_s,
            "end_s": ep.end_s,  # None: permanent until replaced
            Metric.RTO_WRITE_S: write[0],
            Metric.RTO_READ_S: read[0],
            Metric.RECOVERED_WRITE: write[1],
            Metric.RECOVERED_READ: read[1],
            Metric.LOST_WRITES: loss.lost_writes,
            Metric.RPO_S: loss.rpo_s,
            **steps[i]._asdict(),
        })
    return rows


def run_metrics(recorder: Recorder) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """``(run metrics, episode rows)`` for one finished run.

    Raises ValueError when the run has no final read: without it data loss
    cannot be judged, and a silent zero would read as "no loss".
    """
    final = recorder.final
    if final is None:
        raise ValueError("run has no final read; lost writes cannot be checked")
    eps = episodes(recorder.faults, recorder.horizon_s)
    ops = OpTable(recorder.ops)  # one set of columns for every checker below
    commits = CommitTable(recorder.commits)
    lost = lost_writes(ops, final)
    losses = episode_losses(ops, eps, final, commits, recorder.roles)
    writes, reads = _client_rtos(recorder, ops, eps, losses)
    rows = _episode_rows(eps, writes, reads, losses, final, recorder)
    write_rtos = [rto for rto, _ in writes]
    read_rtos = [rto for rto, _ in reads]
    observed, total = lost_writes_from_commits(commits, final)
    metrics: dict[str, float] = {
        "episodes": float(len(eps)),
        Metric.LOST_WRITES: float(len(lost)),
        "unexplained_lost_writes": float(losses.unexplained),
        "lost_writes_commits": float(observed),
        "lost_writes_total": float(total),
        # one unknown episode makes the run's worst loss window unknown too
        Metric.RPO_S: max((row[Metric.RPO_S] for row in rows), default=0.0, key=_nan_first),
        Metric.RTO_WRITE_S: _max_known(write_rtos, empty=math.nan),
        Metric.RTO_READ_S: _max_known(read_rtos, empty=math.nan),
        Metric.AVAILABILITY_WRITE: availability(eps, write_rtos, recorder.horizon_s),
        Metric.AVAILABILITY_READ: availability(eps, read_rtos, recorder.horizon_s),
        "write_success_ratio": observed_success_ratio(ops, "write", write_rtos),
        "read_success_ratio": observed_success_ratio(ops, "read", read_rtos),
        **_latency_metrics(ops, "write", "commit_latency"),
        **_latency_metrics(ops, "read", "read_latency"),
        "ops": float(len(recorder.ops)),
        **_consistency_metrics(recorder, ops, commits),
    }
    return metrics, rows
