"""Sequential stopping: batches until every interval is tight enough, or the cap."""

from __future__ import annotations

from hadrsim.experiments.sequential import run_until_precise
from hadrsim.experiments.statistics import half_width, summarize


def _study(make_study):
    return make_study(horizon_s=400.0, policy={"Hardware": {"rto_s": 120, "rpo_s": 0}})


def test_stops_once_precise(make_study):
    """With a 10% target it stops early, and the RTO interval is within 10% of the mean."""
    results, left = run_until_precise(_study(make_study), 0.10, batch=5, max_runs=200)
    assert not left
    runs = {r.run_index for r in results}
    assert 5 <= len(runs) < 200 and len(runs) % 5 == 0
    rto = summarize([row["rto_write_s"] for r in results for row in r.episodes])
    assert half_width(rto) <= 0.10 * rto["mean"]


def test_stops_at_the_cap_and_says_what_is_imprecise(make_study):
    """An unreachable target stops at max_runs and lists what is still imprecise."""
    results, left = run_until_precise(_study(make_study), 1e-6, batch=4, max_runs=8)
    assert {r.run_index for r in results} == set(range(8))
    assert left and any("rto_write_s" in line for line in left)
