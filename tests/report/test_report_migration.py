"""Figures of simulated DMS migrations: real, deterministic PNGs, and an empty run says so."""

from __future__ import annotations

from hadrsim.dms.simulate import DmsTaskSpec, SourceOutage, TaskFailure, plan_migration
from hadrsim.dms.sizing import TableSize
from hadrsim.report import migration_cdf_png, migration_lag_png

TABLES = [TableSize(name="orders", rows=5000, bytes=200_000),
          TableSize(name="items", rows=12_000, bytes=480_000)]
FAULTS = DmsTaskSpec(faults=(SourceOutage(at_s=300, duration_s=120),
                             TaskFailure(at_s=500, restart_s=30)))


def test_lag_of_a_run_with_faults_is_a_deterministic_png(check_png):
    """Outage, task failure, drain and switch bands: same run, same bytes."""
    run = plan_migration(TABLES, FAULTS, runs=1, seed=3).runs[0]
    assert run.changes_lost == 0 and run.lag_at(420) >= 119  # the outage shows in the lag
    png = migration_lag_png(run, FAULTS)
    assert check_png(png).width == 1000
    assert migration_lag_png(run, FAULTS) == png
    check_png(migration_lag_png(run))  # without a spec: no fault bands, no threshold


def test_lag_of_a_run_without_changes_says_so(check_png):
    """No source writes: nothing applied, a figure that says why rather than an error."""
    spec = DmsTaskSpec(write_rate_per_s=0.0)
    run = plan_migration(TABLES, spec, runs=1, seed=3).runs[0]
    assert not run.applied
    check_png(migration_lag_png(run, spec, title="idle source"))


def test_cdf_of_cutover_windows_per_group(check_png):
    """One panel per metric, one curve per group; an empty group is skipped, none says so."""
    clean = plan_migration(TABLES, DmsTaskSpec(), runs=8, seed=3).runs
    faulty = plan_migration(TABLES, FAULTS, runs=8, seed=3).runs
    groups = {"no fault": clean, "faults": faulty, "none": ()}
    png = migration_cdf_png(groups, ("total_migration_s", "cutover_downtime_s"))
    assert check_png(png).width == 980  # two panels: 2 x 4.6 + 0.6 in
    assert migration_cdf_png(groups, ("total_migration_s", "cutover_downtime_s")) == png
    check_png(migration_cdf_png(groups, "backlog_at_cutover"))
    check_png(migration_cdf_png({}, "total_migration_s"))
