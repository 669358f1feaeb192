"""Validation, as DMS data validation does it: compare every row of source and target.

Both sides are read with the same table definition, in primary-key order (see
``load.scan``), each value normalised to text the same way whatever the dialect (numbers
without trailing zeros, timestamps in ISO 8601, bytes in hex, NULL distinct from the
string "None"). Per table the result holds the row counts, a SHA-256 over the normalised
rows of each side, and a row-by-row merge: rows missing on the target, extra rows on the
target and rows whose values differ, with a few example keys of each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, Table

from hadrsim.dms.load import scan

EXAMPLES = 5


def normalise(value) -> str | None:
    """One value as text, identical for equal values read from any dialect."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


@dataclass(frozen=True, kw_only=True)
class TableCheck:
    """The comparison of one table; ``ok`` when counts, checksums and every row match."""

    table: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str
    missing: int = 0  # on the source, not on the target
    extra: int = 0  # on the target, not on the source
    differing: int = 0  # same key, other values
    examples: dict[str, list] = field(default_factory=dict)

    @property
    def counts_match(self) -> bool:
        return self.source_rows == self.target_rows

    @property
    def checksums_match(self) -> bool:
        return self.source_sha256 == self.target_sha256

    @property
    def ok(self) -> bool:
        return self.counts_match and self.checksums_match and not (
            self.missing or self.extra or self.differing)

    def describe(self) -> str:
        """How the table differs, in one line ('' when it matches)."""
        if self.ok:
            return ""
        parts = []
        if not self.counts_match:
            parts.append(f"rows {self.source_rows:,} on source, {self.target_rows:,} on target")
        for kind in ("missing", "extra", "differing"):
            count = getattr(self, kind)
            if count:
                keys = ", ".join(map(str, self.examples.get(kind, [])))
                parts.append(f"{count:,} {kind} (keys {keys})")
        if not self.checksums_match and not parts:
            parts.append("checksums differ")
        return "; ".join(parts)


def _rows(engine: Engine, table: Table, batch_rows: int) -> Iterator[tuple[tuple, list]]:
    key_at = [list(table.columns).index(c) for c in table.primary_key.columns]
    with engine.connect() as conn:
        for batch in scan(conn, table, batch_rows):
            for row in batch:
                yield tuple(row[i] for i in key_at), [normalise(v) for v in row]


def _key(key: tuple):
    return key[0] if len(key) == 1 else key


def compare_table(source: Engine, target: Engine, table: Table,
                  batch_rows: int = 5000) -> TableCheck:
    """Stream both sides in key order once: counts, checksums and a row-by-row merge."""
    hashes = {"source": hashlib.sha256(), "target": hashlib.sha256()}
    counts = {"source": 0, "target": 0, "missing": 0, "extra": 0, "differing": 0}
    examples: dict[str, list] = {}
    end = object()

    def take(side: str, stream):
        item = next(stream, end)
        if item is not end:
            counts[side] += 1
            hashes[side].update(json.dumps(item[1]).encode() + b"\n")
        return item

    def note(kind: str, key: tuple) -> None:
        counts[kind] += 1
        if len(examples.setdefault(kind, [])) < EXAMPLES:
            examples[kind].append(_key(key))

    left, right = _rows(source, table, batch_rows), _rows(target, table, batch_rows)
    a, b = take("source", left), take("target", right)
    while a is not end or b is not end:
        if b is end or (a is not end and a[0] < b[0]):
            note("missing", a[0])
            a = take("source", left)
        elif a is end or b[0] < a[0]:
            note("extra", b[0])
            b = take("target", right)
        else:
            if a[1] != b[1]:
                note("differing", a[0])
            a, b = take("source", left), take("target", right)
    return TableCheck(
        table=table.name,
        source_rows=counts["source"],
        target_rows=counts["target"],
        source_sha256=hashes["source"].hexdigest(),
        target_sha256=hashes["target"].hexdigest(),
        missing=counts["missing"],
        extra=counts["extra"],
        differing=counts["differing"],
        examples=examples,
    )


def validate(source: Engine, target: Engine, tables: list[Table]) -> list[TableCheck]:
    """Compare every table; read both sides through the source's table definitions."""
    return [compare_table(source, target, table) for table in tables]
