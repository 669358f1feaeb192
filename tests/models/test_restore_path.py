"""One restore path (issue 11, item 12).

A single instance that loses its volume comes back only from the design's own
backups, by the same rules as a PITR (calibration.md §1, S4/S5): with automated
backups on it is restored to the latest restorable time (RPO = the archive lag,
mean ~2.5 min); with ``retention_days: 0`` (automated backups and PITR off, S4)
there is no restore point, the data is gone and the episode stays unrecovered.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hadrsim.experiments.run import simulate
from hadrsim.simulator.backups import BackupCatalog
from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.log import Log

LOSS_AT = 600.0


def _study(make_study, retention_days: int, manual_every_s: float | None = None):
    backups = {"retention_days": retention_days, "manual_snapshot_every_s": manual_every_s}
    return make_study(
        horizon_s=3000.0,
        workload={"observed_clients": 2, "idle_interval_s": 5.0},
        designs=[{"name": "db", "kind": "rds_single_az", "backups": backups}],
        scenarios=[{"name": "loss", "scheduled": [
            {"kind": "storage_loss", "target": "primary", "at_s": LOSS_AT}]}],
    )


def _events(rec) -> dict[str, str]:
    return {e.event: e.detail for e in rec.control}


def test_without_automated_backups_a_lost_volume_is_not_restored(make_study):
    """retention_days 0: no restore point, the instance stays down, the log says why."""
    study = _study(make_study, 0)
    for run in range(3):
        rec = simulate(study, "db", "loss", run).rec
        metrics, episodes = run_metrics(rec)
        events = _events(rec)
        assert "restore_impossible" in events and "backup" in events["restore_impossible"]
        assert "restored_to" not in events and "restore_completed" not in events
        assert not episodes[0]["recovered_write"]
        assert metrics["rto_write_s"] >= 3000.0 - LOSS_AT - 1.0 or math.isnan(
            metrics["rto_write_s"])


def test_with_backups_on_the_restore_reaches_the_latest_restorable_time(make_study):
    """retention 7: restored to the last 5-min archive before the loss (S5)."""
    study = _study(make_study, 7)
    for run in range(3):
        rec = simulate(study, "db", "loss", run).rec
        _metrics, episodes = run_metrics(rec)
        events = _events(rec)
        point = float(events["restored_to"].split()[0].removeprefix("t="))
        assert LOSS_AT - 300.0 <= point <= LOSS_AT
        assert episodes[0]["recovered_write"]


def test_manual_snapshots_outlive_retention_zero(make_study):
    """Backups off but a manual snapshot every 250 s: restored to the newest one (S4)."""
    rec = simulate(_study(make_study, 0, manual_every_s=250.0), "db", "loss", 0).rec
    events = _events(rec)
    assert "restore_impossible" not in events
    assert events["restored_to"].startswith("t=500.000")  # the snapshot taken at 500 s


def test_retention_zero_takes_no_daily_snapshot():
    """Automated backups off means no automated snapshot either (S4): no restore point."""
    catalog = BackupCatalog(Log(), archive_interval_s=300.0, archive_phase_s=10.0,
                            retention_days=0, snapshot_at_s=100.0)
    assert catalog.restore_time(5000.0, now=5000.0) is None
    catalog.manual_every_s = 1000.0
    assert catalog.restore_time(5000.0, now=5000.0) == (5000.0, 5000.0)
    assert catalog.restore_time(4999.0, now=5000.0) == (4000.0, 4000.0)


@pytest.mark.slow
def test_restore_rpo_is_the_archive_lag(make_study):
    """Backups on: the restore point trails the loss by the LRT lag, uniform 0-5 min."""
    study = _study(make_study, 7)
    lags = []
    for run in range(40):
        rec = simulate(study, "db", "loss", run).rec
        point = float(_events(rec)["restored_to"].split()[0].removeprefix("t="))
        lags.append(LOSS_AT - point)
    assert 0.0 <= min(lags) and max(lags) < 300.0
    assert 100.0 <= np.mean(lags) <= 200.0  # mean ~2.5 min
