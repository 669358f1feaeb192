"""Compressed failure streaks record the calls one event per call would have recorded.

Three checks, from strongest to widest:

- with no network jitter (and fixed flushes) every draw a streak or a steady run
  skips or takes on a client's own stream is a constant, so both modes must
  record the same calls, commits, roles, control events and final read (write ids are
  handed out in another order, so writes are named by who wrote them when);
- a name with no answer, in a bare world: the same calls, in far fewer events;
- with jitter, over seeded runs, every metric's mean agrees within its confidence
  interval (the streak's refusals draw their delays on the client's own stream).
"""

from __future__ import annotations

import math
from functools import cache
from itertools import count
from pathlib import Path

import numpy as np
import pytest

from hadrsim.experiments.run import run_once, simulate
from hadrsim.simulator.client import ObservedClient
from hadrsim.simulator.network import Network
from hadrsim.simulator.routing import Endpoint
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant
from hadrsim.spec.loader import load_study
from hadrsim.spec.workload import WorkloadSpec

ROOT = Path(__file__).resolve().parents[2]


# with no jitter, the flushes a steady write draws on its client's own streams are fixed
# too (distinct values: no two delays tie by accident)
FIXED_FLUSHES = {"commit_flush_ms": constant(1.1), "standby_flush_ms": constant(1.7),
                 "storage_write_ms": constant(0.9)}


@cache
def _study(path: str, history: str, jitter: float | None = None):
    study = load_study(ROOT / path).with_history(history)
    if jitter is None:
        return study
    network = study.network.model_copy(update={"jitter_sigma": jitter})
    designs = study.designs
    if jitter == 0.0:
        designs = [d.model_copy(update={k: v for k, v in FIXED_FLUSHES.items()
                                        if k in type(d).model_fields}) for d in designs]
    return study.model_copy(update={"network": network, "designs": designs})


def _canonical(rec):
    """The records with each write id replaced by (client, invoke time) of its write."""
    names = {op.value: (op.client, op.invoke_s) for op in rec.ops if op.kind == "write"}

    def name(write_id):
        return names.get(write_id, write_id)

    ops = sorted(
        (op._replace(value=name(op.value), prev=name(op.prev)) for op in rec.ops),
        key=lambda op: (op.client, op.invoke_s),
    )
    commits = [c._replace(write_ids=tuple(map(name, c.write_ids))) for c in rec.commits]
    final = rec.final._replace(write_ids=sorted(map(name, rec.final.write_ids), key=str))
    return ops, commits, rec.applies, rec.roles, rec.control, rec.faults, final


JITTERLESS = [
    ("experiments/securecart.yaml", "multi-az", "instance-crash"),  # dead primary, hand-back
    ("experiments/securecart.yaml", "multi-az", "region-outage"),  # unreachable for hours
    ("experiments/securecart.yaml", "aurora-global", "region-outage"),
    ("experiments/dr-tiers.yaml", "warm-standby", "region-outage"),  # read-only refusals
    ("experiments/dr-tiers.yaml", "pilot-light", "region-outage"),
]


@pytest.mark.parametrize("reads_from", ["reader", "writer"])  # writer: one name, both kinds
@pytest.mark.parametrize(("path", "design", "scenario"), JITTERLESS)
def test_without_jitter_both_modes_record_the_same_calls(path, design, scenario, reads_from):
    studies = [_study(path, history, 0.0) for history in ("per_op", "compressed")]
    studies = [s.model_copy(update={"workload": s.workload.model_copy(
        update={"reads_from": reads_from})}) for s in studies]
    worlds = [simulate(study, design, scenario, 0) for study in studies]
    per_op, compressed = (_canonical(world.rec) for world in worlds)
    assert compressed == per_op
    assert worlds[1].events_scheduled < worlds[0].events_scheduled


class _NoAnswer:
    """A service whose names answer nothing (every instance deleted)."""

    def __init__(self, world: World):
        self.endpoint = Endpoint(world, "db", 5.0, [])

    def writer_for(self, region: str) -> Endpoint:
        return self.endpoint

    reader_for = writer_for


def _no_answer_run(history: str) -> World:
    world = World(0, 0, 600.0)
    net = Network(world, {"r1": ["a1"]}, 1.0, 0.2, lambda a, b: 60.0, 0.1)
    spec = WorkloadSpec(history=history)
    write_ids = count(1)
    for i in range(3):
        ObservedClient(world, net, _NoAnswer(world), spec, f"c{i}", "r1", write_ids).start()
    world.run()
    world.quiesce(10.0)
    return world


def test_a_name_with_no_answer_is_one_streak():
    per_op, compressed = _no_answer_run("per_op"), _no_answer_run("compressed")
    key = lambda op: (op.client, op.invoke_s)  # noqa: E731
    strip = lambda op: op._replace(value=None)  # noqa: E731 - ids are handed out in turn
    assert [strip(op) for op in sorted(compressed.rec.ops, key=key)] == \
        [strip(op) for op in sorted(per_op.rec.ops, key=key)]
    assert {op.error for op in compressed.rec.ops} == {"no endpoint"}
    assert len(compressed.rec.ops) > 2000
    assert compressed.events_scheduled < 20 < per_op.events_scheduled


METRICS = ("rto_write_s", "rto_read_s", "availability_write", "availability_read",
           "lost_writes", "rpo_s", "write_success_ratio", "read_success_ratio", "ops",
           "commit_latency_p50_ms", "stale_reads")


@pytest.mark.slow
@pytest.mark.parametrize(("path", "design", "scenario"), [
    ("experiments/dr-tiers.yaml", "warm-standby", "region-outage"),
    ("experiments/securecart.yaml", "multi-az-dr", "region-outage"),
])
def test_every_metric_mean_agrees_within_its_interval(path, design, scenario):
    runs = 30
    means = {}
    for history in ("per_op", "compressed"):
        study = _study(path, history)
        rows = [run_once(study, design, scenario, i).metrics for i in range(runs)]
        means[history] = {m: np.array([row[m] for row in rows], dtype=float) for m in METRICS}
    for metric in METRICS:
        a, b = means["per_op"][metric], means["compressed"][metric]
        assert np.isnan(a).sum() == np.isnan(b).sum(), metric
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if not a.size:
            continue
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert abs(a.mean() - b.mean()) <= 3.5 * se + 1e-9, (metric, a.mean(), b.mean(), se)
