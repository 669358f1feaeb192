"""Regressions of issue 11 (checker side), each on a fabricated history.

Every test here failed on the checkers as they were before the fix it names.
"""

import math

import pytest

from hadrsim.simulator.checkers import Breakdown, breakdown, lost_updates, run_metrics
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import Fault, RoleChange

EAST = "us-east-1"
WEST = "us-west-2"


def _fault(fault_id, kind, start_s, disruption="AZ", end_s=None, affected=()):
    return Fault(fault_id, kind, f"x:{fault_id}", disruption, start_s, end_s, affected)


def test_rpo_window_measured_from_commits_not_sparse_observed_writes(write, commit, final):
    """Item 13: a loss shorter than the gap between observed writes keeps its width.

    Observed writes every 5 s (all survive); background batches every 0.1 s; the
    async replica had everything up to 19.3 s when the primary died at 20 s.
    """
    rec = Recorder(horizon_s=100.0)
    rec.faults.append(_fault(1, "az_outage", 20.0))
    rec.ops += [write(float(t), t + 0.01, value=t + 1, client="w", region=WEST)
                for t in range(0, 20, 5)]
    lsn = 0
    for i in range(200):
        t = i / 10
        lsn += 1
        ids = (int(t) + 1,) if i % 50 == 0 else ()
        rec.commits.append(commit(1, lsn, lsn, write_ids=ids, writes=1, time_s=t))
    rec.commits.append(commit(2, 195, 195, writes=1, time_s=25.0))  # promoted replica
    rec.final = final(write_ids={1, 6, 11, 16}, ranges=((1, 1, 194), (2, 195, 195)))
    _, (row,) = run_metrics(rec)
    assert row["lost_writes"] == 0
    assert row["rpo_s"] == pytest.approx(19.9 - 19.3)


def test_pitr_window_spans_restore_target_to_last_lost_write(write, commit, final):
    """Item 2: a corruption at 100 s restored (timeline 2 from t=99.9) at 300 s: every
    write acknowledged on the corrupt copy is lost; the window is ~200 s, not 0."""
    rec = Recorder(horizon_s=600.0)
    rec.faults.append(_fault(1, "logical_corruption", 100.0, "Software"))
    for lsn, t in enumerate(range(0, 300, 10), start=1):
        rec.ops.append(write(float(t), t + 0.1, value=lsn))
        rec.commits.append(commit(1, lsn, lsn, write_ids=(lsn,), time_s=t + 0.05))
    rec.roles.append(RoleChange(300.0, "restored1", "primary", 2, "db", "az1"))
    rec.final = final(write_ids=set(range(1, 11)), ranges=((1, 1, 10), (2, 11, 11)))
    _, (row,) = run_metrics(rec)
    assert row["lost_writes"] == 20
    assert row["rpo_s"] == pytest.approx(290.05 - 90.05)


def test_lww_losers_over_a_partition_read_its_length(write, commit, final):
    """Item 6: acknowledged writes last-writer-wins discarded are lost writes, and
    losers scattered over a 10-minute partition read ~10 minutes."""
    rec = Recorder(horizon_s=1200.0)
    rec.faults.append(_fault(1, "network_partition", 300.0, "Region", end_s=900.0))
    survived = set()
    for i, t in enumerate(range(0, 1200, 30), start=1):
        rec.ops.append(write(float(t), t + 0.01, value=i, region=WEST))
        rec.commits.append(commit(2, i, i, write_ids=(i,), time_s=t + 0.005))
        if not (300 <= t < 900 or t == 1110):
            survived.add(i)
    rec.final = final(write_ids=survived, ranges=((1, 1, 0), (2, 1, 40)))
    metrics, (row,) = run_metrics(rec)
    assert row["lost_writes"] == 20
    assert row["rpo_s"] == pytest.approx(870.0 - 270.0)
    # A loser long after the partition healed is no fault's: unexplained, in no window.
    assert metrics["lost_writes"] == 21
    assert metrics["unexplained_lost_writes"] == 1
    # The table kept taking writes: conflict losses are data loss, not downtime.
    assert row["rto_write_s"] == 0.0 and row["recovered_write"]


def _two_faults(write, commit, final) -> Recorder:
    """AZ outage at 100 s (failover to timeline 2 at 130 s), Region outage at 500 s
    (DR promoted to timeline 3 at 900 s, its copy of timeline 2 stopping at 300 s)."""
    rec = Recorder(horizon_s=1200.0)
    rec.faults += [_fault(1, "az_outage", 100.0),
                   _fault(2, "region_outage", 500.0, "Region", affected=(EAST,))]
    rec.roles += [RoleChange(130.0, "b", "primary", 2, "db", "az2"),
                  RoleChange(900.0, "dr", "primary", 3, "db", "az-w")]
    value = 0
    for t in range(0, 1200, 5):
        if 100 <= t < 130 or 500 <= t < 900:
            rec.ops.append(write(float(t), t + 4.0, "fail", client="w", region=WEST))
            continue
        value += 1
        timeline = 1 if t < 100 else 2 if t < 500 else 3
        rec.ops.append(write(float(t), t + 0.1, value=value, client="w", region=WEST))
        rec.commits.append(commit(timeline, value, value, write_ids=(value,), time_s=t + 0.05))
    last_t2 = max(c.lsn_to for c in rec.commits if c.timeline == 2 and c.time_s < 300)
    lsn_t1 = max(c.lsn_to for c in rec.commits if c.timeline == 1)
    survived = {c.write_ids[0] for c in rec.commits
                if c.timeline == 1 or c.timeline == 3 or c.lsn_to <= last_t2}
    rec.final = final(write_ids=survived,
                      ranges=((1, 1, lsn_t1), (2, lsn_t1 + 1, last_t2), (3, last_t2 + 1, 10**6)))
    return rec


def test_write_lost_in_a_later_episode_is_not_charged_to_an_earlier_one(write, commit, final):
    """Item 9: writes acknowledged after the AZ episode recovered, lost in the Region
    episode, neither count as the AZ episode's losses nor make it unrecovered."""
    rec = _two_faults(write, commit, final)
    _, (az, region) = run_metrics(rec)
    assert az["recovered_write"]
    assert az["rto_write_s"] == pytest.approx(130.1 - 100.0)
    assert az["lost_writes"] == 0
    assert region["lost_writes"] == 40  # acknowledged on timeline 2 from 300 s to 500 s
    assert region["recovered_write"]
    assert region["rto_write_s"] == pytest.approx(900.1 - 500.0)


def test_breakdown_never_negative(event, episode):
    """Item 9: an event left over from the previous episode cannot make a step negative."""
    events = [
        event(12.0, "promotion_completed"),  # the previous episode's, completing late
        event(13.0, "failure_detected"),
        event(15.0, "promotion_started"),
        event(35.0, "promotion_completed"),
        event(95.0, "endpoint_updated"),
    ]
    assert breakdown(events, episode(10.0, 200.0)) == Breakdown(3.0, 2.0, 20.0, 60.0)


def _corruption(write, read, final, restored: bool) -> Recorder:
    """Corruption at 100 s of key 0 (id -1000000); clients overwrite it at 150 s."""
    rec = Recorder(horizon_s=1000.0)
    rec.faults.append(_fault(1, "logical_corruption", 100.0, "Software"))
    rec.ops += [write(50.0, value=1), read(60.0, value=1)]
    rec.ops += [read(float(t), value=-1_000_000) for t in range(101, 150, 10)]
    rec.ops += [write(150.0, value=2), read(160.0, value=2), read(900.0, value=2)]
    ids = {1, 2} if restored else {1, -1_000_000, 2}
    rec.final = final(write_ids=ids)
    return rec


def test_corruption_never_undone_is_unrecovered(write, read, final):
    """Item 4: with no restore point the corruption stays in the data: unrecovered,
    RTO censored, availability not 100%, even though clients overwrote the key.

    Before issue 11: RTO 0, recovered, availability 1.0.
    """
    metrics, (row,) = run_metrics(_corruption(write, read, final, restored=False))
    assert not row["recovered_write"]
    assert row["rto_write_s"] == 900.0
    assert metrics["availability_write"] < 1.0
    assert math.isnan(row["lost_writes"])  # what a restore would discard is unknown


def test_corruption_recovers_when_corrupt_reads_stop(write, read, final):
    """Item 4: once undone, the episode recovers at the first clean read after the last
    corrupt one, even when writes never failed."""
    _, (row,) = run_metrics(_corruption(write, read, final, restored=True))
    assert row["recovered_write"]
    assert row["rto_write_s"] == pytest.approx(160.01 - 100.0)


def test_writes_lost_with_a_discarded_branch_are_not_lost_updates(write, commit, final):
    """Item 6: an asynchronous failover's lost tail is RPO's loss, not a lost update."""
    rec = Recorder(horizon_s=100.0)
    rec.faults.append(_fault(1, "region_outage", 10.0, "Region"))
    rec.ops += [
        write(1.0, value=1, version=1, prev=None),
        write(5.0, value=2, version=2, prev=1),  # lost with timeline 1
        write(20.0, value=3, version=3, prev=1),
    ]
    rec.commits += [commit(1, 1, 1, (1,), time_s=1.005), commit(1, 2, 2, (2,), time_s=5.005),
                    commit(2, 2, 2, (3,), time_s=20.005)]
    rec.final = final(write_ids={1, 3}, ranges=((1, 1, 1), (2, 2, 2)))
    assert lost_updates(rec.ops) == 1  # the history alone cannot tell
    metrics, (row,) = run_metrics(rec)
    assert metrics["lost_updates"] == 0
    assert row["lost_writes"] == 1


def test_indeterminate_writes_are_counted(write, final):
    """Item 6: timed-out writes are reported separately."""
    rec = Recorder(horizon_s=10.0, final=final())
    rec.ops += [write(1.0, outcome="unknown", value=1), write(2.0, outcome="fail", value=2)]
    metrics, _ = run_metrics(rec)
    assert metrics["indeterminate_writes"] == 1.0
