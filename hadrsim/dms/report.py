"""The migration's result as a rich table, for the CLI."""

from __future__ import annotations

from rich.table import Table

from hadrsim.dms.migrate import MigrationResult


def _match(ok: bool) -> str:
    return "[green]match[/]" if ok else "[red]differ[/]"


def migration_table(result: MigrationResult) -> Table:
    table = Table(title=f"migration {result.source} -> {result.target}", title_justify="left")
    for name in ("table", "rows loaded", "full load s", "changes applied", "rows source",
                 "rows target", "counts", "checksums"):
        table.add_column(name, justify="left" if name == "table" else "right")
    for t in result.tables:
        c = t.check
        table.add_row(t.table, f"{t.rows_loaded:,}", f"{t.full_load_s:.2f}",
                      f"{t.changes_applied:,}", f"{c.source_rows:,}", f"{c.target_rows:,}",
                      _match(c.counts_match), _match(c.checksums_match))
    table.caption = (
        f"full load {result.rows_loaded:,} rows in {result.full_load_s:.2f} s; "
        f"CDC {result.cdc_s:.1f} s, {result.changes_applied:,} changes applied "
        f"(latency p50 {result.cdc_latency_p50_s:.2f} s, max {result.cdc_latency_max_s:.2f} s); "
        f"cutover downtime {result.cutover_downtime_s:.2f} s; "
        f"validation {result.validation_s:.2f} s"
    )
    table.caption_justify = "left"
    return table
