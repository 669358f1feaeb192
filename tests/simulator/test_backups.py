"""BackupCatalog: PITR coverage windows, explicit recovery points, archive times."""

from __future__ import annotations

import math

import pytest

from hadrsim.simulator.backups import BackupCatalog
from hadrsim.simulator.log import Log

DAY = 86400.0


def _catalog(**overrides) -> BackupCatalog:
    fields = {"archive_interval_s": 300.0, "archive_phase_s": 10.0, "retention_days": 7,
              "snapshot_at_s": 3600.0}
    return BackupCatalog(Log(), **{**fields, **overrides})


def test_defaults_keep_pitr_on_at_every_time():
    """Without a coverage window PITR is active at any time: today's RDS/Aurora rule."""
    catalog = _catalog()
    assert catalog.pitr_active(-1e9) and catalog.pitr_active(1e9)
    assert catalog.restore_time(1000.0, now=2000.0) == (1000.0, 0.0)
    assert catalog.restore_time(5000.0, now=5000.0) == (4810.0, 3600.0)


def test_pitr_only_inside_its_coverage():
    """Before pitr_from_s and from pitr_until_s on, a restore has only snapshots."""
    catalog = _catalog(pitr_from_s=1000.0, pitr_until_s=9000.0, manual_every_s=2000.0)
    assert catalog.restore_time(500.0, now=500.0) is None
    assert catalog.restore_time(5000.0, now=5000.0) == (4810.0, 3600.0)
    assert catalog.restore_time(9500.0, now=9500.0) == (8000.0, 8000.0)  # manual snapshot


def test_explicit_points_count_from_available_until_expiry():
    """An explicit point restores to its point_s on [available_s, expires_s)."""
    catalog = _catalog(retention_days=0)
    catalog.add_point(500.0, 900.0, 5000.0)
    catalog.add_point(100.0, 200.0, 1000.0)
    got = [catalog.restore_time(t, now=t) for t in (150.0, 200.0, 899.0, 900.0, 1000.0, 5000.0)]
    assert got == [None, (100.0, 100.0), (100.0, 100.0), (500.0, 500.0), (500.0, 500.0), None]
    assert catalog.restore_time(400.0, now=950.0) == (100.0, 100.0)  # newest <= wanted


def test_an_explicit_point_newer_than_the_last_archive_wins():
    """With PITR on, a snapshot newer than the last archive is the closer restore point;
    an explicit point can also be the base the log is replayed from."""
    catalog = _catalog(snapshot_at_s=math.inf)
    catalog.add_point(4900.0, 4950.0)
    assert catalog.restore_time(5000.0, now=5000.0) == (4900.0, 4900.0)
    assert catalog.restore_time(4800.0, now=5000.0) == (4800.0, 0.0)
    catalog.add_point(4000.0, 4100.0)
    assert catalog.restore_time(4800.0, now=5000.0) == (4800.0, 4000.0)


def test_add_point_rejects_a_point_available_before_its_data():
    with pytest.raises(ValueError, match="before its data"):
        _catalog().add_point(100.0, 50.0)


def test_archive_times_are_where_the_latest_restorable_time_moves():
    """archive_times(start, end): the archive grid in (start, end) inside PITR coverage."""
    catalog = _catalog(pitr_from_s=610.0, pitr_until_s=1600.0)
    assert catalog.archive_times(0.0, 2000.0) == [610.0, 910.0, 1210.0, 1510.0]
    assert catalog.archive_times(910.0, 1300.0) == [1210.0]
    assert catalog.archive_times(1600.0, 2000.0) == []
    assert _catalog(retention_days=0).archive_times(0.0, 2000.0) == []
    full = _catalog()
    for a, b in zip(full.archive_times(0.0, 3000.0), full.archive_times(0.0, 3000.0)[1:],
                    strict=False):
        assert full.latest_restorable_time(a) == a
        assert full.latest_restorable_time((a + b) / 2) == a


def test_a_catalog_without_a_log_answers_times_not_positions():
    """log=None (a backup plan's catalog): restore_time works, position() says why not."""
    catalog = BackupCatalog(None, archive_interval_s=300.0, archive_phase_s=0.0,
                            retention_days=1, snapshot_at_s=0.0)
    assert catalog.restore_time(1000.0, now=1000.0) == (900.0, 0.0)
    with pytest.raises(ValueError, match="no data log"):
        catalog.position(None, 1000.0)  # type: ignore[arg-type]
