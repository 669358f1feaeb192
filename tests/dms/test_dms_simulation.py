"""The simulated DMS task: full load, CDC, cutover, validation, faults; table sizing."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.dms import MigrationError, create_sample
from hadrsim.dms.simulate import (
    DmsTaskSpec,
    SourceOutage,
    TaskFailure,
    plan_migration,
    simulate_migration,
)
from hadrsim.dms.sizing import TableSize, size_tables
from hadrsim.spec.distributions import lognormal

STEADY = lognormal(2.0, 2.0)  # a constant 2 s pipeline latency: lag figures read exactly


def _table(name: str = "t", *, rows: int = 0, mb: float = 0.0) -> TableSize:
    return TableSize(name=name, rows=rows, bytes=round(mb * 1e6))


def test_full_load_of_one_table_on_one_thread_is_bytes_over_throughput_plus_rows():
    """500 MB at 20 MB/s plus 1M rows at 5 us: 25 s + 5 s."""
    spec = DmsTaskSpec(throughput_mb_s=20, per_row_us=5, max_full_load_subtasks=1)
    run = simulate_migration([_table(rows=1_000_000, mb=500)], spec, seed=1)
    assert run.full_load_s == pytest.approx(30.0)
    doubled = simulate_migration([_table(rows=1_000_000, mb=1000)], spec, seed=1)
    assert doubled.full_load_s == pytest.approx(55.0)


def test_parallel_threads_load_many_tables_faster():
    """16 equal tables: 8 threads finish in an eighth of the time one thread takes."""
    tables = [_table(f"t{i:02d}", mb=100) for i in range(16)]
    one = simulate_migration(tables, DmsTaskSpec(max_full_load_subtasks=1), seed=1)
    eight = simulate_migration(tables, DmsTaskSpec(), seed=1)  # default MaxFullLoadSubTasks 8
    assert one.full_load_s == pytest.approx(160.0)
    assert eight.full_load_s == pytest.approx(20.0)


def test_task_failure_mid_full_load_costs_the_lost_work_and_the_restart_and_loses_nothing():
    """A 60 s table, failure at 30 s, resumed 60 s later: the table reloads from its start."""
    tables = [_table(mb=600)]
    spec = DmsTaskSpec(max_full_load_subtasks=1, cdc_latency_s=STEADY)
    clean = simulate_migration(tables, spec, seed=2)
    failed = simulate_migration(
        tables, spec.model_copy(update={"faults": (TaskFailure(at_s=30, restart_s=60),)}),
        seed=2)
    assert clean.full_load_s == pytest.approx(60.0)
    assert failed.full_load_s - clean.full_load_s == pytest.approx(30 + 60)
    assert failed.lost_work_s == pytest.approx(30.0)
    loads = [(a.started_s, a.ended_s, a.done) for a in failed.attempts if a.phase == "full-load"]
    assert loads == [(0.0, 30.0, False), (90.0, 150.0, True)]
    assert failed.changes_lost == 0 and failed.changes_applied == failed.changes_committed


def test_source_outage_during_cdc_raises_the_lag_which_drains_afterwards():
    """While the source is unreachable nothing is captured; afterwards CDC catches up at its
    apply rate and the lag is back to the pipeline latency."""
    spec = DmsTaskSpec(cdc_latency_s=STEADY, cdc_s=900)
    tables = [_table(mb=100)]  # full load ends at 10 s
    start, end = 300.0, 420.0
    outage = spec.model_copy(update={"faults": (SourceOutage(at_s=start, duration_s=120),)})
    run = simulate_migration(tables, outage, seed=3)
    assert run.lag_of(start, start + 1).max() == pytest.approx(120, abs=2)
    assert run.lag_of(end + 30, end + 300).max() < 3
    assert run.lag_of(100, start).max() < 3
    assert run.cdc_lag_p99_s > 60
    assert run.changes_lost == 0 and run.changes_applied == run.changes_committed


def test_source_down_for_everyone_takes_no_writes_and_adds_no_lag():
    spec = DmsTaskSpec(cdc_latency_s=STEADY, faults=(
        SourceOutage(at_s=300, duration_s=120, app_writes=False),))
    run = simulate_migration([_table(mb=100)], spec, seed=3)
    assert run.lag_of(300, 420).size == 0
    assert run.lag_of(0, 10_000).max() < 3 + 10  # cached changes wait for the 10 s full load
    assert run.changes_lost == 0


@pytest.mark.parametrize("faults", [
    (TaskFailure(at_s=5, restart_s=30),),
    (TaskFailure(at_s=200, restart_s=90), SourceOutage(at_s=250, duration_s=300)),
    (SourceOutage(at_s=2, duration_s=20), TaskFailure(at_s=400, restart_s=10),
     TaskFailure(at_s=401, restart_s=10)),
])
def test_no_fault_loses_a_change_and_changes_apply_in_commit_order(faults):
    """CDC resumes from its checkpoint: every committed change is applied exactly once."""
    tables = [_table(f"t{i}", rows=200_000, mb=50) for i in range(3)]
    for seed in range(5):
        run = simulate_migration(tables, DmsTaskSpec(faults=faults), seed=seed)
        assert run.changes_lost == 0
        assert [a.batch for a in run.applied] == list(range(len(run.applied)))
        assert np.all(np.diff([a.applied_s for a in run.applied]) >= 0)
        assert all(a.applied_s >= a.commit_s for a in run.applied)


def test_task_failure_during_cdc_grows_the_lag_by_the_restart():
    spec = DmsTaskSpec(cdc_latency_s=STEADY, faults=(TaskFailure(at_s=300, restart_s=60),))
    run = simulate_migration([_table(mb=100)], spec, seed=4)
    assert run.lag_of(297, 300).max() == pytest.approx(63, abs=2)
    assert run.lag_of(400, 600).max() < 3
    assert run.changes_lost == 0


def test_cutover_downtime_is_between_one_and_ten_minutes_by_default():
    """Calibration 10: 3 min, 1-10 min (stop writes, drain the lag, switch)."""
    plan = plan_migration([_table(rows=100_000, mb=20)], runs=200, seed=7)
    downtime = [r.cutover_downtime_s for r in plan.runs]
    assert 60 <= min(downtime) and max(downtime) <= 600
    assert 140 <= plan.summaries["cutover_downtime_s"]["p50"] <= 220
    assert all(r.total_migration_s >= r.full_load_s + 600 + r.cutover_downtime_s - 1e-9
               for r in plan.runs)  # CDC runs cdc_s (600 s) before the cutover starts


def test_validation_time_is_proportional_to_rows_and_off_means_none():
    tables = [_table(rows=400_000, mb=1)]
    on = simulate_migration(tables, DmsTaskSpec(validation_rows_per_s=20_000), seed=1)
    off = simulate_migration(tables, DmsTaskSpec(validation=False), seed=1)
    assert on.validation_s == pytest.approx(20.0)
    assert off.validation_s == 0 and not [a for a in off.attempts if a.phase == "validation"]


def test_a_write_rate_cdc_cannot_keep_up_with_is_refused():
    """Writes at or above the apply rate: the lag only grows and cutover would never come."""
    with pytest.raises(ValueError, match="CDC could never catch up"):
        DmsTaskSpec(write_rate_per_s=1000.0, cdc_apply_rate_per_s=1000.0)
    assert DmsTaskSpec(write_rate_per_s=999.0).cdc_apply_rate_per_s == 1000.0


def test_the_cutover_window_read_from_the_records():
    """Stop writes, drain, switch: the backlog and lag at stop-writes are what a switch
    without the drain would lose; the drain leaves nothing behind."""
    spec = DmsTaskSpec(faults=(SourceOutage(at_s=550, duration_s=120),))
    for run in plan_migration([_table(rows=1000, mb=0.1)], spec, runs=10, seed=4).runs:
        stop = run.stop_writes_s
        assert stop == pytest.approx(run.total_migration_s - run.cutover_downtime_s)
        assert stop >= 550 + 120  # the outage held the lag up past the planned cutover
        assert run.backlog_at(stop) == run.backlog_at_cutover
        assert 0 <= run.lag_at(stop) <= spec.cutover_max_lag_s
        assert stop <= run.drained_s <= run.total_migration_s
        assert run.backlog_at(run.drained_s) == 0 and run.lag_at(run.drained_s) == 0
        # Nothing committed during the outage is read before it ends: by then the first
        # change committed in it (within a tick of its start) is as old as the outage.
        assert run.lag_at(550 + 120) >= 120 - spec.tick_s


def test_same_seed_same_run_and_another_seed_another():
    tables = [_table(f"t{i}", rows=10_000 * (i + 1), mb=i + 1) for i in range(4)]
    spec = DmsTaskSpec(faults=(TaskFailure(at_s=100),))
    a, b = (simulate_migration(tables, spec, seed=11, run_index=3) for _ in range(2))
    assert a == b and a.applied == b.applied and a.attempts == b.attempts
    assert simulate_migration(tables, spec, seed=12, run_index=3).applied != a.applied
    first, again = (plan_migration(tables, spec, runs=5, seed=11) for _ in range(2))
    assert first.summaries == again.summaries


def test_size_tables_reads_the_bundled_databases_row_counts(tmp_path):
    made = create_sample(str(tmp_path / "shop.db"), orders_n=400, seed=9)
    sizes = size_tables(str(tmp_path / "shop.db"))
    assert {t.name: t.rows for t in sizes} == made.rows
    assert [t.name for t in sizes] == sorted(made.rows)
    for t in sizes:
        assert 10 * t.rows < t.bytes < 200 * t.rows, t  # a few ints, dates and short strings


def test_size_tables_refuses_a_bad_url_like_migrate(tmp_path):
    with pytest.raises(MigrationError, match="no such SQLite file"):
        size_tables(str(tmp_path / "missing.db"))
    with pytest.raises(MigrationError, match="unknown dialect or driver"):
        size_tables("notadialect://x/y")


def test_dms_plan_command_prints_tables_and_exits_2_on_a_bad_url(tmp_path):
    create_sample(str(tmp_path / "shop.db"), orders_n=200)
    ok = CliRunner().invoke(app, ["dms-plan", str(tmp_path / "shop.db"), "--runs", "5",
                                  "--throughput-mb-s", "5", "--cdc-seconds", "120"])
    assert ok.exit_code == 0, ok.output
    assert "order_items" in ok.stdout and "cutover_downtime_s" in ok.stdout
    bad = CliRunner().invoke(app, ["dms-plan", "notadialect://x/y"])
    assert bad.exit_code == 2
    assert len([line for line in bad.stderr.splitlines() if line.strip()]) == 1
