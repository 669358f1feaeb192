"""Fidelity: the same scaled scenario emulated on real PostgreSQL and simulated agree.

Each case runs one emulation (about 20-30 s of real servers, clients and faults) and the
simulation of the same time-scaled study with the emulated topology's semantics, and
checks what issue 15 asks: the same losses, and RTOs within 20%. The cases are small
studies (600 s at 1/20: 30 s of emulation; the storage-loss ones at 1/30) so the file
stays within the suite's budget.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hadrsim.emulate import emulate
from hadrsim.simulator.vocabulary import Metric

pytestmark = pytest.mark.usefixtures("pg_binaries")


def agrees(emulated: float, simulated: list[float]) -> bool:
    """Issue 15's loss criterion for one emulated run: within 20% of the simulated mean, or
    inside the simulated runs' central 95% (one emulated run has no interval of its own).

    A count of lost writes follows the clients' call rate, which real servers set: on a
    machine loaded far beyond its cores (another test suite beside this one) real calls
    slow down and fewer writes fall in the same loss window. The window (RPO) does not."""
    values = np.asarray(simulated, float)
    mean = float(values.mean())
    low, high = np.percentile(values, [2.5, 97.5])
    return abs(emulated - mean) <= 0.2 * abs(mean) or low <= emulated <= high


def lost_in_both(result, kind: str) -> tuple[dict, list[dict]]:
    """The last episode, emulated and simulated: a recovered ``kind`` fault that lost
    acknowledged writes on both sides, about as many (:func:`agrees`)."""
    emulated = result.runs[0].episodes[-1]
    simulated = [run.episodes[-1] for run in result.simulated]
    assert emulated["kind"] == kind and emulated["recovered_write"] is True
    sim_lost = [e[Metric.LOST_WRITES] for e in simulated]
    assert emulated[Metric.LOST_WRITES] > 0 and min(sim_lost) > 0
    assert agrees(emulated[Metric.LOST_WRITES], sim_lost)
    return emulated, simulated


def _side(result, metric: str) -> tuple[dict, dict]:
    sides = result.summaries()
    return sides["emulation"]["metrics"][metric], sides["simulation"]["metrics"][metric]


@pytest.mark.parametrize("kind", ["instance_crash", "storage_loss"])
def test_a_lost_multi_az_primary_is_failed_over_as_in_the_simulation(make_study, kind):
    """The primary's host crashes, or its volume is lost (the data directory deleted): the
    synchronous standby is promoted, emulated and simulated alike. One emulation per case
    (each is a test of its own, so parallel workers never run one twice)."""
    study = make_study(
        horizon_s=600.0,
        workload={"observed_clients": 3, "client_regions": ["us-east-1"]},
        designs=[{"name": "maz", "kind": "rds_multi_az_instance"}],
        scenarios=[{"name": "lost", "scheduled": [{"kind": kind, "at_s": 200.0}]}],
    )
    result = emulate(study, "maz", "lost", runs=1, time_scale=20.0, sim_runs=20)
    assert result.runs[0].episodes[0]["kind"] == kind
    _loses_nothing(result)
    _recovers_within_a_fifth(result)
    _logs_the_failover_alike(result)


def _loses_nothing(result) -> None:
    """0 lost acknowledged writes, emulated and simulated, and the final read found every
    acknowledged write."""
    emulated, simulated = _side(result, Metric.LOST_WRITES)
    assert emulated["n"] == 1 and emulated["mean"] == 0.0
    assert simulated["mean"] == 0.0
    run = result.runs[0]
    assert run.metrics["lost_writes_commits"] == 0.0  # the timeline history agrees
    assert run.metrics["ops"] > 500


def _recovers_within_a_fifth(result) -> None:
    """Client-observed write RTO: emulated within 20% of the simulated mean."""
    emulated, simulated = _side(result, Metric.RTO_WRITE_S)
    assert emulated["n_censored"] == 0 and simulated["n_censored"] == 0
    assert emulated["mean"] == pytest.approx(simulated["mean"], rel=0.20)


def _logs_the_failover_alike(result) -> None:
    """The control plane's events use the simulation's names, in the same order."""
    events = [event for _, event, _, _ in result.runs[0].control]
    simulated = [event for _, event, _, _ in result.simulated[0].control]
    for name in ("failure_detected", "promotion_started", "promotion_completed"):
        assert name in events and name in simulated
    assert events.index("failure_detected") < events.index("promotion_completed")
    assert result.promote_s and all(0 < t < 30 for t in result.promote_s)


def test_a_partitioned_synchronous_standby_blocks_commits_in_both(make_study):
    """PostgreSQL's synchronous commit waits for the standby with no time-out: while the
    standby's AZ is cut off from the primary's, no write commits, emulated or simulated
    (the twin simulation takes PostgreSQL's rule, not RDS's 10-s fallback), and nothing
    is lost when the partition heals."""
    study = make_study(
        horizon_s=600.0,
        workload={"observed_clients": 3, "client_regions": ["us-east-1"]},
        designs=[{"name": "maz", "kind": "rds_multi_az_instance"}],
        scenarios=[{"name": "split", "scheduled": [
            {"kind": "network_partition", "between": ["primary_az", "standby_az"],
             "at_s": 200.0, "duration_s": 200.0}]}],
    )
    result = emulate(study, "maz", "split", runs=1, time_scale=20.0, sim_runs=10)
    emulated, simulated = _side(result, Metric.RTO_WRITE_S)
    partition_s = 200.0 / 20.0
    assert emulated["mean"] == pytest.approx(partition_s, rel=0.2)
    assert simulated["mean"] == pytest.approx(partition_s, rel=0.2)
    assert emulated["mean"] == pytest.approx(simulated["mean"], rel=0.2)
    assert _side(result, Metric.LOST_WRITES)[0]["mean"] == 0.0
    blocked = [op for op in result.recorders[0].ops
               if op.kind == "write" and 10.0 + 0.5 < op.invoke_s < 20.0 - 2.5]
    assert blocked and all(op.outcome != "ok" for op in blocked)


def test_an_async_replica_promoted_after_a_region_loss_loses_writes_in_both(make_study):
    """A cross-Region asynchronous replica behind a slowed link (+300 ms one way) is
    promoted after the primary Region is lost: both lose the acknowledged writes of the
    replica's lag, about as many, over about the same window; and both operators wait
    out the slow-link alarms ("writer healthy again") before the Region is lost."""
    study = make_study(
        horizon_s=600.0,
        workload={"observed_clients": 3, "client_regions": ["us-east-1", "us-west-2"]},
        failover={"mode": "automatic"},
        designs=[{"name": "dr", "kind": "rds_multi_az_instance",
                  "replicas": [{"region": "us-west-2"}]}],
        scenarios=[{"name": "lost", "scheduled": [
            {"kind": "added_latency", "between": ["us-east-1", "us-west-2"],
             "latency_ms": 300, "at_s": 100.0},
            {"kind": "region_outage", "target": "primary_region", "at_s": 300.0}]}],
    )
    result = emulate(study, "dr", "lost", runs=1, time_scale=20.0, sim_runs=20)
    emulated, simulated = lost_in_both(result, "region_outage")
    assert agrees(emulated[Metric.RPO_S], [e[Metric.RPO_S] for e in simulated])
    for run in (result.runs[0], result.simulated[0]):
        events = [event for _, event, _, _ in run.control]
        assert "failover_aborted" in events and "promotion_completed" in events


def test_a_hung_primary_is_failed_over_and_fenced_like_the_simulated_one(make_study):
    """SIGSTOP of the primary: calls hang to their time-out, the control plane fails over
    and fences it; the write RTO is the simulation's within 20%, and nothing is lost."""
    study = make_study(
        horizon_s=600.0,
        workload={"observed_clients": 3, "client_regions": ["us-east-1"]},
        designs=[{"name": "maz", "kind": "rds_multi_az_instance"}],
        scenarios=[{"name": "hang", "scheduled": [
            {"kind": "instance_hang", "at_s": 200.0, "duration_s": 100.0}]}],
    )
    result = emulate(study, "maz", "hang", runs=1, time_scale=20.0, sim_runs=10)
    emulated, simulated = _side(result, Metric.RTO_WRITE_S)
    assert emulated["n_censored"] == 0
    assert emulated["mean"] == pytest.approx(simulated["mean"], rel=0.20)
    assert _side(result, Metric.LOST_WRITES)[0]["mean"] == 0.0


def _events(run) -> list[str]:
    return [event for _, event, _, _ in run.control]


def test_a_lost_single_az_volume_is_restored_to_the_last_log_upload_in_both(make_study):
    """A Single-AZ instance loses its storage 11 s in (1/30 of 330 s; 9 s are left for the
    detection, the restore and the clients, even on a loaded machine): both restore it from
    the base backup and the archived log, to the last 5-min (here 10-s) log upload before
    the loss, at the same instant (the uploads' phase comes from the run's seed, on the
    simulation's stream); both lose the writes acknowledged since, over a window no longer
    than the upload interval; the twin's restore takes PostgreSQL's measured time."""
    study = make_study(
        horizon_s=600.0,
        workload={"observed_clients": 3, "client_regions": ["us-east-1"]},
        designs=[{"name": "single", "kind": "rds_single_az"}],
        scenarios=[{"name": "loss", "scheduled": [{"kind": "storage_loss", "at_s": 330.0}]}],
    )
    result = emulate(study, "single", "loss", runs=1, time_scale=30.0, sim_runs=30)
    interval = result.study.design("single").log_archive_interval_s
    assert interval == pytest.approx(10.0)
    emulated, simulated = result.runs[0], result.simulated
    for run in (emulated, *simulated):
        episode = run.episodes[0]
        assert episode["kind"] == "storage_loss" and episode["recovered_write"] is True
        assert episode[Metric.LOST_WRITES] > 0
        assert 0 < episode[Metric.RPO_S] <= interval + 0.5
        events = _events(run)
        assert events.index("restore_started") < events.index("restored_to") \
            < events.index("restore_completed")
    assert emulated.metrics["lost_writes_commits"] == emulated.metrics[Metric.LOST_WRITES]
    restored = [float(detail.split()[0][2:]) for run in (emulated, simulated[0])
                for _, event, _, detail in run.control if event == "restored_to"]
    assert restored[0] == pytest.approx(restored[1], abs=0.2)  # the same upload
    assert emulated.episodes[0][Metric.RPO_S] == pytest.approx(
        simulated[0].episodes[0][Metric.RPO_S], abs=0.5)
    assert len(result.restore_s) == 1 and 0 < result.restore_s[0] < 10
    assert result.to_json()["restore_s"] == result.restore_s


def test_a_lost_volume_without_backups_stays_lost_in_both(make_study):
    """With automated backups off (retention 0) there is nothing to restore from: both
    log restore_impossible, the instance stays down to the end (an unavailable final
    read), and the episode's losses are unknown (NaN), not 0."""
    study = make_study(
        horizon_s=180.0,
        workload={"observed_clients": 2, "client_regions": ["us-east-1"]},
        designs=[{"name": "bare", "kind": "rds_single_az", "backups": {"retention_days": 0}}],
        scenarios=[{"name": "loss", "scheduled": [{"kind": "storage_loss", "at_s": 90.0}]}],
    )
    result = emulate(study, "bare", "loss", runs=1, time_scale=30.0, sim_runs=5)
    for run in (result.runs[0], *result.simulated):
        events = _events(run)
        assert "restore_impossible" in events and "restore_started" not in events
        episode = run.episodes[0]
        assert episode["recovered_write"] is False
        assert math.isnan(episode[Metric.LOST_WRITES]) and math.isnan(episode[Metric.RPO_S])
    assert not result.recorders[0].final.available
    assert result.recorders[0].replicas == []  # a lost volume holds nothing
    assert result.restore_s == []
