"""Steady calls laid out client by client against the window's event heap (issue 14).

The same seeded runs with :mod:`hadrsim.simulator.steady_bulk` on and off, alternated,
best of two each, in one process; the histories are the same bit for bit
(tests/simulator/test_steady_bulk.py), so only time differs. Measured 2026-12-03 in
CPU instructions (cachegrind, a whole run, imports excluded): Multi-AZ crash 83.5 M ->
73.4-77.2 M a run (1.11-1.14x), SecureCart ``multi-az-dr`` Region outage 271.6-303.2 M
-> 259.4-264.4 M (1.05-1.15x), a simulated year of ``year-of-faults`` 8.99 G -> 8.65 G
(1.04x). Only "not slower" is asserted, with room for a shared machine's noise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from hadrsim.experiments.run import run_once
from hadrsim.simulator import steady_bulk
from hadrsim.spec.loader import load_study, parse_study

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from test_bench_engine import CRASH_STUDY  # noqa: E402

CASES = {
    "multi-az-crash": (lambda: parse_study(CRASH_STUDY), "maz", "crash", 100),
    "securecart-multi-az-dr-region-outage": (
        lambda: load_study(ROOT / "experiments" / "securecart.yaml"), "multi-az-dr",
        "region-outage", 20),
}


def _time(study, design: str, scenario: str, runs: int, enabled: bool) -> float:
    steady_bulk.ENABLED = enabled
    try:
        started = time.perf_counter()
        for i in range(runs):
            assert run_once(study, design, scenario, i).ok
        return (time.perf_counter() - started) / runs
    finally:
        steady_bulk.ENABLED = True


@pytest.mark.parametrize("case", list(CASES))
def test_laid_out_against_the_event_heap(benchmark, case):
    factory, design, scenario, runs = CASES[case]
    study = factory().with_history("compressed")
    heap_s = _time(study, design, scenario, runs, False)
    bulk_s = benchmark.pedantic(lambda: _time(study, design, scenario, runs, True),
                                rounds=1, iterations=1)
    heap_s = min(heap_s, _time(study, design, scenario, runs, False))
    bulk_s = min(bulk_s, _time(study, design, scenario, runs, True))
    ratio = heap_s / bulk_s
    benchmark.extra_info.update(heap_ms_per_run=round(heap_s * 1000, 2),
                                bulk_ms_per_run=round(bulk_s * 1000, 2),
                                speed_up=round(ratio, 3))
    assert ratio >= 0.9
