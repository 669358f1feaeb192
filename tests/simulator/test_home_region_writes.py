"""Home-Region writes: each item written only from its home Region (``home_region_writes``).

The standard fix for last-writer-wins conflicts on a multi-active table (DynamoDB MREC):
if only one Region ever writes an item, no two Regions write it concurrently, so nothing
is left for last-writer-wins to discard. Key k's home is the (k mod n)-th distinct client
Region; a client writes only keys homed in its Region and reads any key. The key is drawn
from the same single uniform as before, so with the option off every run is unchanged
(the golden and history-hash tests pin that).
"""

from __future__ import annotations

import pytest
from test_streaks import _canonical, _study  # the jitter-free harness

from hadrsim.experiments.run import run_once, simulate
from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.vocabulary import OpKind
from hadrsim.spec.loader import SpecError, parse_study
from hadrsim.spec.workload import WorkloadSpec

REGIONS = ["us-east-1", "us-west-2"]


def _partitioned_mrec(make_study, home: bool):
    """An MREC table in both Regions, a client per Region on ten items, the Regions
    partitioned for 5 minutes: each side writes the items the other side writes too."""
    workload = {"observed_clients": 4, "client_regions": REGIONS, "observed_keys": 10,
                "home_region_writes": home}
    return make_study(
        horizon_s=600.0, workload=workload,
        designs=[{"name": "mrec", "kind": "dynamodb_global_table", "regions": REGIONS}],
        scenarios=[{"name": "split", "scheduled": [
            {"kind": "network_partition", "between": REGIONS, "at_s": 120.0,
             "duration_s": 300.0}]}])


def _with_home(study, home: bool = True):
    return study.model_copy(update={"workload": study.workload.model_copy(
        update={"home_region_writes": home})})


@pytest.mark.parametrize("run", range(3))
def test_home_region_writes_leave_last_writer_wins_nothing_to_discard(make_study, run):
    """Without the option both Regions write every item during the partition: conflicts,
    and acknowledged updates last-writer-wins discards. With it, none of either."""
    anywhere = run_once(_partitioned_mrec(make_study, False), "mrec", "split", run).metrics
    assert anywhere["conflicts"] > 0 and anywhere["lost_updates"] > 0
    assert anywhere["lost_writes_total"] > 0
    homed = run_once(_partitioned_mrec(make_study, True), "mrec", "split", run).metrics
    assert homed["conflicts"] == 0 and homed["lost_updates"] == 0
    assert homed["lost_writes"] == 0 and homed["lost_writes_total"] == 0
    assert homed["ops"] == anywhere["ops"]  # the same calls, other keys


def test_a_regions_own_writes_to_one_item_never_discard_each_other(make_study):
    """Two clients of one Region writing one item: a write that commits after a
    later-stamped one of its Region (write latencies differ) still replaces it, as a
    Region serializes an item's writes, stamped a microsecond (64 version units) above
    it. Before, last-writer-wins discarded it at its own Region: a false lost update."""
    study = make_study(
        horizon_s=300.0,
        workload={"observed_clients": 4, "client_regions": REGIONS, "observed_keys": 2,
                  "home_region_writes": True},
        designs=[{"name": "mrec", "kind": "dynamodb_global_table", "regions": REGIONS}],
        scenarios=[{"name": "split", "scheduled": [
            {"kind": "network_partition", "between": REGIONS, "at_s": 60.0,
             "duration_s": 120.0}]}])
    raced = 0
    for run in range(12):
        world = simulate(study, "mrec", "split", run)
        assert run_metrics(world.rec)[0]["lost_updates"] == 0, run
        acked = {op.value: op for op in world.rec.ops
                 if op.kind == OpKind.WRITE and op.outcome == "ok"}
        raced += sum(1 for op in acked.values() if op.prev in acked
                     and op.version == acked[op.prev].version + 64)
    assert raced > 0  # the race happened, and the later commit won


def test_every_write_is_to_a_key_homed_in_its_clients_region(make_study):
    study = _partitioned_mrec(make_study, True)
    ops = simulate(study, "mrec", "split", 0).rec.ops
    writes = [op for op in ops if op.kind == OpKind.WRITE]
    reads = [op for op in ops if op.kind == OpKind.READ]
    assert writes and all(study.workload.home_region(op.key) == op.client_region for op in writes)
    assert {op.client_region for op in writes} == set(REGIONS)
    assert {op.key for op in writes} == set(range(10))  # every item has a writer
    # reads still go to any key: each Region reads items homed in the other one
    for region in REGIONS:
        assert {study.workload.home_region(op.key) for op in reads
                if op.client_region == region} == set(REGIONS)


def test_home_is_the_key_modulo_the_distinct_client_regions():
    spec = WorkloadSpec(client_regions=["a", "b", "a", "c"], observed_keys=8,
                        home_region_writes=True)
    assert [spec.home_region(k) for k in range(4)] == ["a", "b", "c", "a"]
    assert list(spec.write_keys("b")) == [1, 4, 7]
    assert list(spec.write_keys("a")) == [0, 3, 6]
    off = spec.model_copy(update={"home_region_writes": False})
    assert off.write_keys("b") == range(8)  # the option off: every key


def test_each_region_needs_a_home_key(make_study):
    with pytest.raises(SpecError, match="home_region_writes"):
        make_study(workload={"client_regions": REGIONS, "observed_keys": 1,
                             "home_region_writes": True})


def test_the_default_leaves_existing_studies_dumping_as_before(make_study):
    """Results stores key a study by its JSON: the default must not add a key to it."""
    study = make_study()
    assert "home_region_writes" not in study.model_dump_json()
    assert parse_study(study.model_dump(), "<again>") == study
    homed = _partitioned_mrec(make_study, True)
    assert '"home_region_writes":true' in homed.model_dump_json()
    assert parse_study(homed.model_dump(), "<again>") == homed


# The option changes which key a write draws in every place that draws one: the client's
# tick, a failure streak (west clients of a primary lost with us-east-1) and the steady
# runs (a Multi-AZ instance's successful calls), so the compressed history must still
# record what per_op records.
FAST_PATHS = [
    ("experiments/securecart.yaml", "multi-az-dr", "region-outage"),  # streaks
    ("experiments/securecart.yaml", "multi-az", "instance-crash"),  # steady runs, hand-back
]


@pytest.mark.parametrize(("path", "design", "scenario"), FAST_PATHS)
def test_both_history_modes_record_the_same_homed_writes(path, design, scenario):
    studies = [_with_home(_study(path, history, 0.0)) for history in ("per_op", "compressed")]
    per_op, compressed = (simulate(study, design, scenario, 0) for study in studies)
    assert _canonical(compressed.rec) == _canonical(per_op.rec)
    assert compressed.events_scheduled < per_op.events_scheduled
    workload = studies[1].workload
    writes = [op for op in compressed.rec.ops if op.kind == OpKind.WRITE]
    assert {op.client_region for op in writes} == set(workload.client_regions)
    assert all(workload.home_region(op.key) == op.client_region for op in writes)


def test_the_option_changes_only_the_write_keys():
    """Same calls at the same times with the same outcomes; only write keys move, each to
    a key homed in its client's Region."""
    study = _study("experiments/securecart.yaml", "compressed", 0.0)
    before = simulate(study, "multi-az", "instance-crash", 0).rec.ops
    after = simulate(_with_home(study), "multi-az", "instance-crash", 0).rec.ops
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        assert (old.client, old.kind, old.invoke_s, old.outcome) == \
            (new.client, new.kind, new.invoke_s, new.outcome)
        if old.kind == OpKind.READ:
            assert old.key == new.key
    assert sum(old.key != new.key for old, new in zip(before, after, strict=True)) > 0
