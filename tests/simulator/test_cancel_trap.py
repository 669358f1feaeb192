"""The cancel trap: a client that cancels a commit waiting for its synchronous standby.

PostgreSQL answers such a cancel with success and a warning ("canceling wait for
synchronous replication ... already committed locally"), so the write is acknowledged on
the primary alone; if a standby is then promoted, the write is lost, on a design sold as
"zero data loss". The simulation models it for PostgreSQL-style synchronous replication
(the Multi-AZ DB cluster; a Multi-AZ instance with ``standby_replication: streaming``, as
the emulator runs it), not for the Multi-AZ instance's storage-level replication. The
losses are found by the checkers from the history (acknowledged writes missing from the
final read), never from the model's flag.
"""

from __future__ import annotations

import pytest
from test_streaks import FIXED_FLUSHES, _canonical

from hadrsim.experiments.run import run_once, simulate
from hadrsim.simulator.vocabulary import Metric, Outcome
from hadrsim.spec.loader import SpecError, parse_study


def _trap(make_study, kind: str, cancel_after_s: float | None, **design):
    """Both standbys stop receiving at 200 s for 20 s; the primary crashes at 205 s."""
    workload = {"observed_clients": 3, "client_regions": ["us-east-1"]}
    if cancel_after_s is not None:
        workload["cancel_after_s"] = cancel_after_s
    followers = ["c-b", "c-c"] if kind == "rds_multi_az_cluster" else ["c-b"]
    scheduled = [{"kind": "replication_break", "target": f"node:{name}", "at_s": 200.0,
                  "duration_s": 20.0} for name in followers]
    scheduled.append({"kind": "instance_crash", "target": "primary", "at_s": 205.0})
    return make_study(horizon_s=600.0, workload=workload,
                      designs=[{"name": "c", "kind": kind, **design}],
                      scenarios=[{"name": "trap", "scheduled": scheduled}])


def _crash(study, run: int = 0) -> dict:
    return run_once(study, "c", "trap", run).episodes[-1]


def test_cancelled_commits_on_a_multi_az_cluster_are_acknowledged_then_lost(make_study):
    """With cancels, the writes acknowledged while the standbys received nothing are lost
    at the promotion: lost writes > 0 and an RPO of about the 5 s between the break and
    the crash. Without, the same writes wait, time out as unknown, and nothing is lost."""
    for run in range(3):
        cancelling = _crash(_trap(make_study, "rds_multi_az_cluster", 0.5), run)
        assert cancelling[Metric.LOST_WRITES] > 0
        assert 3.0 < cancelling[Metric.RPO_S] <= 5.5
        patient = _crash(_trap(make_study, "rds_multi_az_cluster", None), run)
        assert patient[Metric.LOST_WRITES] == 0 and patient[Metric.RPO_S] == 0.0


def test_every_lost_write_was_acknowledged_after_its_cancel(make_study):
    """The lost writes are ``ok`` calls that took at least the cancel delay: the cancel,
    not the time-out or a normal commit, acknowledged them."""
    study = _trap(make_study, "rds_multi_az_cluster", 0.5)
    world = simulate(study, "c", "trap", 0)
    final = set(world.rec.final.write_ids)
    lost = [op for op in world.rec.ops
            if op.kind == "write" and op.outcome == Outcome.OK and op.value not in final
            and op.invoke_s < 205.0]
    assert lost
    assert all(200.0 <= op.invoke_s and op.complete_s - op.invoke_s >= 0.5 for op in lost)


def test_a_multi_az_instance_waits_for_its_storage_level_standby(make_study):
    """AWS's Multi-AZ instance replicates at the storage level (S1): a cancel does not
    acknowledge the commit, so nothing is lost; the same design run as PostgreSQL
    streaming replication (what the emulator runs) loses the cancelled writes."""
    storage = _crash(_trap(make_study, "rds_multi_az_instance", 0.5))
    assert storage[Metric.LOST_WRITES] == 0 and storage[Metric.RPO_S] == 0.0
    streaming = _crash(_trap(make_study, "rds_multi_az_instance", 0.5,
                             standby_replication="streaming"))
    assert streaming[Metric.LOST_WRITES] > 0 and streaming[Metric.RPO_S] > 3.0


def test_cancels_record_the_same_run_in_both_history_modes(make_study):
    """Steady windows hand a write back before its cancel is due, so with no jitter and
    fixed flushes the compressed run is the one-event-per-call run."""
    study = _trap(make_study, "rds_multi_az_cluster", 0.5)
    studies = []
    for history in ("per_op", "compressed"):
        one = study.with_history(history)
        network = one.network.model_copy(update={"jitter_sigma": 0.0})
        designs = [d.model_copy(update={k: v for k, v in FIXED_FLUSHES.items()
                                        if k in type(d).model_fields}) for d in one.designs]
        studies.append(one.model_copy(update={"network": network, "designs": designs}))
    per_op, compressed = (simulate(s, "c", "trap", 0) for s in studies)
    assert _canonical(compressed.rec) == _canonical(per_op.rec)
    assert compressed.events_scheduled < per_op.events_scheduled


def test_a_cancel_after_the_time_out_is_refused(make_study):
    """A client that gave up never cancels: the study names the field and both values."""
    expected = r"workload.cancel_after_s: value 2.*shorter than op_timeout_s \(2\)"
    with pytest.raises(SpecError, match=expected):
        make_study(workload={"cancel_after_s": 2.0, "op_timeout_s": 2.0})


def test_the_new_fields_leave_existing_studies_dumping_as_before(make_study):
    """Results stores key a study by its JSON: defaults must not add keys to it."""
    study = make_study(designs=[{"name": "m", "kind": "rds_multi_az_instance"}])
    text = study.model_dump_json()
    assert "cancel_after_s" not in text and "standby_replication" not in text
    assert parse_study(study.model_dump(), "<again>") == study
