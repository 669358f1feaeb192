"""Rich tables of a backup audit: the controls, then the RPO figures."""

from __future__ import annotations

import math

from rich.table import Table

from hadrsim.backup_plans.audit import BackupReport


def _duration(seconds: float) -> str:
    if math.isinf(seconds) or math.isnan(seconds):
        return "no restorable point"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min"


def controls_table(report: BackupReport) -> Table:
    verdict = "all controls pass" if report.passed else "some controls fail"
    table = Table(title=f"AWS Backup controls: {verdict}", title_justify="left")
    for column in ("control", "resource", "result", "reason"):
        table.add_column(column, overflow="fold")
    for c in report.controls:
        result = "[green]PASS[/]" if c.passed else "[red]FAIL[/]"
        table.add_row(c.control, c.resource, result, c.reason)
    return table


def rpo_table(report: BackupReport) -> Table:
    s = report.settings
    table = Table(title=f"RPO from simulated jobs: days {s.warmup_days:g}-{s.horizon_days:g}, "
                  f"seed {report.history.seed}", title_justify="left")
    for column in ("design", "disaster", "worst RPO", "mean RPO", "covered"):
        table.add_column(column, justify="left" if column in ("design", "disaster") else "right")
    for r in report.rpo:
        disaster = "logical corruption" if r.scenario == "corruption" else "Region loss"
        table.add_row(r.resource, disaster, _duration(r.worst_s), _duration(r.mean_s),
                      f"{r.covered:.0%}")
    return table
