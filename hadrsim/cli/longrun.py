"""``hadrsim longrun``: availability, downtime, SLA months and loss per year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hadrsim.cli.common import (
    FileArg,
    YesOpt,
    _bad_input,
    _check_output,
    _check_resources,
    _load,
    _prices,
    _store_problem,
    _write_atomically,
    _write_json_atomically,
    app,
    console,
    errors,
)
from hadrsim.cli.interrupt import interruptible, stored_runs


@app.command()
def longrun(
    file: FileArg,
    design: Annotated[list[str] | None, typer.Option(help="Only this design (repeatable).")] = None,
    scenario: Annotated[str | None, typer.Option(
        help="Scenario whose stochastic faults are the fault classes.")] = None,
    years: Annotated[float | None, typer.Option(
        min=0.01, max=1000, help="Years per history (default: longrun.years, 10).")] = None,
    runs: Annotated[int | None, typer.Option(
        min=20, max=10_000_000, help="Histories (default: longrun.runs, 2000).")] = None,
    sla: Annotated[float | None, typer.Option(
        min=0.0, max=100.0, help="Monthly SLA in percent (default: each design's AWS SLA).")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: study's).")] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write a self-contained HTML report (tables and figures).")] = None,
    store: Annotated[str | None, typer.Option(
        help="Keep the episode library in this results store (SQLAlchemy URL or SQLite "
        "file); a second call reuses it.")] = None,
    prices: Annotated[Path | None, typer.Option(help="Price table (JSON) override.")] = None,
    yes: YesOpt = False,
) -> None:
    """Per-year view: an episode library measured by the full model, resampled by a
    renewal Monte Carlo over many years (see README, "The long-run view")."""
    from hadrsim.longrun import long_run
    from hadrsim.longrun.library import fault_classes, library_study

    study = _load(file, seed)
    names = [d.name for d in study.designs]
    for name in design or []:
        if name not in names:
            raise _bad_input(f"--design {name!r}: no such design; designs: {names}")
    try:
        _picked, classes = fault_classes(study, scenario)
    except ValueError as exc:
        raise _bad_input(str(exc)) from None
    _check_outputs(json_path, report)
    lib = library_study(study, classes)
    # the first round (min_episodes of every class); later rounds only for imprecise classes
    _check_resources(lib, study.longrun.library.min_episodes, design, yes, workers)
    price_table = _prices(prices)
    opened = _open(store)
    try:
        with interruptible(store, stored_runs(opened, lib)):
            view = long_run(study, designs=design, scenario=scenario, years=years,
                            runs=runs, sla_pct=sla, workers=workers, store=opened,
                            prices=price_table,
                            progress=lambda line: errors.print(line, markup=False))
    finally:
        if opened is not None:
            opened.close()
    document = view.to_json()
    console.print(_table(document))
    if json_path is not None:
        _write_json_atomically(json_path, document)
        console.print(f"results written to {json_path}")
    if report is not None:
        _write_report(report, view)


def _check_outputs(json_path: Path | None, report: Path | None) -> None:
    """Refuse unwritable outputs before any simulation (and one file named twice)."""
    _check_output(json_path)
    _check_output(report, "--report")
    if report is not None and json_path is not None and report.resolve() == json_path.resolve():
        raise _bad_input(f"--report {report}: the same file as --json")


def _write_report(path: Path, view: Any) -> None:
    """The HTML page, written atomically as ``hadrsim report`` writes its own."""
    from hadrsim.report import render_longrun  # matplotlib: only when a report is asked for

    html = render_longrun(view)
    _write_atomically(path, lambda handle: handle.write(html))
    console.print(f"report written to {path} ({len(html) / 1e6:.1f} MB)", markup=False,
                  highlight=False)


def _open(store: str | None) -> Any:
    """The store ``long_run`` keeps its library in (exit 2 if unusable)."""
    from hadrsim.longrun.view import open_store

    try:
        return open_store(store)
    except Exception as exc:  # noqa: BLE001 - an unusable store is bad input
        raise _store_problem(store, exc) from None


def _table(document: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"{document['study']}: {document['runs']} histories of "
                  f"{document['years']:g} years ({document['scenario']})")
    for header in ("design", "availability (95% CI)", "downtime min/yr (p95)", "incidents/yr",
                   "lost writes/yr", "SLA", "P(month meets)", "months below/yr",
                   "compound", "$/month"):
        table.add_column(header)
    for d in document["designs"]:
        table.add_row(d["design"], _availability(d), _downtime(d),
                      _num(d["incidents_per_year"]), _num(d["lost_writes_per_year"]),
                      "-" if d["sla_pct"] is None else f"{d['sla_pct']:g}%",
                      _share(d["p_meets_sla"]), _num(d["months_below_sla_per_year"]),
                      f"{d['compound']['share_of_incidents']:.2%}",
                      f"{d['cost_month_usd']:,.0f}")
    return table


def _availability(d: dict[str, Any]) -> str:
    a = d["availability"]
    if a is None:
        return "unknown: " + "; ".join(d["unknown"] or [])
    low, high = a["ci95"]
    bound = " (upper bound)" if a.get("bound") else ""
    return f"{a['mean']:.6%} [{low:.6%}, {high:.6%}]{bound}"


def _downtime(d: dict[str, Any]) -> str:
    x = d["downtime_min_per_year"]
    if x is None:
        return "unknown"
    p95 = "-" if x.get("p95") is None else f"{x['p95']:.1f}"
    return f"{x['mean']:.1f} ({p95})"


def _num(x: dict[str, Any] | None) -> str:
    if x is None:
        return "-"
    low, high = x["ci95"]
    return f"{x['mean']:.3g} [{low:.3g}, {high:.3g}]"


def _share(x: dict[str, Any] | None) -> str:
    if x is None:
        return "-"
    low, high = x["ci95"]
    return f"{x['mean']:.2%} [{low:.2%}, {high:.2%}]"
