"""The event loop's cost on plain callbacks (issue 14).

(i) 200 Multi-AZ instance-crash runs (the CRASH_STUDY of test_bench_engine.py) in
    one process: runs/s and model events/s, reported, not asserted. Nearly every
    event of these runs is a ``World.call_later`` callback, so this is the figure
    that moves when the loop's per-callback cost does.
"""

from __future__ import annotations

from test_bench_engine import CRASH_STUDY

from hadrsim.experiments.run import run_once
from hadrsim.spec.loader import parse_study

RUNS = 200


def test_i_crash_runs_per_second_in_one_process(benchmark):
    """(i) 200 crash runs, one after the other; runs/s and events/s in extra_info."""
    study = parse_study(CRASH_STUDY)

    def two_hundred():
        return [run_once(study, "maz", "crash", i) for i in range(RUNS)]

    results = benchmark.pedantic(two_hundred, rounds=3, iterations=1)
    assert len(results) == RUNS and all(r.ok for r in results)
    wall = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        runs_per_s=round(RUNS / wall, 1),
        events_per_s=round(sum(r.events for r in results) / wall),
    )
