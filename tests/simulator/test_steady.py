"""Steady runs record the calls, commits and applies the events one by one would have.

With no network jitter and fixed flushes every delay a steady run draws on its client's
own streams is a constant, and it draws the shared laws (an apply or ship lag) in the
order the events would, so both history modes must record exactly the same run. Each
case below exercises one way a commit is acknowledged; the second test ends windows at
arbitrary instants, so every hand-back (a request, a commit waiting for its
flush or acknowledgement, a batch or an acknowledgement travelling, the watchdog) is
exercised, and the run must still be the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_streaks import FIXED_FLUSHES, _canonical, _study  # the jitter-free harness

from hadrsim.experiments.run import simulate
from hadrsim.simulator import steady_bulk, steady_record, steady_window
from hadrsim.spec.loader import load_study
from hadrsim.spec.study import Study

ROOT = Path(__file__).resolve().parents[2]

CASES = [
    ("experiments/securecart.yaml", "multi-az", "instance-crash"),  # sync standby, failover
    ("experiments/securecart.yaml", "multi-az-cluster", "region-partition"),  # quorum, lag
    ("experiments/securecart.yaml", "multi-az-dr", "az-outage"),  # async cross-Region replica
    ("experiments/securecart.yaml", "aurora", "instance-crash"),  # storage quorum 4 of 6
    ("experiments/securecart.yaml", "aurora-global", "region-partition"),  # rpo secondaries
    ("experiments/dr-tiers.yaml", "backup-and-restore", "logical-corruption"),  # single-AZ
]


def _both(path: str, design: str, scenario: str, reads_from: str = "reader"):
    studies = [_study(path, history, 0.0) for history in ("per_op", "compressed")]
    studies = [s.model_copy(update={"workload": s.workload.model_copy(
        update={"reads_from": reads_from})}) for s in studies]
    return [simulate(study, design, scenario, 0) for study in studies]


@pytest.mark.parametrize(("path", "design", "scenario"), CASES)
def test_without_jitter_steady_runs_record_the_same_run(path, design, scenario):
    per_op, compressed = _both(path, design, scenario)
    assert _canonical(compressed.rec) == _canonical(per_op.rec)
    assert compressed.events_scheduled < per_op.events_scheduled


@pytest.mark.parametrize(("path", "design", "scenario"), CASES[:4])
def test_windows_cut_anywhere_hand_back_exactly(monkeypatch, path, design, scenario):
    """End every window a few milliseconds in, at a random instant: whatever is under
    way then goes back to the events, which must carry on exactly where it was."""
    _cut_windows(monkeypatch, 7, 0.004)
    per_op, compressed = _both(path, design, scenario, "writer")
    assert _canonical(compressed.rec) == _canonical(per_op.rec)


def _cut_windows(monkeypatch, seed: int, mean_s: float) -> None:
    """End every window at a random instant, ``mean_s`` in on average."""
    rng = np.random.default_rng(seed)
    init = steady_window.Window.__init__

    def short(self, *args):
        init(self, *args)
        self.end = min(self.end, self.t0 + float(rng.exponential(mean_s)))

    monkeypatch.setattr(steady_window.Window, "__init__", short)


def test_a_round_robin_name_turns_once_per_call(monkeypatch):
    """Aurora readers behind a round-robin name with no caching, one of them lost with its
    AZ: a call the window hands back keeps the lookup it made (a second lookup would
    turn the name again and send the read elsewhere). Found by an adversarial review."""
    worlds = _variant({"name": "a", "kind": "aurora", "readers": [
        {"promotion_tier": 0}, {"promotion_tier": 1}]},
        {"kind": "az_outage", "target": "standby_az", "at_s": 300, "duration_s": 5.7}, 600.0,
        dns_cache_s=0, reads_from="reader")
    assert _canonical(worlds[1].rec) == _canonical(worlds[0].rec)


def _variant(design: dict, fault: dict, horizon: float, **workload) -> list:
    data = json.loads(load_study(ROOT / "experiments" / "securecart.yaml").model_dump_json())
    data.update(horizon_s=horizon, designs=[design],
                scenarios=[{"name": "s", "scheduled": [fault]}])
    data["workload"].update(workload)
    data.pop("constraints", None)
    base = Study.model_validate(data)
    network = base.network.model_copy(update={"jitter_sigma": 0.0})
    designs = [d.model_copy(update={k: v for k, v in FIXED_FLUSHES.items()
                                    if k in type(d).model_fields}) for d in base.designs]
    base = base.model_copy(update={"network": network, "designs": designs})
    return [simulate(base.with_history(h), design["name"], "s", 0)
            for h in ("per_op", "compressed")]


def test_a_storage_quorum_commits_without_its_slow_copies():
    """Aurora commits on 4 of 6 acknowledgements: copies slowed by 50 ms are not waited
    for (the window used to wait for every voter before releasing)."""
    worlds = _variant({"name": "a", "kind": "aurora"},
                      {"kind": "added_latency", "between": ["primary_az", "us-east-1c"],
                       "at_s": 300, "duration_s": 60, "latency_ms": 50}, 320.0)
    assert _canonical(worlds[1].rec) == _canonical(worlds[0].rec)


def test_a_lagged_batch_sent_after_a_partition_heals_arrives():
    """A batch committed while the replica's Region is cut off leaves the primary after
    its ship lag; if the cut has healed by then it arrives (judged when it is sent)."""
    worlds = _variant(
        {"name": "mr", "kind": "rds_multi_az_instance",
         "replicas": [{"region": "us-west-2", "readable": True}]},
        {"kind": "network_partition", "between": ["us-east-1", "us-west-2"], "at_s": 300,
         "duration_s": 30}, 340.0, client_regions=["us-east-1"], idle_interval_s=None)
    assert _canonical(worlds[1].rec) == _canonical(worlds[0].rec)


def test_a_crash_episode_is_mostly_windows():
    per_op, compressed = _both("experiments/securecart.yaml", "multi-az", "instance-crash")
    assert compressed.events_scheduled < per_op.events_scheduled / 20


def test_a_replicas_batches_on_their_way_do_not_end_windows(monkeypatch):
    """A cross-Region replica's batches (sent after the ship lag, then delivered) are world
    events, and each used to end the window (0.1-0.3 s long). The window runs them itself
    now (steady_transport): a crash episode of multi-az-dr needs far fewer windows."""
    windows: list[float] = []
    init = steady_window.Window.__init__

    def counting(self, *args):
        init(self, *args)
        windows.append(self.t0)

    monkeypatch.setattr(steady_window.Window, "__init__", counting)
    study = load_study(ROOT / "experiments" / "securecart.yaml").with_history("compressed")
    simulate(study, "multi-az-dr", "instance-crash", 0)
    running_them = len(windows)
    windows.clear()
    monkeypatch.setattr(steady_window, "absorb", lambda window: False)
    simulate(study, "multi-az-dr", "instance-crash", 0)
    assert running_them < len(windows) / 3


def test_a_year_of_quiet_hours_takes_a_few_events():
    """Most of a year is hourly calls that succeed: a window each, not six events each."""
    study = _study("experiments/year-of-faults.yaml", "compressed").model_copy(
        update={"horizon_s": 30 * 86400.0})
    world = simulate(study, "multi-az-dr", "every-fault-class", 0)
    ok = sum(op.outcome == "ok" for op in world.rec.ops)
    assert ok > 2000
    assert world.events_scheduled < ok / 2


@pytest.mark.parametrize(("design", "scenario"), [("multi-az", "instance-crash"),
                                                  ("multi-az-dr", "az-outage")])
@pytest.mark.parametrize("cut", [False, True])
@pytest.mark.parametrize("bulk", [False, True])
def test_ttl_zero_lookups_counted_in_a_window_leave_the_caches_as_one_by_one(
        monkeypatch, design, scenario, cut, bulk):
    """With a DNS cache of 0 s every lookup renews every name of the chain (a Route 53
    record, then the RDS endpoint): a window only counts them and writes the caches at
    its end. The run must be the one the lookups one by one make, windows cut anywhere
    or not (the next window, the failover's lookups and the name's turns read them).
    Calls laid out in bulk (``bulk``, steady_bulk) replay their lookups instead."""
    counted = []
    write, replay = steady_window.Window._write_lookups, steady_record.replay_lookups

    def spy(self):
        counted.extend(n for n, _last in self.lookups.values())
        write(self)

    def spy_replay(kept):
        counted.append(len(kept))
        replay(kept)

    monkeypatch.setattr(steady_window.Window, "_write_lookups", spy)
    monkeypatch.setattr(steady_record, "replay_lookups", spy_replay)
    monkeypatch.setattr(steady_bulk, "ENABLED", bulk)
    if cut:
        _cut_windows(monkeypatch, 3, 0.05)
    studies = [_study("experiments/securecart.yaml", history, 0.0) for history in
               ("per_op", "compressed")]
    studies = [s.model_copy(update={"workload": s.workload.model_copy(
        update={"dns_cache_s": 0.0, "reads_from": "writer"})}) for s in studies]
    per_op, compressed = (simulate(s, design, scenario, 0) for s in studies)
    assert _canonical(compressed.rec) == _canonical(per_op.rec)
    assert sum(counted) > 100  # the counted (or replayed) path ran
