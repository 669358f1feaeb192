"""Common random numbers make paired differences between designs precise."""

from __future__ import annotations

from hadrsim.experiments.montecarlo import execute, plan_runs
from hadrsim.experiments.paired import paired_differences


def test_paired_ci_is_narrower_than_unpaired(make_study):
    """Two designs that both wait out a Region outage of random length: run i of each
    meets the same outage, so the paired difference of their RTO has a much narrower
    interval than the independent-samples one (the point of common random numbers)."""
    study = make_study(
        runs=12, horizon_s=3 * 3600.0,
        workload={"client_regions": ["us-west-2"], "idle_interval_s": 30.0},
        designs=[{"name": "single", "kind": "rds_single_az"},
                 {"name": "cluster", "kind": "rds_multi_az_cluster"}],
        scenarios=[{"name": "region", "scheduled": [
            {"kind": "region_outage", "at_s": 60.0, "duration_s": 600.0}], "stochastic": [
            {"kind": "region_outage", "mttf_h": 1.0,
             "mttr_h": {"dist": "lognormal", "median": 0.2, "p99": 1.0}}]}],
    )
    rows = paired_differences(execute(study, plan_runs(study), workers=2), baseline="single")
    rto = next(r for r in rows if r["design"] == "cluster" and r["metric"] == "rto_write_s")
    assert rto["pairs"] == 12
    lo, hi = rto["ci95"]
    ulo, uhi = rto["unpaired_ci95"]
    assert (hi - lo) < 0.5 * (uhi - ulo)
