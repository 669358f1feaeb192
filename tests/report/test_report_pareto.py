"""The Pareto front of cost against recovery, on hand-built points."""

from __future__ import annotations

import math

from hadrsim.report import pareto_front
from hadrsim.report.pareto import cost_points


def test_front_of_a_hand_built_example():
    """Dominated points drop out; the rest come back by ascending x.

    a (10 s, $100) and d (5 s, $200) trade seconds for dollars; b (20 s, $50) is
    cheapest; c (30 s, $60) is beaten by b on both; e equals b and stays (equal
    points do not dominate each other); f (10 s, $150) is beaten by a on cost only
    (same RTO), which is enough.
    """
    points = {"a": (10.0, 100.0), "b": (20.0, 50.0), "c": (30.0, 60.0), "d": (5.0, 200.0),
              "e": (20.0, 50.0), "f": (10.0, 150.0)}
    assert pareto_front(points) == ["d", "a", "b", "e"]


def test_unmeasured_points_are_left_out():
    """A design without a measured mean (NaN, or infinite) is neither on nor off the front."""
    points = {"ok": (3.0, 10.0), "nan": (math.nan, 1.0), "inf": (math.inf, 0.5),
              "cheaper-nan": (0.0, math.nan)}
    assert pareto_front(points) == ["ok"]
    assert pareto_front({}) == []


def test_one_design_dominating_all_is_the_whole_front():
    """Fastest and cheapest at once: the front is that design alone."""
    assert pareto_front({"best": (0.0, 1.0), "x": (0.0, 2.0), "y": (5.0, 1.0)}) == ["best"]


def test_cost_points_read_the_summary_document(report_document):
    """Points are (mean metric in one scenario, monthly total) per design, straight from
    the summary: never a mean pooled over scenarios."""
    for scenario in report_document["scenarios"]:
        points = cost_points(report_document, "rto_write_s", scenario)
        for entry in report_document["designs"]:
            summary = entry["scenarios"][scenario]["metrics"]["rto_write_s"]
            assert points[entry["name"]] == (summary["mean"], entry["cost_month_usd"]["total"])
