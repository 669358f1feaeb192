"""Checkers that cannot be fooled: fabricated histories where the model misbehaves on purpose.

Each test writes down what a broken model would record (an acknowledged write
that vanishes, a zombie primary acknowledging writes after the fault, a replica
resurrecting an old value, an outage no client saw, an indeterminate write)
and asserts the checker flags it. Several would pass silently on the checkers
as they were before issue 11; their docstrings say which.
"""

import math

from hadrsim.simulator.checkers import (
    divergent_keys,
    lost_updates,
    monotonic_read_violations,
    run_metrics,
    split_brain_seconds,
    stale_reads,
)
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import Fault, ReplicaState, RoleChange

EAST = "us-east-1"
WEST = "us-west-2"


def _zombie(write, commit, final) -> Recorder:
    """A Region outage at 100 s; the DR replica (timeline 2) is promoted at 130 s, but the
    old primary keeps acknowledging writes on timeline 1 until 200 s. All of them are lost."""
    rec = Recorder(horizon_s=400.0)
    rec.faults.append(Fault(1, "region_outage", f"region:{EAST}", "Region", 100.0, None, ()))
    value = 0
    for t in range(90, 200, 2):
        value += 1
        rec.ops.append(write(float(t), t + 0.1, value=value, client="w", region=WEST))
        rec.commits.append(commit(1, value, value, write_ids=(value,), time_s=t + 0.05))
    for lsn, t in enumerate(range(130, 220, 2), start=6):  # timeline 2 branches at lsn 5
        value += 1
        rec.ops.append(write(t + 0.5, t + 0.6, value=value, client="w2", region=WEST))
        rec.commits.append(commit(2, lsn, lsn, write_ids=(value,), time_s=t + 0.55))
    rec.roles.append(RoleChange(130.0, "db-2", "primary", 2, "db", "az-w"))
    survived = {v for v in range(1, 6)} | set(range(56, value + 1))
    rec.final = final(write_ids=survived, ranges=((1, 1, 5), (2, 6, 10_000)))
    return rec


def test_rpo_flags_writes_a_zombie_primary_acknowledged_after_the_fault(write, commit, final):
    """Acknowledged-then-lost after the fault: rpo_s spans to the zombie's last write.

    Before issue 11 the window was "fault time − earliest lost ack" = 0 here, so an
    RPO-0 policy read as met while 50 acknowledged writes were gone.
    """
    _, (row,) = run_metrics(_zombie(write, commit, final))
    assert row["lost_writes"] == 50
    assert row["rpo_s"] > 0  # an RPO target of 0 is not met
    assert row["rpo_s"] == (198 + 0.05) - (98 + 0.05)


def test_rto_does_not_count_zombie_acknowledgements_as_recovery(write, commit, final):
    """Writes the zombie acknowledged (and that were then discarded) are not recovery:
    the client recovered only when its writes reached the surviving timeline."""
    rec = _zombie(write, commit, final)
    rec.ops = [op for op in rec.ops if op.client == "w"] + [
        write(t + 0.5, t + 0.6, value=500 + i, client="w", region=WEST)
        for i, t in enumerate(range(200, 220, 2))
    ]
    rec.final = rec.final._replace(write_ids=rec.final.write_ids | {500 + i for i in range(10)})
    _, (row,) = run_metrics(rec)
    assert row["recovered_write"]
    assert row["rto_write_s"] == 200.6 - 100.0


def test_availability_is_unknown_when_no_client_observed_the_outage(write, final):
    """A single-Region design under a Region outage with every client in that Region:
    nobody could see the service, so availability and success ratio are unknown.

    Before issue 11 both read 1.0.
    """
    rec = Recorder(horizon_s=1000.0, final=final(write_ids={1}, available=False))
    rec.faults.append(Fault(1, "region_outage", f"region:{EAST}", "Region", 100.0, None, (EAST,)))
    rec.ops += [write(50.0, value=1, region=EAST), write(150.0, 160.0, "fail", region=EAST)]
    metrics, (row,) = run_metrics(rec)
    assert math.isnan(row["rto_write_s"])
    assert math.isnan(metrics["availability_write"])
    assert math.isnan(metrics["write_success_ratio"])
    # Nothing decided what survives: the losses are unknown, not 0.
    assert math.isnan(row["lost_writes"]) and math.isnan(row["rpo_s"])


def test_lost_update_flagged_when_no_indeterminate_write_explains_it(write):
    """A write overwritten by a writer that never saw it is lost, even with a timed-out
    write around, if that write went to another key."""
    ops = [
        write(1.0, value=1, version=1, prev=None, key=0),
        write(2.0, value=2, version=2, prev=None, key=0, client="c2"),  # never saw 1
        write(2.5, outcome="unknown", value=3, key=1),
    ]
    assert lost_updates(ops) == 1


def test_lost_update_not_reported_when_an_indeterminate_write_explains_it(write):
    """A timed-out write that applied (its id is the next write's prev) knowingly replaced
    write 1: some interpretation explains the history, so no lost update.

    Before issue 11 this counted as 1 lost update.
    """
    ops = [
        write(1.0, value=1, version=1, prev=None),
        write(2.0, 9.0, outcome="unknown", value=2),
        write(10.0, value=3, version=3, prev=2),
    ]
    assert lost_updates(ops) == 0


def test_stale_read_flags_a_replica_resurrecting_an_old_value(write, read):
    """After write 2 is acknowledged, a replica serves write 1 again: stale and backwards."""
    ops = [
        write(1.0, value=1, version=1),
        write(2.0, value=2, version=2, prev=1),
        read(3.0, value=2, version=2),
        read(4.0, value=1, version=1),  # resurrected
    ]
    assert stale_reads(ops) == (1, 2)
    assert monotonic_read_violations(ops) == 1


def test_split_brain_flags_a_zombie_primary():
    """The old primary never stepped down after the promotion: two writable primaries."""
    roles = [
        RoleChange(0.0, "db-1", "primary", 1, "db", "az1"),
        RoleChange(130.0, "db-2", "primary", 2, "db", "az2"),
    ]
    partition = Fault(1, "network_partition", "link:az1->az2", "AZ", 100.0, 400.0, ())
    assert split_brain_seconds(roles, [partition], 400.0) == 270.0


def test_divergence_flags_a_replica_resurrecting_an_old_value():
    """After quiescence one replica holds an old value again: the key diverges."""
    replicas = [
        ReplicaState("db-1", "db", "primary", True, ((0, 2), (1, 5))),
        ReplicaState("db-2", "db", "replica", True, ((0, 1), (1, 5))),
    ]
    assert divergent_keys(replicas) == 1
