"""Figures and a self-contained HTML report of a study's results.

Every figure is rendered without pyplot (a private Agg canvas per figure) and
returned as deterministic PNG bytes; :func:`render_report` puts them, with the
comparison and per-design tables, into one HTML file that needs nothing else::

    import hadrsim
    from hadrsim.experiments.experiment import Experiment
    from hadrsim.report import render_report

    study = hadrsim.load_study("experiments/securecart.yaml")
    html = render_report(Experiment(study).run(runs=5, workers=2))

:func:`render_longrun` does the same for the long-run view of
:func:`hadrsim.long_run` (``hadrsim longrun --report``). :func:`migration_lag_png` and
:func:`migration_cdf_png` draw simulated DMS migrations (:mod:`hadrsim.dms.simulate`).

Episode timelines are drawn from the runs' kept records (a results store, or the
records an Experiment keeps in memory); only runs without them are re-simulated.
"""

from hadrsim.report.html import TimelinePick, default_timelines, render_report
from hadrsim.report.longrun import render_longrun
from hadrsim.report.migration import migration_cdf_png, migration_lag_png
from hadrsim.report.pareto import cost_pareto_png, pareto_front
from hadrsim.report.plots import availability_nines_png, rto_rpo_cdf_png, t_visibility_png
from hadrsim.report.timeline import episode_timeline_png

__all__ = [
    "TimelinePick",
    "availability_nines_png",
    "cost_pareto_png",
    "default_timelines",
    "episode_timeline_png",
    "migration_cdf_png",
    "migration_lag_png",
    "pareto_front",
    "render_longrun",
    "render_report",
    "rto_rpo_cdf_png",
    "t_visibility_png",
]
