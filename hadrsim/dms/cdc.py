"""Change data capture by triggers, portable across SQLite and PostgreSQL sources.

On the source, ``hadrsim_cdc`` is a change log with an autoincrement sequence, filled by an
INSERT/UPDATE/DELETE trigger on every migrated table in the writer's own transaction: a
change and its log entry commit together or not at all. A log entry holds the table, the
operation, the primary key (a JSON array) and the capture time. The triggers are installed
*before* full load starts, so every change the full load may have missed is in the log.

Applying an entry re-reads the row's current state from the source by primary key and
writes it to the target (delete then insert in one transaction: an upsert by key that every
dialect supports), or deletes it there when the source no longer has it. Applying is
therefore idempotent, and the target converges to the source once the log is drained.

Entries are applied in sequence order and the last applied sequence is tracked, but applied
entries are *deleted* from the log rather than skipped by a high-water mark: on PostgreSQL a
transaction may take sequence 10, commit after one that took 11, and become visible only
after 11 was applied. A high-water mark would lose it; the queue does not.

Cutover raises a fence (``hadrsim_cdc_fence``): from then on the triggers reject writes to
the source, so "stop accepting writes" holds even if the application has not stopped. On
PostgreSQL the fence then waits (``LOCK ... IN SHARE MODE``) for every transaction that had
already logged a change to finish, so the final drain sees all of them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    text,
    tuple_,
)

from hadrsim.dms.endpoints import CDC_PREFIX

FENCE_MESSAGE = "hadrsim: source is read-only after cutover; write to the target"
_meta = MetaData()
CHANGES = Table(
    CDC_PREFIX,
    _meta,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("table_name", String(128), nullable=False),
    Column("op", String(1), nullable=False),
    Column("pk", Text, nullable=False),
    Column("captured_at_s", Float, nullable=False),
    sqlite_autoincrement=True,  # never reuse a sequence number after deletes
)
FENCE = Table(f"{CDC_PREFIX}_fence", _meta, Column("fenced_at_s", Float, nullable=False))
_PG_FUNCTION = f"{CDC_PREFIX}_capture"


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _schema_prefix(conn: Connection) -> str:
    schema = conn.dialect.default_schema_name
    return f"{_q(conn, schema)}." if schema else ""


def _sqlite_triggers(conn: Connection, table: Table) -> list[str]:
    name = table.name.replace("'", "''")
    keys = [_q(conn, c.name) for c in table.primary_key.columns]
    now = "(julianday('now') - 2440587.5) * 86400.0"
    fence = f"SELECT RAISE(ABORT, '{FENCE_MESSAGE}') WHERE EXISTS (SELECT 1 FROM {FENCE.name});"

    def log(op: str, row: str, where: str = "") -> str:
        pk = "json_array(" + ", ".join(f"{row}.{k}" for k in keys) + ")"
        return (f"INSERT INTO {CHANGES.name} (table_name, op, pk, captured_at_s) "
                f"SELECT '{name}', '{op}', {pk}, {now}{where};")

    moved = " WHERE " + " OR ".join(f"OLD.{k} IS NOT NEW.{k}" for k in keys)
    bodies = {
        "INSERT": [log("I", "NEW")],
        "UPDATE": [log("U", "OLD", moved), log("U", "NEW")],
        "DELETE": [log("D", "OLD")],
    }
    return [
        f"CREATE TRIGGER {_q(conn, f'{CDC_PREFIX}_{table.name}_{event[0].lower()}')} "
        f"AFTER {event} ON {_q(conn, table.name)} FOR EACH ROW BEGIN "
        f"{fence} {' '.join(body)} END"
        for event, body in bodies.items()
    ]


def _pg_function(conn: Connection) -> str:
    s = _schema_prefix(conn)
    return f"""
CREATE OR REPLACE FUNCTION {s}{_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE old_pk jsonb; new_pk jsonb;
BEGIN
  IF EXISTS (SELECT 1 FROM {s}{FENCE.name}) THEN
    RAISE EXCEPTION '{FENCE_MESSAGE}';
  END IF;
  IF TG_OP <> 'INSERT' THEN
    SELECT jsonb_agg(to_jsonb(OLD) -> k ORDER BY i) INTO old_pk
      FROM unnest(TG_ARGV) WITH ORDINALITY AS a(k, i);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT jsonb_agg(to_jsonb(NEW) -> k ORDER BY i) INTO new_pk
      FROM unnest(TG_ARGV) WITH ORDINALITY AS a(k, i);
  END IF;
  IF TG_OP = 'UPDATE' AND old_pk IS DISTINCT FROM new_pk THEN
    INSERT INTO {s}{CHANGES.name} (table_name, op, pk, captured_at_s)
      VALUES (TG_TABLE_NAME, 'U', old_pk::text, extract(epoch FROM clock_timestamp()));
  END IF;
  INSERT INTO {s}{CHANGES.name} (table_name, op, pk, captured_at_s)
    VALUES (TG_TABLE_NAME, left(TG_OP, 1), coalesce(new_pk, old_pk)::text,
            extract(epoch FROM clock_timestamp()));
  RETURN NULL;
END
$fn$"""


def _pg_trigger(conn: Connection, table: Table) -> str:
    keys = ", ".join("'" + c.name.replace("'", "''") + "'" for c in table.primary_key.columns)
    return (f"CREATE TRIGGER {CDC_PREFIX} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {_schema_prefix(conn)}{_q(conn, table.name)} FOR EACH ROW "
            f"EXECUTE FUNCTION {_schema_prefix(conn)}{_PG_FUNCTION}({keys})")


def remove_capture(engine: Engine) -> None:
    """Drop the triggers, function, change log and fence (also leftovers of a crashed run)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            names = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE :p ESCAPE '\\'"), {"p": CDC_PREFIX.replace("_", "\\_") + "\\_%"})
            for (name,) in list(names):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {_q(conn, name)}")
        else:
            conn.exec_driver_sql(
                f"DROP FUNCTION IF EXISTS {_schema_prefix(conn)}{_PG_FUNCTION}() CASCADE")
        FENCE.drop(conn, checkfirst=True)
        CHANGES.drop(conn, checkfirst=True)


def install_capture(engine: Engine, tables: list[Table]) -> None:
    """Create the change log and fence, and a capture trigger on every table."""
    remove_capture(engine)
    with engine.begin() as conn:
        CHANGES.create(conn)
        FENCE.create(conn)
        if conn.dialect.name == "sqlite":
            statements = [s for t in tables for s in _sqlite_triggers(conn, t)]
        else:
            statements = [_pg_function(conn)] + [_pg_trigger(conn, t) for t in tables]
        for statement in statements:
            conn.exec_driver_sql(statement)


def raise_fence(engine: Engine) -> None:
    """Reject every later write on the source; wait for writers already in flight."""
    with engine.begin() as conn:
        conn.execute(FENCE.insert(), {"fenced_at_s": time.time()})
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"LOCK TABLE {_schema_prefix(conn)}{CHANGES.name} IN SHARE MODE")


@dataclass
class ApplyStats:
    """What the apply loop has done so far."""

    changes: dict[str, int] = field(default_factory=dict)  # log entries applied, per table
    upserts: int = 0
    deletes: int = 0
    last_seq: int = 0
    latencies_s: list[float] = field(default_factory=list)  # capture -> applied, per entry

    @property
    def total(self) -> int:
        return sum(self.changes.values())


def _where_keys(table: Table, keys: list[tuple]):
    columns = list(table.primary_key.columns)
    if len(columns) == 1:
        return columns[0].in_([k[0] for k in keys])
    return tuple_(*columns).in_(keys)


def apply_pending(source: Engine, target: Engine, pairs: dict[str, tuple[Table, Table]],
                  stats: ApplyStats, limit: int) -> int:
    """Apply up to ``limit`` log entries in sequence order; returns how many were applied."""
    with source.connect() as conn:
        entries = conn.execute(select(CHANGES).order_by(CHANGES.c.seq).limit(limit)).all()
        if not entries:
            return 0
        touched: dict[str, dict[tuple, None]] = {}
        for entry in entries:
            touched.setdefault(entry.table_name, {})[tuple(json.loads(entry.pk))] = None
        current: dict[str, list[dict]] = {}
        for name, keys in touched.items():
            src, _ = pairs[name]
            rows = conn.execute(select(src).where(_where_keys(src, list(keys)))).mappings()
            current[name] = [dict(r) for r in rows]
    with target.begin() as conn:
        for name, keys in touched.items():
            _, dst = pairs[name]
            conn.execute(delete(dst).where(_where_keys(dst, list(keys))))
            if current[name]:
                conn.execute(dst.insert(), current[name])
            stats.upserts += len(current[name])
            stats.deletes += len(keys) - len(current[name])
    applied_at = time.time()
    with source.begin() as conn:
        conn.execute(delete(CHANGES).where(CHANGES.c.seq.in_([e.seq for e in entries])))
    for entry in entries:
        stats.changes[entry.table_name] = stats.changes.get(entry.table_name, 0) + 1
        stats.latencies_s.append(max(0.0, applied_at - entry.captured_at_s))
    stats.last_seq = max(stats.last_seq, entries[-1].seq)
    return len(entries)


def drain(source: Engine, target: Engine, pairs: dict[str, tuple[Table, Table]],
          stats: ApplyStats, limit: int) -> None:
    while apply_pending(source, target, pairs, stats, limit):
        pass
