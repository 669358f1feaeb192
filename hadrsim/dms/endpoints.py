"""Source and target endpoints: open, check, read the schema, create the tables.

Everything that can fail because of the user's input (a malformed URL, a missing driver, an
unreachable server, a missing SQLite file, a table without a primary key, a target that
already holds the tables) fails here, *before* anything is written anywhere, as one
``MigrationError`` whose message is a single line.

Like DMS, the target gets only what migrating the data needs: the tables, their columns
with portable (generic) types, nullability and primary keys. Defaults, sequences, secondary
indexes and foreign keys are left out (DMS: "creates only the objects required to
efficiently migrate the data"); foreign keys would also reject rows that full load and
change capture deliver in a different order than the application wrote them.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, Table, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

CDC_PREFIX = "hadrsim_cdc"
CDC_DIALECTS = ("sqlite", "postgresql")


class MigrationError(Exception):
    """Bad input or an unusable endpoint; the message is one line, nothing was written."""


def parse_url(text: str, role: str) -> URL:
    """A SQLAlchemy URL, or a file path taken as an SQLite database."""
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text)))
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        hidden = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", text)
        raise MigrationError(
            f"{role} URL {hidden!r}: not a SQLAlchemy URL "
            "(dialect+driver://user:password@host:port/database, or a file path for SQLite)"
        ) from None


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def open_engine(url: URL, role: str, *, must_exist: bool = False) -> Engine:
    """An engine whose connectivity has been checked (one round trip)."""
    if url.get_backend_name() == "sqlite" and must_exist:
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise MigrationError(f"{role} {shown(url)}: give an SQLite file that exists")
        if not Path(database).is_file():
            raise MigrationError(f"{role} {shown(url)}: no such SQLite file {database}")
    try:
        engine = create_engine(url)
    except NoSuchModuleError:
        raise MigrationError(
            f"{role} URL {shown(url)}: unknown dialect or driver {url.drivername!r}"
        ) from None
    except ImportError as exc:
        raise MigrationError(
            f"{role} URL {shown(url)}: driver not installed ({exc.name or exc}); "
            "for PostgreSQL: pip install 'hadrsim[pg]'"
        ) from None
    except (ArgumentError, SQLAlchemyError, ValueError, TypeError) as exc:
        raise MigrationError(f"{role} URL {shown(url)}: {_first_line(exc)}") from None
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise MigrationError(f"cannot connect to {role} {shown(url)}: {_first_line(exc)}") from None
    return engine


def _generic_types(inspector, table, column_info) -> None:
    try:
        column_info["type"] = column_info["type"].as_generic()
    except NotImplementedError:  # a dialect-only type: keep it, it may still map
        pass


def reflect_source(engine: Engine) -> list[Table]:
    """The source's tables (generic column types), sorted by name; checked for CDC."""
    if engine.dialect.name not in CDC_DIALECTS:
        raise MigrationError(
            f"source {shown(engine.url)}: change capture supports {' and '.join(CDC_DIALECTS)} "
            f"sources, not {engine.dialect.name}"
        )
    metadata = MetaData()
    event.listen(metadata, "column_reflect", _generic_types)
    try:
        with engine.connect() as conn:
            metadata.reflect(bind=conn, only=lambda name, _: not name.startswith(CDC_PREFIX))
    except SQLAlchemyError as exc:
        raise MigrationError(f"source {shown(engine.url)}: cannot read the schema: "
                             f"{_first_line(exc)}") from None
    tables = sorted(metadata.tables.values(), key=lambda t: t.name)
    if not tables:
        raise MigrationError(f"source {shown(engine.url)}: has no tables to migrate")
    keyless = [t.name for t in tables if not t.primary_key.columns]
    if keyless:
        raise MigrationError(f"source {shown(engine.url)}: tables without a primary key "
                             f"{keyless}: change capture needs one to apply updates and deletes")
    return tables


def target_tables(tables: list[Table]) -> list[Table]:
    """Copies for the target: columns, generic types, nullability, primary keys only."""
    metadata = MetaData()
    return [
        Table(
            table.name,
            metadata,
            *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                     autoincrement=False) for c in table.columns),
        )
        for table in tables
    ]


def check_target_empty(engine: Engine, tables: list[Table]) -> None:
    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
    clash = sorted(t.name for t in tables if t.name in existing)
    if clash:
        raise MigrationError(f"target {shown(engine.url)}: already has tables {clash}; "
                             "migrate into an empty database")


def create_target(conn: Connection, tables: list[Table]) -> None:
    for table in tables:
        table.create(conn)
