"""Sweeps into the results store: tidy rows with parameters, resume without duplicates."""

from __future__ import annotations

from hadrsim.experiments.store import ResultsStore
from hadrsim.experiments.sweep import plan_sweep, run_sweep


def _study(make_study):
    return make_study(designs=[{"name": "maz", "kind": "rds_multi_az_instance"}], runs=2)


def test_sweep_runs_land_in_the_store_with_their_parameters(make_study, tmp_path):
    store = ResultsStore(f"sqlite:///{tmp_path / 'r.db'}")
    grid = [("workload.write_rate_per_s", [50, 200])]
    frame = run_sweep(_study(make_study), grid, runs=2, workers=1, store=store)
    stored = store.frame()
    assert len(frame) == len(stored) == 4
    assert sorted(stored["workload.write_rate_per_s"]) == [50, 50, 200, 200]
    by_key = stored.set_index(["workload.write_rate_per_s", "run_index"])["lost_writes_total"]
    for row in frame.itertuples(index=False):
        key = (row[0], row.run_index)
        assert by_key[key] == row.lost_writes_total


def test_resume_runs_only_what_is_missing_and_returns_every_row(make_study, tmp_path):
    store = ResultsStore(f"sqlite:///{tmp_path / 'r.db'}")
    study = _study(make_study)
    grid = [("workload.write_rate_per_s", [50, 200])]
    first = run_sweep(study, grid, runs=1, workers=1, store=store)
    assert len(first) == 2
    plan = plan_sweep(study, grid, runs=2, store=store, resume=True)
    assert [len(p.tasks) for p in plan] == [1, 1]  # run index 1 of each point only
    seen = []
    again = run_sweep(study, grid, workers=1, on_result=seen.append, store=store,
                      resume=True, plan=plan)
    assert [r.run_index for r in seen] == [1, 1]
    assert len(again) == 4 and len(store.frame()) == 4  # nothing stored twice
    rerun = run_sweep(study, grid, runs=2, workers=1, store=store, resume=True)
    assert len(rerun) == 4 and len(store.frame()) == 4
    fresh = run_sweep(study, grid, runs=2, workers=1)
    cols = ["run_index", "lost_writes_total", "rto_write_s"]
    assert (again.sort_values(["workload.write_rate_per_s", "run_index"])[cols].to_numpy()
            == fresh.sort_values(["workload.write_rate_per_s", "run_index"])[cols]
            .to_numpy()).all()
