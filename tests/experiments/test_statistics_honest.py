"""Statistics that cannot mislead (issue 11): intervals in their domain, censored RTOs,
clustered episodes, no pooling of scenarios, faults not applicable, classes not exercised.

Every test builds RunResults by hand (the checkers' contract: episode rows with NaN
for unknown), so each one pins a statistical rule independently of the simulator.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from rich.console import Console
from scipy import stats

from hadrsim.experiments.paired import paired_differences
from hadrsim.experiments.policy import PolicyTarget, policy_verdict
from hadrsim.experiments.run import RunResult
from hadrsim.experiments.statistics import (
    BOOTSTRAP_SEED,
    N_RESAMPLES,
    NONNEGATIVE,
    UNIT,
    summarize,
    summarize_censored,
)
from hadrsim.experiments.summary import summarize_study
from hadrsim.experiments.tables import compare_table, design_table, scenario_figures_table

# SecureCart's multi-az-dr under a Region outage (15 runs): 13 episodes lost nothing,
# two lost a few seconds. The Student-t interval of this RPO was [-0.48, 4.42] s.
RPO_SAMPLE = [0.0] * 13 + [14.6, 15.01]


def _episode(rto: float, *, recovered: bool = True, rpo: float = 0.0, lost: float = 0.0,
             disruption: str = "Hardware") -> dict:
    return {"fault_id": 1, "kind": "instance_crash", "scope": "db", "disruption": disruption,
            "start_s": 120.0, "rto_write_s": rto, "rto_read_s": rto,
            "recovered_write": recovered, "recovered_read": recovered,
            "lost_writes": lost, "rpo_s": rpo}


def _run(design: str, scenario: str, index: int, episodes: list[dict],
         control: list | None = None, **metrics: float) -> RunResult:
    return RunResult(design, "rds_multi_az_instance", scenario, index, index, 600.0,
                     metrics=dict(metrics), episodes=episodes, control=control or [])


def _render(table) -> str:
    console = Console(width=250, record=True)
    console.print(table)
    return console.export_text()


def test_rpo_interval_never_goes_below_zero():
    """The t interval of a mostly-zero RPO left the domain; the bootstrap stays in it."""
    old = stats.t.interval(0.95, 14, np.mean(RPO_SAMPLE),
                           np.std(RPO_SAMPLE, ddof=1) / math.sqrt(15))
    assert old[0] < 0  # what the Student-t summary used to report
    summary = summarize(RPO_SAMPLE, NONNEGATIVE)
    lo, hi = summary["ci95"]
    assert 0.0 <= lo <= summary["mean"] <= hi <= max(RPO_SAMPLE)
    assert summary["ci_method"] == "bootstrap-bca"
    assert summary["max"] == 15.01


def test_ratio_interval_stays_in_unit_interval():
    """14 of 15 recovered: the t interval's top was 1.076; now it is at most 1."""
    summary = summarize([1.0] * 14 + [0.0], UNIT)
    lo, hi = summary["ci95"]
    assert 0.0 <= lo < summary["mean"] and hi <= 1.0


def test_bootstrap_is_scipys_bca_with_a_fixed_seed():
    """The interval is scipy's BCa with the named seed: reproducible, independently."""
    values = np.sort(np.random.default_rng(3).exponential(5.0, size=25))  # summarize sorts
    expected = stats.bootstrap((values,), np.mean, n_resamples=N_RESAMPLES, method="BCa",
                               rng=np.random.default_rng(BOOTSTRAP_SEED))
    summary = summarize(values.tolist(), NONNEGATIVE)
    assert summary["ci95"] == pytest.approx([expected.confidence_interval.low,
                                             expected.confidence_interval.high])
    assert summarize(values.tolist(), NONNEGATIVE) == summary


def test_all_equal_values_give_that_value():
    """RPO 0 in every episode (common): the interval is [0, 0], not NaN nor negative."""
    summary = summarize([0.0] * 20, NONNEGATIVE)
    assert summary["ci95"] == [0.0, 0.0] and summary["ci_method"] == "point"


def test_values_outside_the_domain_are_an_error():
    """A negative RPO is a checker bug: summarising it must not hide it."""
    with pytest.raises(ValueError, match="domain"):
        summarize([1.0, -0.5], NONNEGATIVE)


def test_kaplan_meier_percentiles_and_lower_bound_mean():
    """RTOs 10, 20, 30 recovered, two censored at 100: KM CDF 0.2, 0.4, 0.6 and flat after,
    so p50 = 30, p95 and p99 lie beyond the longest time seen (> 100); the mean is >= 52."""
    summary = summarize_censored([10.0, 20.0, 30.0, 100.0, 100.0],
                                 [False, False, False, True, True])
    assert summary["p50"] == 30.0
    assert summary["above"] == ["p95", "p99"] and summary["p95"] == 100.0
    assert summary["mean_is_lower_bound"] and summary["n_censored"] == 2
    assert summary["mean"] == pytest.approx(52.0)


def test_kaplan_meier_beats_the_naive_percentile():
    """Censoring early (at 5 s) must not pull the median down to the censored value."""
    values = [5.0, 5.0, 5.0, 40.0, 50.0, 60.0]
    censored = [True, True, True, False, False, False]
    summary = summarize_censored(values, censored)
    assert summary["p50"] == 50.0  # KM: 1/3 at 40, 2/3 at 50
    assert np.percentile(values, 50) == 22.5  # what treating them as known gave


def test_censored_episode_with_unknown_loss_is_not_zero_loss():
    """A censored episode's RPO/lost writes are NaN: counted unknown, never 0."""
    study_runs = [_run("d", "s", 0, [_episode(30.0)]),
                  _run("d", "s", 1, [_episode(480.0, recovered=False, rpo=math.nan,
                                              lost=math.nan)])]
    m = _scenario_metrics(study_runs)
    assert m["rpo_s"]["n"] == 1 and m["rpo_s"]["n_unknown"] == 1
    assert m["lost_writes"]["n_unknown"] == 1
    assert m["rto_write_s"]["n_censored"] == 1 and m["rto_write_s"]["mean_is_lower_bound"]


def _scenario_metrics(runs: list[RunResult]) -> dict:
    from hadrsim.experiments.summary import summarize_scenario

    return summarize_scenario(runs)["metrics"]


def test_clustered_episodes_widen_the_interval():
    """Ten runs of three episodes each, runs 7-9 missing two: episodes of a run are not
    independent, so the run-level bootstrap is wider than Wilson over 30 episodes."""
    rows = [dict(_episode(10.0 if (run < 7 or j == 0) else 500.0), run=run)
            for run in range(10) for j in range(3)]
    policy = {"Hardware": PolicyTarget(60.0, 0.0)}
    naive = policy_verdict(rows, policy)["Hardware"]
    clustered = policy_verdict(rows, policy, cluster_key="run")["Hardware"]
    assert naive["ci_method"] == "wilson" and clustered["ci_method"] == "cluster-bootstrap"
    assert clustered["runs"] == 10 and clustered["p_met"] == naive["p_met"] == 0.8
    width = clustered["ci95"][1] - clustered["ci95"][0]
    assert width > naive["ci95"][1] - naive["ci95"][0]
    assert 0.0 <= clustered["ci95"][0] and clustered["ci95"][1] <= 1.0


def test_clustered_all_met_is_wilson_over_runs():
    """All met, three per run: the bootstrap would collapse to [1, 1]; Wilson over runs."""
    rows = [dict(_episode(10.0), run=run) for run in range(10) for _ in range(3)]
    entry = policy_verdict(rows, {"Hardware": PolicyTarget(60.0, 0.0)}, "run")["Hardware"]
    assert entry["ci_method"] == "wilson-runs"
    wilson = stats.binomtest(10, 10).proportion_ci(method="wilson")
    assert entry["ci95"] == pytest.approx([wilson.low, wilson.high])


def _study(make_study):
    return make_study(
        designs=[{"name": "maz", "kind": "rds_multi_az_instance"},
                 {"name": "single", "kind": "rds_single_az"}],
        scenarios=[{"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 120.0}]},
                   {"name": "region", "scheduled": [{"kind": "region_outage", "at_s": 120.0,
                                                     "duration_s": 3000.0}]}],
        policy={"Hardware": {"rto_s": 120, "rpo_s": 0}, "Region": {"rto_s": 900, "rpo_s": 300}})


def _results() -> list[RunResult]:
    declined = [(120.0, "fault_not_applicable", None, "region_outage: no Region to lose")]
    out = []
    for i in range(6):
        out.append(_run("maz", "crash", i, [_episode(20.0 + i)], availability_write=0.99))
        out.append(_run("maz", "region", i, [_episode(
            480.0, recovered=False, rpo=math.nan, lost=math.nan, disruption="Region")],
            availability_write=math.nan))
        out.append(_run("single", "crash", i, [_episode(300.0 + i, rpo=2.0 * (i % 2),
                                                        lost=float(i % 2))]))
        out.append(_run("single", "region", i, [], control=declined))
    return out


def test_no_episode_figure_is_pooled_across_scenarios(make_study):
    """The design entry has no RTO/RPO/lost-write summary over all scenarios."""
    document = summarize_study(_study(make_study), _results())
    for entry in document["designs"]:
        assert not {"rto_write_s", "rto_read_s", "rpo_s", "lost_writes"} & set(entry["metrics"])
        for scenario in entry["scenarios"].values():
            assert "rto_write_s" in scenario["metrics"]
    for pair in document["paired"]:
        assert pair["scenario"] in ("crash", "region")


def test_not_applicable_scenario_and_not_exercised_class(make_study):
    """single declines the Region outage: n/a in its tables, Region not exercised, and
    the recommendation says so instead of counting it as passed."""
    document = summarize_study(_study(make_study), _results())
    single = next(e for e in document["designs"] if e["name"] == "single")
    region = single["scenarios"]["region"]
    assert region["not_applicable"] == "region_outage: no Region to lose"
    assert single["not_exercised"] == ["Region"]
    assert single["policy"]["Region"]["ci_method"] is None
    text = _render(design_table(single))
    assert "n/a: region_outage: no Region to lose" in text
    compare = _render(compare_table(document, _study(make_study).policy))
    assert "no episode" in compare
    figures = _render(scenario_figures_table(document))
    assert "n/a — single / region: region_outage: no Region to lose" in figures
    maz_region = next(e for e in document["designs"] if e["name"] == "maz")["scenarios"]
    assert "6/6" in figures and "> 480.0" in figures  # censored: KM percentile beyond
    assert maz_region["region"]["metrics"]["availability_write"]["n_unknown"] == 6


def test_recommendation_names_classes_not_exercised(make_study):
    """A proven design with an unexercised class is named with that class."""
    from hadrsim.experiments.advice import recommendation
    from hadrsim.experiments.decision import Decision, judge

    study = _study(make_study)
    results = _results()
    verdicts = judge(study, results)
    for v in verdicts.values():  # as if every exercised class had been proven
        v.classes = {c: (cv if cv.status == "not exercised"
                         else cv.__class__(**{**cv.as_dict(), "status": "meets"}))
                     for c, cv in v.classes.items()}
    advice = recommendation(study, Decision(results, verdicts, True, 0.95, 0.975, 400))
    assert advice["design"] == "single"
    assert advice["not_exercised"] == ["Region"]
    assert "not exercised" in advice["sentence"] and "Region" in advice["sentence"]


def test_compare_table_has_no_pooled_columns(make_study):
    """The verdict table holds P(met), cost and verdict only; figures are per scenario."""
    document = summarize_study(_study(make_study), _results())
    text = _render(compare_table(document, _study(make_study).policy))
    assert "RTO write s" not in text and "lost writes" not in text
    figures = _render(scenario_figures_table(document))
    assert figures.count("crash") == 2 and figures.count("region") >= 2


def test_welch_interval_is_scipys():
    """The unpaired interval is scipy's Welch t-test interval, per scenario."""
    a = [3.0, 5.0, 4.5, 6.0, 2.5]
    b = [1.0, 1.5, 2.5, 1.2, 0.5]
    results = [_run("x", "s", i, [], rto_write_s=a[i]) for i in range(5)]
    results += [_run("y", "s", i, [], rto_write_s=b[i]) for i in range(5)]
    row = next(p for p in paired_differences(results, baseline="x", metrics=("rto_write_s",)))
    ci = stats.ttest_ind(np.array(b), np.array(a), equal_var=False).confidence_interval()
    assert row["unpaired_ci95"] == pytest.approx([ci.low, ci.high])
    assert row["scenario"] == "s"
