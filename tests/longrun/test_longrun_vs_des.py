"""The long-run view agrees with full year-long simulations of the same study.

``experiments/year-of-faults.yaml`` simulated a year at a time by the DES, against the
long-run view of the same classes. The Region-outage class is left out: after a Region
failover the year-long DES runs on the promoted replica for the rest of the year (it
does not rebuild Multi-AZ or the DR replica), while the long-run view measures every
fault against the design as built — the README ("The long-run view", limits) says so.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from hadrsim.experiments.montecarlo import RunTask, execute
from hadrsim.longrun import long_run
from hadrsim.simulator.vocabulary import Ev
from hadrsim.spec.loader import parse_study

pytestmark = pytest.mark.slow

STUDY = Path(__file__).resolve().parents[2] / "experiments" / "year-of-faults.yaml"
YEARS = 12


@pytest.fixture(scope="module")
def study():
    data = yaml.safe_load(STUDY.read_text())
    faults = data["scenarios"][0]["stochastic"]
    data["scenarios"][0]["stochastic"] = [f for f in faults if f["kind"] != "region_outage"]
    return parse_study(data)


def test_downtime_and_incidents_per_year_agree_with_year_long_runs(study):
    years = execute(study, [RunTask("multi-az-dr", "every-fault-class", i)
                            for i in range(YEARS)], workers=2)
    down = np.array([(1 - r.metrics["availability_write"]) * 525_600 for r in years])
    arrivals = np.array([len(r.episodes) + sum(e == Ev.FAULT_NOT_APPLICABLE
                                               for _t, e, _n, _d in r.control)
                         for r in years])
    view = long_run(study, years=1, runs=2000, workers=2).to_json()["designs"][0]
    figure = view["downtime_min_per_year"]
    se_view = (figure["ci95"][1] - figure["ci95"][0]) / (2 * 1.96)
    se_des = down.std(ddof=1) / math.sqrt(YEARS)
    assert abs(down.mean() - figure["mean"]) <= 2.5 * math.hypot(se_des, se_view), (
        down.mean(), se_des, figure)
    incidents = view["incidents_per_year"]["mean"]
    assert abs(arrivals.mean() - incidents) <= 2.5 * math.sqrt(incidents / YEARS)
