"""Every figure is a real, non-blank, deterministic PNG, drawn without pyplot."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import hadrsim
from hadrsim.experiments.run import RunResult
from hadrsim.report import (
    availability_nines_png,
    cost_pareto_png,
    episode_timeline_png,
    rto_rpo_cdf_png,
    t_visibility_png,
)


def _summary(mean: float, low: float, high: float, n: int = 5) -> dict:
    return {"n": n, "n_inf": 0, "mean": mean, "std": 0.1, "p50": mean, "p95": mean,
            "p99": mean, "ci95": [low, high]}


NAN_SUMMARY = {"n": 0, "n_inf": 0, "mean": math.nan, "std": math.nan, "p50": math.nan,
               "p95": math.nan, "p99": math.nan, "ci95": [math.nan, math.nan]}


def _entry(name: str, cost: float, rto: float, rpo: float, availability: float,
           tvis: float | None) -> dict:
    tv = _summary(tvis, max(0.0, tvis - 0.1), min(1.0, tvis + 0.1)) if tvis is not None \
        else NAN_SUMMARY
    episode_metrics = {"rto_write_s": _summary(rto, rto * 0.8, rto * 1.2),
                       "rpo_s": _summary(rpo, 0.0, rpo * 2)}
    return {
        "name": name, "kind": "rds_multi_az_instance", "cost_month_usd": {"total": cost},
        "scenarios": {"crash": {"metrics": episode_metrics},
                      "declined": {"not_applicable": "az_outage: no AZ", "metrics": {}}},
        "metrics": {
            "availability_write": _summary(availability, availability - 1e-3,
                                           min(1.0, availability + 1e-3)),
            "availability_read": _summary(availability, availability - 1e-3, 1.0),
            "tvis_p_0s": tv, "tvis_p_0_1s": tv, "tvis_p_1s": tv, "tvis_p_5s": tv,
        },
    }


HAND_DOCUMENT = {"designs": [
    _entry("cheap", 100.0, 900.0, 0.0, 0.99, 1.0),
    _entry("fast", 400.0, 30.0, 0.5, 0.9999, 0.6),
    _entry("perfect $x$", 700.0, 0.0, 0.0, 1.0, None),  # a '$' must not start mathtext
]}


def test_timeline_of_a_run_with_losses_is_a_png(report_study, check_png):
    """The Region outage of the DR design loses writes: its timeline renders, with a title."""
    world = hadrsim.simulate(report_study, "dr", "region", 0)
    _, episodes = hadrsim.run_metrics(world.rec)
    assert episodes[0]["lost_writes"] > 0 and episodes[0]["rpo_s"] > 0  # the input is real
    image = check_png(episode_timeline_png(world.rec, title="dr / region / run 0"))
    assert image.width == 1100


def test_timeline_of_a_missing_episode_says_so(report_study, check_png):
    """Asking for an episode the run does not have gives a figure, not an exception."""
    world = hadrsim.simulate(report_study, "maz", "crash", 0)
    check_png(episode_timeline_png(world.rec, episode=3, title="maz"))


def test_cdf_from_real_results(report_study, report_results, check_png):
    """RTO/RPO CDFs of real runs (with censored Region-outage episodes) render."""
    assert any(not e["recovered_write"] for r in report_results for e in r.episodes)
    check_png(rto_rpo_cdf_png(report_results, report_study.policy))


def test_cdf_from_hand_built_results_with_unobserved_episodes(check_png):
    """NaN RTOs are left out, censored ones marked; a design with no episode is skipped."""
    def result(design: str, rtos: list[float]) -> RunResult:
        episodes = [{"rto_write_s": rto, "rpo_s": 1.0, "recovered_write": rto < 100}
                    for rto in rtos]
        return RunResult(design, "k", "s", 0, 1, 100.0, episodes=episodes)

    results = [result("a", [1.0, 5.0, 200.0]), result("b", [math.nan, 30.0]), result("c", [])]
    check_png(rto_rpo_cdf_png(results, {"AZ": {"rto_s": 120, "rpo_s": 0}}))


def test_cdf_without_episodes_is_still_a_png():
    """No episode at all: a PNG that says so (it may be nearly blank apart from the text)."""
    png = rto_rpo_cdf_png([RunResult("a", "k", "s", 0, 1, 100.0)])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("plot", [availability_nines_png, t_visibility_png,
                                  lambda d: cost_pareto_png(d, "rto_write_s"),
                                  lambda d: cost_pareto_png(d, "rpo_s")],
                         ids=["nines", "tvis", "pareto-rto", "pareto-rpo"])
def test_summary_figures_from_real_and_hand_built_documents(plot, report_document, check_png):
    """Each summary figure renders from a real summary and from an edge-case document
    (perfect availability, a design without t-visibility pairs, a '$' in a name)."""
    check_png(plot(report_document))
    check_png(plot(HAND_DOCUMENT))


def test_pngs_are_deterministic_and_carry_no_version(report_document):
    """The same input gives the same bytes, and no 'Software: matplotlib x.y' chunk."""
    first = availability_nines_png(report_document)
    assert first == availability_nines_png(report_document)
    assert b"matplotlib" not in first.lower()
    assert b"Software" not in first


def test_pareto_rejects_an_unknown_metric():
    """Only mean RTO and RPO make sense against cost."""
    with pytest.raises(ValueError, match="metric"):
        cost_pareto_png(HAND_DOCUMENT, "availability_write")


def test_figures_never_touch_pyplot(tmp_path):
    """Rendering loads no pyplot (no global figure registry, safe beside a notebook)."""
    code = (
        "import sys, hadrsim.report as r\n"
        "doc = {'designs': []}\n"
        "r.availability_nines_png(doc); r.t_visibility_png(doc)\n"
        "r.cost_pareto_png(doc); r.rto_rpo_cdf_png([])\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
