"""Table sizes of a real source database, as inputs of the simulated migration.

A DMS full load moves bytes, and it moves them row by row, so the simulation needs both
per table: the exact row count (``SELECT count(*)``) and an *estimate* of the bytes, the
mean width of the first ``sample_rows`` rows in key order times the row count. A value's
width is its size as a client receives it (text and binary by length in UTF-8 bytes,
numbers and timestamps 8 bytes, NULL nothing), not the storage engine's page layout: it is
the payload the replication instance carries, without per-row or per-page overhead.

The source is opened and its schema read exactly as ``hadrsim migrate`` does
(``endpoints.py``), so a URL it refuses is refused here with the same one-line
``MigrationError``, and a plan is made only for a database the lab can migrate.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass

from sqlalchemy import Table, func, select
from sqlalchemy.exc import SQLAlchemyError

from hadrsim.dms.endpoints import MigrationError, open_engine, parse_url, reflect_source, shown
from hadrsim.dms.load import scan

SAMPLE_ROWS = 1000  # rows read per table to estimate the mean row width


@dataclass(frozen=True, kw_only=True)
class TableSize:
    """One table: its name, row count and estimated payload bytes."""

    name: str
    rows: int
    bytes: int

    def __post_init__(self) -> None:
        if self.rows < 0 or self.bytes < 0:
            raise ValueError(f"table {self.name}: rows and bytes must be >= 0")

    @property
    def mb(self) -> float:
        return self.bytes / 1e6


def value_width(value: object) -> int:
    """Bytes one value takes on the wire (an estimate, see the module docstring)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float, dt.datetime, dt.timedelta)):
        return 8
    if isinstance(value, (dt.date, dt.time)):
        return 4
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, decimal.Decimal):
        return len(str(value))
    return len(str(value).encode())


def _size(conn, table: Table, sample_rows: int) -> TableSize:
    rows = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    sampled = width = 0
    for batch in scan(conn, table, sample_rows):
        sampled += len(batch)
        width += sum(value_width(v) for row in batch for v in row)
        break  # the first batch is the sample
    mean_width = width / sampled if sampled else 0.0
    return TableSize(name=table.name, rows=rows, bytes=round(mean_width * rows))


def size_tables(url: str, *, sample_rows: int = SAMPLE_ROWS) -> list[TableSize]:
    """Row counts and estimated bytes of every table of the source at ``url``, by name.

    Raises ``MigrationError`` (one line) for an unusable URL, driver or database.
    """
    if sample_rows < 1:
        raise ValueError("sample_rows must be >= 1")
    source_url = parse_url(url, "source")
    engine = open_engine(source_url, "source", must_exist=True)
    try:
        tables = reflect_source(engine)
        with engine.connect() as conn:
            return [_size(conn, table, sample_rows) for table in tables]
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise MigrationError(f"source {shown(source_url)}: cannot size the tables: "
                             f"{first[0] if first else type(exc).__name__}") from None
    finally:
        engine.dispose()
