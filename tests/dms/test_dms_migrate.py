"""A real migration of the bundled database while a writer keeps changing the source.

Full load, CDC, cutover and validation must end with identical counts and checksums on
both sides, and every write the source accepted during CDC must be on the target.
"""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, select

from hadrsim.dms import migrate
from hadrsim.dms.sample import TABLES, customers, order_items, orders

CDC_S = 1.0


def _migrate_while_writing(make_writer, source_url: str, target_url: str):
    writer = make_writer(source_url)
    thread = writer.start()
    try:
        result = migrate(source_url, target_url, batch_rows=500, cdc_seconds=CDC_S,
                         on_phase=writer.on_phase)
    finally:
        writer.stop.set()
        thread.join(10)
    assert writer.error is None, writer.error
    return result, writer


def _assert_migrated(result, writer, source_url: str, target_url: str) -> None:
    assert result.ok, result.differences
    assert [t.table for t in result.tables] == sorted(t.name for t in TABLES)
    for report in result.tables:
        assert report.check.counts_match and report.check.checksums_match, report.table
    assert writer.commits_during_cdc > 0, "the writer never wrote during CDC"
    assert writer.fenced, "the source kept accepting writes after cutover"
    assert result.changes_applied > 0 and result.last_seq >= result.changes_applied
    assert result.rows_loaded > 3000

    target = create_engine(target_url)
    with target.connect() as conn:
        new = set(conn.execute(select(customers.c.id).where(
            customers.c.id.in_(writer.inserted_customers))).scalars())
        assert new == set(writer.inserted_customers)
        if writer.statuses:
            got = dict(conn.execute(select(orders.c.id, orders.c.status).where(
                orders.c.id.in_(list(writer.statuses)))).all())
            assert got == writer.statuses
        left = conn.execute(select(order_items.c.id).where(
            order_items.c.id.in_(writer.deleted_items))).scalars().all()
        assert left == []
    target.dispose()
    assert writer.missing_on(target_url) == []  # every acknowledged write, row by row

    source = create_engine(source_url)
    with source.connect() as conn:
        leftovers = [n for n in inspect(conn).get_table_names() if n.startswith("hadrsim")]
    source.dispose()
    assert leftovers == [], "cleanup left capture tables on the source"


def test_sqlite_to_sqlite_with_writes_during_cdc(sqlite_source, source_writer, tmp_path):
    """SQLite -> SQLite ends identical, with the writer's CDC-time changes on the target."""
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    result, writer = _migrate_while_writing(source_writer, sqlite_source, target_url)
    _assert_migrated(result, writer, sqlite_source, target_url)
    assert result.cutover_downtime_s < 5


def test_postgresql_to_postgresql_with_writes_during_cdc(pg_schemas, source_writer):
    """PostgreSQL -> PostgreSQL: trigger capture in PL/pgSQL, fence, drain, validation."""
    from hadrsim.dms import create_sample

    source_url, target_url = pg_schemas("src"), pg_schemas("dst")
    create_sample(source_url, orders_n=1000, seed=2026)
    result, writer = _migrate_while_writing(source_writer, source_url, target_url)
    _assert_migrated(result, writer, source_url, target_url)


def test_sqlite_to_postgresql_with_writes_during_cdc(sqlite_source, pg_schemas, source_writer):
    """Across dialects: generic types on the target, values normalised identically."""
    target_url = pg_schemas("dst")
    result, writer = _migrate_while_writing(source_writer, sqlite_source, target_url)
    _assert_migrated(result, writer, sqlite_source, target_url)


def test_cutover_event_ends_cdc_early(sqlite_source, tmp_path):
    """The caller's cutover event ends CDC at once, whatever ``cdc_seconds`` says."""
    import threading

    cutover = threading.Event()
    cutover.set()
    result = migrate(sqlite_source, str(tmp_path / "target.db"), cdc_seconds=600,
                     cutover=cutover)
    assert result.ok and result.cdc_s < 5 and result.changes_applied == 0
