"""The DMS lab: move a real database into another, as an AWS DMS full-load-and-CDC task.

``create_sample`` generates the SecureCart orders database; ``migrate`` copies a source
database (SQLite or PostgreSQL, any SQLAlchemy URL) to a target: full load, change data
capture while the source keeps taking writes, cutover, and validation of row counts and
per-table checksums; ``SourceWriter`` is the shop's application writing to the source
meanwhile, and checks afterwards that every write it was acknowledged reached the target.
See ``migrate.py`` for the phases and ``cdc.py`` for how changes are captured without a
database's replication log.
"""

from __future__ import annotations

from hadrsim.dms.endpoints import MigrationError
from hadrsim.dms.migrate import MigrationResult, TableReport, migrate
from hadrsim.dms.sample import SampleDatabase, create_sample, sample_rows
from hadrsim.dms.validate import TableCheck, compare_table
from hadrsim.dms.writer import SourceWriter

__all__ = [
    "MigrationError",
    "MigrationResult",
    "SampleDatabase",
    "SourceWriter",
    "TableCheck",
    "TableReport",
    "compare_table",
    "create_sample",
    "migrate",
    "sample_rows",
]
