"""Steady calls laid out client by client record exactly what the window's events do.

:mod:`hadrsim.simulator.steady_bulk` is arithmetic done in another order, not another
model: with it switched off every steady call goes through the window's event heap,
and both must give the same history bit for bit (same calls, commits, applies, roles,
final read), whatever the design, the fault, the Region of the clients or the length of
the run. With the window cut at random instants it must still hand back exactly
(tests/simulator/test_steady.py cuts windows with it switched on).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrsim.experiments.run import simulate
from hadrsim.simulator import steady_bulk, steady_record
from hadrsim.spec.loader import load_study

ROOT = Path(__file__).resolve().parents[2]

CASES = [
    *[("experiments/securecart.yaml", design, scenario)
      for design in ("single-az", "multi-az", "multi-az-cluster", "multi-az-dr", "aurora",
                     "aurora-global")
      for scenario in ("instance-crash", "region-outage")],
    ("experiments/securecart.yaml", "multi-az-dr", "az-outage"),
    ("experiments/dr-tiers.yaml", "warm-standby", "region-outage"),
    ("experiments/dr-tiers.yaml", "pilot-light", "logical-corruption"),
]


def _both(path: str, design: str, scenario: str, run: int, monkeypatch, **update):
    study = load_study(ROOT / path).with_history("compressed")
    if update:
        study = study.model_copy(update=update)
    hashes = []
    for enabled in (False, True):
        monkeypatch.setattr(steady_bulk, "ENABLED", enabled)
        hashes.append(simulate(study, design, scenario, run).rec.history_hash())
    return hashes


@pytest.mark.parametrize(("path", "design", "scenario"), CASES)
def test_laid_out_calls_record_what_the_events_record(path, design, scenario, monkeypatch):
    heap, bulk = _both(path, design, scenario, 0, monkeypatch)
    assert bulk == heap


@pytest.mark.parametrize("run", [1, 2])
def test_a_week_of_every_fault_class_is_the_same_run(run, monkeypatch):
    """Long quiet stretches (several passes per window), every kind of fault."""
    heap, bulk = _both("experiments/year-of-faults.yaml", "multi-az-dr", "every-fault-class",
                       run, monkeypatch, horizon_s=7 * 86400.0)
    assert bulk == heap


def test_most_steady_calls_of_a_crash_episode_are_laid_out(monkeypatch):
    kept: list[int] = []
    record = steady_record.record

    def counting(window, calls, *rest):
        kept.append(len(calls))
        return record(window, calls, *rest)

    monkeypatch.setattr(steady_record, "record", counting)
    study = load_study(ROOT / "experiments" / "securecart.yaml").with_history("compressed")
    world = simulate(study, "multi-az", "instance-crash", 0)
    ok = sum(op.outcome == "ok" for op in world.rec.ops)
    assert sum(kept) > 0.8 * ok


def test_a_client_that_cannot_start_costs_no_other_clients_lay_out(monkeypatch):
    """After a logical corruption of Aurora Global, the secondary Region's reads go to a
    copy outside the group for hours: that client's next call stops every pass. Found
    before any lane is laid out, it leaves the others laying out only what can be kept
    (it was 478,248 calls laid out for 5,984 kept), and the run is still the same."""
    laid, kept = [0], [0]
    planned_init, record = steady_bulk.Planned.__init__, steady_record.record

    def counting_init(self, *args):
        laid[0] += 1
        planned_init(self, *args)

    def counting_record(window, calls, *rest):
        kept[0] += len(calls)
        return record(window, calls, *rest)

    monkeypatch.setattr(steady_bulk.Planned, "__init__", counting_init)
    monkeypatch.setattr(steady_record, "record", counting_record)
    heap, bulk = _both("experiments/securecart.yaml", "aurora-global", "logical-corruption",
                       1, monkeypatch)
    assert bulk == heap
    assert kept[0] > 1000 and laid[0] < 8 * kept[0], (laid, kept)
