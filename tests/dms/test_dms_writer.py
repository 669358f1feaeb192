"""The shop's writer: paced, stopped before cleanup, and it knows what it was acknowledged."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, delete, insert, update

from hadrsim.dms import SourceWriter
from hadrsim.dms.sample import customers, order_items, orders


def _write_for(writer: SourceWriter, seconds: float) -> SourceWriter:
    with writer:
        time.sleep(seconds)
    assert writer.error is None, writer.error
    return writer


def test_a_paced_writer_never_runs_ahead_of_its_rate(sqlite_source):
    """At 40 transactions a second for 0.5 s it commits at most 21 (the first is at 0)."""
    started = time.perf_counter()
    writer = _write_for(SourceWriter(sqlite_source, rate_per_s=40), 0.5)
    elapsed = time.perf_counter() - started
    assert 0 < writer.commits <= 40 * elapsed + 1
    assert writer.commits_by_phase == {"before": writer.commits}


def test_the_source_itself_has_every_acknowledged_write(sqlite_source):
    """Inserts, updates and deletes all recorded; the database they went to has them all."""
    writer = _write_for(SourceWriter(sqlite_source, seed=3), 0.4)
    assert writer.inserted_customers and writer.statuses and writer.deleted_items
    assert writer.missing_on(sqlite_source) == []


def test_missing_on_names_each_kind_of_lost_write(sqlite_source):
    """A lost insert, a lost update and a lost delete are each named as (table, id)."""
    writer = _write_for(SourceWriter(sqlite_source, seed=3), 0.4)
    customer = writer.inserted_customers[0]
    order, _ = next(iter(writer.statuses.items()))
    item = writer.deleted_items[0]
    engine = create_engine(sqlite_source)
    with engine.begin() as conn:  # undo one write of each kind, as a bad migration would
        conn.execute(delete(order_items).where(
            order_items.c.order_id.in_(orders.select().with_only_columns(orders.c.id)
                                       .where(orders.c.customer_id == customer))))
        conn.execute(delete(orders).where(orders.c.customer_id == customer))
        conn.execute(delete(customers).where(customers.c.id == customer))
        conn.execute(update(orders).where(orders.c.id == order).values(status="old"))
        conn.execute(insert(order_items), {"id": item, "order_id": 1, "product_id": 1,
                                           "quantity": 1, "unit_price_cents": 1})
    engine.dispose()
    missing = writer.missing_on(sqlite_source)
    assert ("customers", customer) in missing
    assert ("orders", order) in missing
    assert ("order_items", item) in missing


def test_cleanup_stops_the_writer_before_its_next_transaction(sqlite_source):
    """Once ``on_phase('cleanup')`` returns, no transaction commits any more."""
    writer = SourceWriter(sqlite_source)
    writer.start()
    time.sleep(0.1)
    writer.on_phase("cdc")
    time.sleep(0.1)
    writer.on_phase("cleanup")
    after = writer.commits
    time.sleep(0.1)
    assert writer.commits == after and writer.stop.is_set()
    writer.close()
    assert writer.commits_during_cdc > 0 and writer.commits_by_phase["cdc"] > 0


def test_a_rate_must_be_positive(sqlite_source):
    with pytest.raises(ValueError, match="rate_per_s"):
        SourceWriter(sqlite_source, rate_per_s=0)
