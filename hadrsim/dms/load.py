"""Full load: copy every table in primary-key order, one committed batch at a time.

Batches are read by keyset pagination (``WHERE pk > last ORDER BY pk LIMIT n``), so each
batch is a short read that never holds the source for the whole table, and the order is the
same on every dialect: string keys are compared byte-wise (PostgreSQL ``COLLATE "C"``,
SQLite's default ``BINARY``), which is also Python's order for ``str``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, String, Table, select, tuple_


def _ordered(column, dialect_name: str):
    if dialect_name == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column


def scan(conn: Connection, table: Table, batch_rows: int) -> Iterator[list[tuple]]:
    """The table's rows in primary-key order, as batches of tuples (columns in table order)."""
    name = conn.dialect.name
    keys = [_ordered(c, name) for c in table.primary_key.columns]
    key_at = [list(table.columns).index(c) for c in table.primary_key.columns]
    last = None
    while True:
        query = select(table).order_by(*keys).limit(batch_rows)
        if last is not None:
            query = query.where(keys[0] > last[0] if len(keys) == 1 else tuple_(*keys) > last)
        rows = [tuple(r) for r in conn.execute(query)]
        if not rows:
            return
        yield rows
        if len(rows) < batch_rows:
            return
        last = tuple(rows[-1][i] for i in key_at)


@dataclass(frozen=True, kw_only=True)
class TableLoad:
    table: str
    rows: int
    seconds: float


def load_table(source: Engine, target: Engine, src: Table, dst: Table,
               batch_rows: int) -> TableLoad:
    """Copy one table; each batch commits on the target before the next is read."""
    started = time.perf_counter()
    names = [c.name for c in src.columns]
    rows = 0
    with source.connect() as reader:
        for batch in scan(reader, src, batch_rows):
            with target.begin() as writer:
                writer.execute(dst.insert(), [dict(zip(names, row, strict=True)) for row in batch])
            rows += len(batch)
            reader.rollback()  # end the read transaction between batches: no long snapshot
    return TableLoad(table=src.name, rows=rows, seconds=time.perf_counter() - started)
