"""The migration's result as a rich table, for the CLI."""

from __future__ import annotations

import math

from rich.table import Table

from hadrsim.dms.migrate import MigrationResult
from hadrsim.dms.simulate import DmsPlan


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


def _fmt(value: float, metric: str) -> str:
    if math.isnan(value):
        return "-"
    if metric.endswith("_s"):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,.0f}"


def sizes_table(plan: DmsPlan, source: str) -> Table:
    table = Table(title=f"source {source}", title_justify="left")
    for name in ("table", "rows", "MB (est.)", "full load s (1 thread)"):
        table.add_column(name, justify="left" if name == "table" else "right")
    for t in plan.tables:
        table.add_row(t.name, f"{t.rows:,}", f"{t.mb:,.3f}", f"{plan.spec.load_seconds(t):.3f}")
    return table


def plan_table(plan: DmsPlan) -> Table:
    n = len(plan.runs)
    table = Table(title=f"simulated DMS migration: {n} runs, seed {plan.seed}",
                  title_justify="left")
    for name in ("metric", "mean", "p50", "p95", "p99", "95% CI of mean"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for metric, s in plan.summaries.items():
        lo, hi = s["ci95"]
        table.add_row(metric, _fmt(s["mean"], metric), _fmt(s["p50"], metric),
                      _fmt(s["p95"], metric), _fmt(s["p99"], metric),
                      f"{_fmt(lo, metric)} - {_fmt(hi, metric)}")
    spec = plan.spec
    table.caption = (f"full load {spec.throughput_mb_s:g} MB/s per thread, "
                     f"{spec.max_full_load_subtasks} threads; source writes "
                     f"{spec.write_rate_per_s:g} changes/s; CDC {spec.cdc_s:g} s before "
                     f"cutover; validation {'on' if spec.validation else 'off'}")
    table.caption_justify = "left"
    return table
