"""The bundled SecureCart database: deterministic, a few thousand rows, CLI-made."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.dms import create_sample, sample_rows
from hadrsim.dms.sample import TABLES


def test_same_seed_same_rows_other_seed_other_rows():
    """Content is a pure function of (orders, seed)."""
    assert sample_rows(200, seed=1) == sample_rows(200, seed=1)
    assert sample_rows(200, seed=1) != sample_rows(200, seed=2)


def test_default_database_has_a_few_thousand_consistent_rows(tmp_path):
    """Every table filled; every order's total is the sum of its lines."""
    made = create_sample(str(tmp_path / "shop.db"))
    assert 3000 <= made.total_rows <= 6000
    rows = sample_rows()
    totals: dict[int, int] = {}
    for item in rows["order_items"]:
        totals[item["order_id"]] = (totals.get(item["order_id"], 0)
                                    + item["quantity"] * item["unit_price_cents"])
    assert all(o["total_cents"] == totals[o["id"]] for o in rows["orders"])
    engine = create_engine(made.url.replace("***", ""))
    with engine.connect() as conn:
        for table in TABLES:
            count = conn.execute(select(func.count()).select_from(table)).scalar()
            assert count == made.rows[table.name]
    engine.dispose()


def test_sample_db_command(tmp_path):
    """``hadrsim sample-db PATH --rows N --seed S`` creates it; a second time exits 2."""
    path = str(tmp_path / "shop.db")
    first = CliRunner().invoke(app, ["sample-db", path, "--rows", "100", "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert "orders 100" in first.output
    again = CliRunner().invoke(app, ["sample-db", path])
    assert again.exit_code == 2 and "already has tables" in again.stderr


def test_sample_on_postgresql(pg_schemas):
    """The same generator fills a PostgreSQL database through its URL."""
    made = create_sample(pg_schemas("shop"), orders_n=100, seed=3)
    assert made.rows["orders"] == 100
