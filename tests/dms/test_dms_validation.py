"""Validation finds a tampered target: the table, the kind of difference, exit status 1."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, delete, insert, update
from typer.testing import CliRunner

import hadrsim.cli.data
from hadrsim.cli import app
from hadrsim.dms import compare_table, migrate
from hadrsim.dms.migrate import migrate as real_migrate
from hadrsim.dms.sample import customers, order_items, orders
from hadrsim.dms.validate import normalise


def test_tampered_target_is_reported(sqlite_source, tmp_path):
    """One changed, one deleted and one added row after migration: each found, by key."""
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    assert migrate(sqlite_source, target_url, cdc_seconds=0).ok
    target, source = create_engine(target_url), create_engine(sqlite_source)
    with target.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == 7).values(total_cents=1))
        conn.execute(delete(order_items).where(order_items.c.id == 3))
        conn.execute(insert(customers).values(id=999_999, name="x", email="x@x", country="US",
                                              created_at=dt.datetime(2025, 1, 1)))
    checks = {t.name: compare_table(source, target, t)
              for t in (orders, order_items, customers)}
    assert checks["orders"].counts_match and not checks["orders"].checksums_match
    assert checks["orders"].differing == 1 and checks["orders"].examples["differing"] == [7]
    assert checks["order_items"].missing == 1 and not checks["order_items"].counts_match
    assert checks["customers"].extra == 1 and checks["customers"].examples["extra"] == [999_999]
    assert "1 differing (keys 7)" in checks["orders"].describe()
    target.dispose()
    source.dispose()


def test_cli_exits_1_when_validation_finds_a_difference(sqlite_source, tmp_path, monkeypatch):
    """A row changed on the target just before validation: the table is named, exit 1."""
    target_url = f"sqlite:///{tmp_path / 'target.db'}"

    def tamper(phase: str) -> None:
        if phase == "validation":
            engine = create_engine(target_url)
            with engine.begin() as conn:
                conn.execute(update(orders).where(orders.c.id == 42).values(status="tampered"))
            engine.dispose()

    monkeypatch.setattr(hadrsim.cli.data, "migrate",
                        lambda *a, **k: real_migrate(*a, **{**k, "on_phase": tamper}))
    result = CliRunner().invoke(app, ["migrate", sqlite_source, target_url,
                                      "--cdc-seconds", "0"])
    assert result.exit_code == 1, result.output
    assert "differs" in result.output and "orders: 1 differing (keys 42)" in result.stderr


def test_normalise_is_dialect_neutral():
    """Equal values read through different drivers give the same text."""
    from decimal import Decimal

    assert normalise(Decimal("12.30")) == normalise(Decimal("12.3")) == normalise(12.3)
    assert normalise(True) == "true" and normalise(None) is None and normalise("None") == "None"
    assert normalise(b"\x01\xff") == "01ff"
