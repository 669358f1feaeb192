"""The sequential decision on fabricated runs: what runs next, when it stops, what it says."""

from __future__ import annotations

import pytest

from hadrsim.experiments.advice import recommendation
from hadrsim.experiments.decision import decide, judge
from hadrsim.experiments.montecarlo import RunTask
from hadrsim.experiments.run import RunResult

DESIGNS = [
    {"name": "cheap", "kind": "rds_single_az"},                       # cheapest
    {"name": "good", "kind": "rds_multi_az_instance"},                # middle
    {"name": "pricey", "kind": "rds_multi_az_cluster"},               # costliest RDS
    {"name": "dynamo", "kind": "dynamodb_global_table", "regions": ["us-east-1"]},
]
SCENARIOS = [
    {"name": "crash", "scheduled": [{"kind": "instance_crash", "at_s": 60.0}]},
    {"name": "az", "scheduled": [{"kind": "az_outage", "target": "primary_az", "at_s": 60.0,
                                  "duration_s": 600.0}]},
]
POLICY = {"Hardware": {"rto_s": 120, "rpo_s": 0}, "AZ": {"rto_s": 120, "rpo_s": 0}}


def _study(make_study, **extra):
    return make_study(designs=DESIGNS, scenarios=SCENARIOS, policy=POLICY, **extra)


def _result(task: RunTask, met: bool) -> RunResult:
    cls = "Hardware" if task.scenario == "crash" else "AZ"
    episode = {"disruption": cls, "recovered_write": True,
               "rto_write_s": 30.0 if met else 500.0, "rpo_s": 0.0, "lost_writes": 0}
    return RunResult(task.design, "k", task.scenario, task.run_index, 0, 600.0,
                     episodes=[episode])


class Fake:
    """A run_batch whose outcome is ``rule(design, scenario, run_index) -> met``."""

    def __init__(self, rule):
        self.rule, self.calls = rule, []

    def __call__(self, tasks):
        self.calls.append(list(tasks))
        return [_result(t, self.rule(t.design, t.scenario, t.run_index)) for t in tasks]


def _default(design, scenario, i):
    if design == "cheap":
        return False                      # fails everything
    if design == "dynamo":
        return True                       # would meet, but is not a candidate
    return True                           # good and pricey always meet


def test_cheapest_proven_design_is_chosen_after_81_runs(make_study):
    study = _study(make_study, constraints={"engine": "postgresql"})
    fake = Fake(_default)
    decision = decide(study, fake)
    v = decision.designs
    assert v["cheap"].status == "fails" and v["cheap"].runs == 10
    assert v["good"].status == "meets" and v["good"].runs == 81
    assert v["pricey"].runs == 10 and v["pricey"].status == "open"   # not needed
    assert v["dynamo"].not_candidate.startswith("engine dynamodb")
    advice = recommendation(study, decision)
    assert advice["design"] == "good" and advice["decided"] is True
    assert advice["runs"] == {"cheap": 10, "good": 81, "pricey": 10, "dynamo": 10}
    assert "Choose good" in advice["sentence"] and "Cheaper designs fail: cheap" in advice[
        "sentence"]
    assert "Not candidates (engine dynamodb" in advice["sentence"]
    # the first batch covers every design; later batches only the open candidate
    assert {t.design for t in fake.calls[0]} == {"cheap", "good", "pricey", "dynamo"}
    assert all({t.design for t in call} == {"good"} for call in fake.calls[1:])


def test_a_cheaper_non_candidate_is_never_recommended(make_study):
    study = _study(make_study, constraints={"engine": ["postgresql"]})
    decision = decide(study, Fake(lambda d, s, i: d in ("dynamo", "pricey")))
    assert recommendation(study, decision)["design"] == "pricey"


def test_resume_replays_the_same_batches_without_running_them_again(make_study):
    study = _study(make_study)
    first = decide(study, Fake(_default))
    again = Fake(_default)
    second = decide(study, again, stored=first.results)
    assert again.calls == []
    assert [(r.design, r.scenario, r.run_index) for r in second.results] == [
        (r.design, r.scenario, r.run_index) for r in first.results]
    # a store holding only part of it: the rest is run, the answer is the same
    half = Fake(_default)
    third = decide(study, half, stored=first.results[: len(first.results) // 2])
    ran = {(t.design, t.scenario, t.run_index) for call in half.calls for t in call}
    kept = {(r.design, r.scenario, r.run_index) for r in first.results[: len(first.results) // 2]}
    assert not ran & kept
    assert third.designs["good"].runs == first.designs["good"].runs


def test_fixed_runs_read_the_same_rule_once(make_study):
    study = _study(make_study)
    fake = Fake(_default)
    decision = decide(study, fake, runs=20)
    assert len(fake.calls) == 1 and all(v.runs == 20 for v in decision.designs.values())
    assert decision.designs["good"].status == "open"      # 20 runs cannot prove 95%
    advice = recommendation(study, decision)
    assert advice["design"] is None and advice["decided"] is False


def test_an_open_verdict_at_the_cap_is_undecided(make_study):
    study = _study(make_study, decision={"max_runs": 30}, constraints={"engine": "postgresql"})
    decision = decide(study, Fake(lambda d, s, i: d != "cheap" and i % 25 != 3))
    advice = recommendation(study, decision)
    assert decision.designs["good"].runs == 30 and decision.designs["good"].status == "open"
    assert advice["decided"] is False and "Undecided: good still open after 30 runs" in advice[
        "sentence"]


def test_nothing_meets_names_the_closest_and_the_missed_target(make_study):
    study = _study(make_study)
    # everyone meets Hardware, nobody AZ: a decided "none"
    decision = decide(study, Fake(lambda d, s, i: s == "crash"))
    advice = recommendation(study, decision)
    assert advice["design"] is None and advice["decided"] is True
    assert "No candidate meets the policy. Closest: cheap" in advice["sentence"]
    assert "AZ met in 0% (RTO p95 500 s vs 120 s target in az)" in advice["sentence"]


def test_a_design_failing_one_class_stops(make_study):
    study = _study(make_study)
    fake = Fake(lambda d, s, i: d == "pricey" or (d == "good" and s == "crash"))
    decision = decide(study, fake)
    assert decision.designs["good"].status == "fails" and decision.designs["good"].runs == 10
    assert decision.designs["pricey"].status == "meets"


@pytest.mark.parametrize("bad, path", [
    ({"constraints": {"engine": "oracle"}}, "constraints.engine"),
    ({"decision": {"p_target": 1.5}}, "decision.p_target"),
    ({"decision": {"max_runs": 0}}, "decision.max_runs"),
])
def test_decision_and_constraints_blocks_are_validated(make_study, bad, path):
    from hadrsim.spec.loader import SpecError
    with pytest.raises(SpecError) as err:
        _study(make_study, **bad)
    assert path in str(err.value)


def test_judge_matches_the_decision(make_study):
    study = _study(make_study)
    decision = decide(study, Fake(_default))
    again = judge(study, decision.results)
    assert {n: v.status for n, v in again.items()} == {
        n: v.status for n, v in decision.designs.items()}


def test_scenarios_of_one_seed_are_one_observation(make_study):
    """Two scenarios of a class at the same seed draw the same named streams (common
    random numbers): they are one observation, not two, so proving 95% still takes 81
    seeds of each scenario (counting both would claim it after 41)."""
    scenarios = [*SCENARIOS, {"name": "az2", "scheduled": [
        {"kind": "az_outage", "target": "primary_az", "at_s": 90.0, "duration_s": 600.0}]}]
    study = make_study(designs=DESIGNS[1:2], scenarios=scenarios, policy=POLICY)
    decision = decide(study, Fake(lambda d, s, i: True))
    az = decision.designs["good"].classes["AZ"]
    assert az.status == "meets" and az.runs == 81 and az.episodes == 162


def test_fixed_runs_and_design_subset_are_worded_as_such(make_study):
    study = _study(make_study, constraints={"engine": "postgresql"})
    fixed = recommendation(study, decide(study, Fake(_default), runs=5))
    assert fixed["sentence"].startswith("No candidate is proven to meet the policy yet.")
    assert "run without --runs" in fixed["sentence"]
    alone = recommendation(study, decide(study, Fake(_default), designs=["good"]))
    assert alone["sentence"].startswith("Of the designs decided here (good), choose good")
