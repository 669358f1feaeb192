"""Invariants over random designs, faults, times and seeds (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hadrsim.experiments.run import simulate
from hadrsim.simulator.checkers import lost_writes, run_metrics
from hadrsim.spec.loader import SpecError, parse_study

NODE_FAULTS = ["instance_crash", "instance_hang", "storage_loss"]
DESIGNS = ["rds_single_az", "rds_multi_az_instance", "rds_multi_az_cluster"]

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _study(kind, faults, replicas=(), seed=0):
    return parse_study({
        "name": "p", "seed": seed, "horizon_s": 400.0,
        "workload": {"observed_clients": 2, "client_regions": ["us-east-1", "us-west-2"]},
        "failover": {"mode": "automatic"},
        "designs": [{"name": "d", "kind": kind, "replicas": list(replicas),
                     "replace_host_s": 60.0, "restore_s": 60.0}],
        "scenarios": [{"name": "s", "scheduled": faults}],
    })


fault = st.fixed_dictionaries({
    "kind": st.sampled_from(NODE_FAULTS + ["az_outage", "region_outage", "replication_break"]),
    "at_s": st.floats(10.0, 300.0),
    "duration_s": st.one_of(st.none(), st.floats(1.0, 200.0)),
})


def _target(f):
    if f["kind"] == "az_outage":
        return {**f, "target": "primary_az"}
    if f["kind"] == "region_outage":
        return {**f, "target": "primary_region"}
    if f["kind"] == "replication_break":
        return {**f, "target": "replica"}
    return f


def _applicable_study(kind, faults, replicas):
    """The study, or a rejected example when a generated fault can apply to no design
    (e.g. a replication break with no replica): a validation error by design. Any other
    validation error still fails the test."""
    try:
        return _study(kind, faults, replicas)
    except SpecError as exc:
        assume(not all("cannot apply to any design" in p for p in exc.problems))
        raise


@SETTINGS
@given(kind=st.sampled_from(DESIGNS), faults=st.lists(fault, min_size=1, max_size=3),
       with_replica=st.booleans(), run=st.integers(0, 10_000))
def test_rpo_nonnegative_and_lost_writes_are_acknowledged(kind, faults, with_replica, run):
    """Whatever happens: rpo_s is >= 0, or NaN (unknown) only for an episode that did not
    recover (a censored episode whose losses cannot be known), never for a recovered one;
    the run's rpo_s is the largest, unknown if any is; every lost write had been acknowledged."""
    replicas = [{"region": "us-west-2"}] if with_replica else []
    study = _applicable_study(kind, [_target(f) for f in faults], replicas)
    rec = simulate(study, "d", "s", run).rec
    metrics, episodes = run_metrics(rec)
    for e in episodes:
        assert math.isnan(e["rpo_s"]) == math.isnan(e["lost_writes"])
        if math.isnan(e["rpo_s"]):
            assert not e["recovered_write"], e
        else:
            assert e["rpo_s"] >= 0 and e["lost_writes"] >= 0, e
    rpos = [e["rpo_s"] for e in episodes]
    if any(math.isnan(r) for r in rpos):  # one unknown loss window: the worst is unknown
        assert math.isnan(metrics["rpo_s"])
    else:  # no episode: nothing lost to judge
        assert metrics["rpo_s"] == max(rpos, default=0.0)
    acknowledged = {op.value for op in rec.ops if op.kind == "write" and op.outcome == "ok"}
    lost = {op.value for op in lost_writes(rec.ops, rec.final)}
    assert lost <= acknowledged
    assert metrics["lost_writes"] == len(lost)


single_node_loss = st.fixed_dictionaries({
    "kind": st.sampled_from(NODE_FAULTS),
    "target": st.sampled_from(["primary", "standby"]),
    "at_s": st.floats(10.0, 300.0),
    "duration_s": st.one_of(st.none(), st.floats(1.0, 300.0)),
})


@SETTINGS
@given(kind=st.sampled_from(["rds_multi_az_instance", "rds_multi_az_cluster"]),
       loss=single_node_loss, run=st.integers(0, 10_000))
def test_sync_commit_loses_nothing_under_any_single_node_loss(kind, loss, run):
    """A synchronous or quorum commit survives the loss of any one node, at any time."""
    rec = simulate(_study(kind, [loss]), "d", "s", run).rec
    metrics, _ = run_metrics(rec)
    assert metrics["lost_writes"] == 0
    assert metrics["lost_writes_commits"] == 0


@SETTINGS
@given(kind=st.sampled_from(["rds_multi_az_instance", "rds_multi_az_cluster"]),
       at=st.floats(10.0, 300.0), run=st.integers(0, 10_000))
def test_sync_commit_loses_nothing_when_an_az_is_lost(kind, at, run):
    """Losing the primary's whole AZ (one node of the set) loses no acknowledged write."""
    fault = {"kind": "az_outage", "target": "primary_az", "at_s": at, "duration_s": 3000.0}
    metrics, _ = run_metrics(simulate(_study(kind, [fault]), "d", "s", run).rec)
    assert metrics["lost_writes"] == 0
