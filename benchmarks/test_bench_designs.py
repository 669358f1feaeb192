"""Speed of the issue-4 designs.

(d) a simulated year of Aurora Global Database under stochastic faults;
(e) 1,000 DynamoDB global-table partition episodes (runs/s and events/s).
"""

from __future__ import annotations

from pathlib import Path

from hadrsim.experiments.montecarlo import execute, plan_runs
from hadrsim.experiments.run import run_once
from hadrsim.spec.loader import load_study, parse_study

ROOT = Path(__file__).resolve().parents[1]


def test_d_a_year_of_aurora_global(benchmark):
    """(d) One simulated year of Aurora Global with every fault class, one core."""
    study = load_study(ROOT / "experiments" / "aurora-global-year.yaml")
    runs = iter(range(1000))

    def one_year():
        result = run_once(study, "aurora-global", "every-fault-class", next(runs))
        assert result.ok, result.error
        return result

    result = benchmark.pedantic(one_year, rounds=3, iterations=1)
    benchmark.extra_info.update(
        events=result.events, episodes=len(result.episodes),
        events_per_s=round(result.events / benchmark.stats.stats.mean),
    )


PARTITIONS = {
    "name": "ddb-partitions", "seed": 5, "runs": 1000, "horizon_s": 300.0,
    "workload": {"client_regions": ["us-east-1", "us-west-2"], "observed_clients": 2,
                 "observed_keys": 10},
    "designs": [{"name": "gt", "kind": "dynamodb_global_table",
                 "regions": ["us-east-1", "us-west-2"]}],
    "scenarios": [{"name": "partition", "scheduled": [
        {"kind": "network_partition", "between": ["us-east-1", "us-west-2"],
         "at_s": 60.0, "duration_s": 120.0}]}],
}


def test_e_thousand_dynamodb_partition_episodes(benchmark):
    """(e) 1,000 partition episodes of a 2-Region global table on 2 workers."""
    study = parse_study(PARTITIONS)
    tasks = plan_runs(study)
    results = benchmark.pedantic(lambda: execute(study, tasks, workers=2), rounds=1,
                                 iterations=1)
    assert len(results) == 1000 and all(r.ok for r in results)
    wall = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        runs_per_s=round(1000 / wall, 1),
        events_per_s=round(sum(r.events for r in results) / wall),
        mean_lost_updates=sum(r.metrics["lost_updates"] for r in results) / 1000,
    )
