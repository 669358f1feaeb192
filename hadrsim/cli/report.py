"""``hadrsim report``: one self-contained HTML file from a study file or a results store.

A study file is run first (like ``compare``: with a policy and no ``--runs``, the
sequential decision); a results store (an SQLAlchemy URL, recognised by its
``://``) is only read: the study's spec is stored with its runs, so the report
needs nothing else. Reading a store never writes to it, and a URL that names no
hadrsim store is refused before anything is created (an SQLite path that does not
exist would otherwise become an empty database).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hadrsim.cli.common import (
    _bad_input,
    _check_output,
    _load,
    _prices,
    _write_atomically,
    app,
    console,
    run_progress,
)
from hadrsim.cli.interrupt import interruptible
from hadrsim.cli.stored import study_from_store

if TYPE_CHECKING:
    from hadrsim.experiments.results import Results
    from hadrsim.spec.study import Study


def _run_with_progress(study: Study, runs: int | None, workers: int) -> Results:
    """The study's runs, with the progress bar ``run`` and ``compare`` show: with a policy
    and no ``runs``, the runs of the sequential decision (the report then shows the
    verdicts ``compare`` prints); else ``runs`` (default: the study's) of every design.
    No store: records are not kept (a long decision would hold them all in memory);
    the few runs the timelines draw are simulated again, deterministically."""
    from hadrsim.experiments.experiment import Experiment

    experiment = Experiment(study, keep_records=False)
    if study.policy and runs is None:
        with interruptible(), run_progress(None, "deciding") as advance:
            return experiment.decide(workers=workers, on_result=advance)
    with interruptible(), run_progress(len(experiment.tasks(runs))) as advance:
        return experiment.run(runs, workers, on_result=advance)


@app.command("report")
def report(
    source: Annotated[str, typer.Argument(
        help="Study file (YAML) to run, or a results store URL (contains ://).",
        metavar="STUDY_OR_STORE", show_default=False)],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="The HTML file to write.", show_default=False)],
    runs: Annotated[int | None, typer.Option(
        min=1, help="Runs per scenario instead of the sequential decision (a store: only "
        "run indices below N).")] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Root seed (a store: the stored study with this seed).")] = None,
    workers: Annotated[int, typer.Option(min=0, help="Processes; 0 = one per CPU.")] = 0,
    prices: Annotated[Path | None, typer.Option(help="Price overrides (YAML key: USD).")] = None,
    study_name: Annotated[str | None, typer.Option(
        "--study", help="Which study of a store holding several.")] = None,
) -> None:
    """Write one self-contained HTML report: verdicts, tables, figures, episode timelines."""
    price_table = _prices(prices)
    _check_output(output, "-o")
    if "://" in source:
        results = study_from_store(source, study_name, seed, runs, price_table)
    else:
        study = _load(Path(source), seed)
        if study_name is not None and study_name != study.name:
            raise _bad_input(f"--study {study_name!r}: {source} holds study {study.name!r} "
                             "(--study picks a study in a results store)")
        results = _run_with_progress(study, runs, workers)
    from hadrsim.report import render_report  # matplotlib: only this command draws

    try:
        html = render_report(results.study, results.results, price_table,
                             records=results.recorder)
    finally:
        results.close()
    _write_atomically(output, lambda handle: handle.write(html))
    failed = sum(1 for r in results.results if not r.ok)
    note = f", {failed} failed" if failed else ""
    console.print(f"report written to {output} ({len(results.results)} runs{note}, "
                  f"{len(html) / 1e6:.1f} MB)", markup=False, highlight=False)
