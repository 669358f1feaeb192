"""Fidelity of the cancel trap: a "zero data loss" cluster loses the writes its clients cancelled.

A Multi-AZ DB cluster's commit waits for one of its two standbys (``ANY 1``). Both stop
receiving (``replication_break``) and the writer crashes five (scaled) seconds later. A
client that cancels a commit still waiting after 0.5 s (a driver's query time-out) gets
PostgreSQL's success-with-a-warning: the write is on the writer only, and the promoted
standby never had it. Emulated on real PostgreSQL and simulated with the same semantics,
both lose those writes, about as many, over the same window.
"""

from __future__ import annotations

import pytest
from test_fidelity import lost_in_both

from hadrsim.emulate import emulate
from hadrsim.simulator.vocabulary import Metric, Outcome

pytestmark = pytest.mark.usefixtures("pg_binaries")

CANCEL_AFTER_S = 0.5
SCALE = 20.0
BREAK_AT_S, CRASH_AT_S = 200.0, 300.0


def test_cancelled_commits_are_acknowledged_then_lost_in_both(make_study):
    """One emulation (a single test, so parallel workers never run it twice), three
    checks below."""
    trap = _emulate_trap(make_study)
    _lost_in_both_about_as_many(trap)
    _over_the_window_the_standbys_received_nothing(trap)
    _each_answered_ok_after_its_cancel(trap)


def _emulate_trap(make_study):
    scheduled = [{"kind": "replication_break", "target": f"node:{name}", "at_s": BREAK_AT_S,
                  "duration_s": 110.0} for name in ("c-b", "c-c")]
    scheduled.append({"kind": "instance_crash", "target": "primary", "at_s": CRASH_AT_S})
    study = make_study(
        horizon_s=600.0,
        workload={"observed_clients": 3, "client_regions": ["us-east-1"],
                  "cancel_after_s": CANCEL_AFTER_S},
        designs=[{"name": "c", "kind": "rds_multi_az_cluster"}],
        scenarios=[{"name": "trap", "scheduled": scheduled}],
    )
    return emulate(study, "c", "trap", runs=1, time_scale=SCALE, sim_runs=20)


def _lost_in_both_about_as_many(trap) -> None:
    """Lost writes > 0 in both, and as many (issue 15's criterion)."""
    lost_in_both(trap, "instance_crash")
    assert trap.runs[0].metrics["unexplained_lost_writes"] == 0


def _over_the_window_the_standbys_received_nothing(trap) -> None:
    """RPO > 0 in both, about the 5 scaled seconds between the break and the crash."""
    window_s = (CRASH_AT_S - BREAK_AT_S) / SCALE
    emulated = trap.runs[0].episodes[-1][Metric.RPO_S]
    simulated = [run.episodes[-1][Metric.RPO_S] for run in trap.simulated]
    assert 0.7 * window_s <= emulated <= 1.1 * window_s
    assert all(0.7 * window_s <= rpo <= 1.1 * window_s for rpo in simulated)


def _each_answered_ok_after_its_cancel(trap) -> None:
    """PostgreSQL answered every lost write with success, at least the cancel delay after
    it was sent, while the standbys received nothing: the cancel acknowledged it."""
    recorder = trap.recorders[0]
    final = set(recorder.final.write_ids)
    lost = [op for op in recorder.ops if op.kind == "write" and op.outcome == Outcome.OK
            and op.value not in final]
    assert lost
    break_at, crash_at = BREAK_AT_S / SCALE, CRASH_AT_S / SCALE
    for op in lost:
        assert op.complete_s - op.invoke_s >= CANCEL_AFTER_S - 0.01
        assert break_at - 0.1 <= op.invoke_s < crash_at
