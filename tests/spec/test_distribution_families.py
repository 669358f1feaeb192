"""Distribution families (constant, exponential, lognormal, uniform, weibull, gamma,
empirical): mean, draws, quantiles, scaling, validation, and their use as fault laws."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from hadrsim.experiments.run import run_once
from hadrsim.simulator.faults import FaultInjector
from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import Node
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import (
    FAMILY_NAMES,
    Dist,
    DurationOrDist,
    MeanOrDist,
    constant,
    empirical,
    exponential,
    gamma,
    lognormal,
    uniform,
    weibull,
)
from hadrsim.spec.faults import FaultScenario, ScheduledFault, StochasticFault
from hadrsim.spec.loader import SpecError

_SIGMA = math.log(10.0) / stats.norm.ppf(0.99)
LAWS = {  # name: (law, the same law in scipy.stats, or None: checked by hand)
    "constant": (constant(3.0), None),
    "exponential": (exponential(2.0), stats.expon(scale=2.0)),
    "lognormal": (lognormal(1.0, 10.0), stats.lognorm(s=_SIGMA, scale=1.0)),
    "uniform": (uniform(1.0, 3.0), stats.uniform(loc=1.0, scale=2.0)),
    "weibull-mean": (weibull(1.5, mean=10.0),
                     stats.weibull_min(1.5, scale=10.0 / math.gamma(1 + 1 / 1.5))),
    "weibull-scale": (weibull(0.7, scale=5.0), stats.weibull_min(0.7, scale=5.0)),
    "gamma-mean": (gamma(2.0, mean=10.0), stats.gamma(2.0, scale=5.0)),
    "gamma-scale": (gamma(3.0, scale=2.0), stats.gamma(3.0, scale=2.0)),
    "empirical": (empirical([1.0, 2.0, 2.0, 10.0]), None),
}
LEVELS = np.array([0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])


def test_every_family_is_listed():
    """The families the README documents are the ones a study accepts."""
    assert set(FAMILY_NAMES) == {"constant", "exponential", "lognormal", "uniform",
                                 "weibull", "gamma", "empirical"}
    assert {law.dist for law, _ in LAWS.values()} == set(FAMILY_NAMES)


@pytest.mark.parametrize("name", LAWS)
def test_mean_matches_the_sample_mean(name):
    """The declared mean is within 5 standard errors of 200,000 draws' mean."""
    law, _ = LAWS[name]
    draws = law.draw(np.random.default_rng(11), 200_000)
    assert draws.shape == (200_000,) and (draws >= 0).all()
    tolerance = 5 * draws.std() / math.sqrt(draws.size) + 1e-12
    assert abs(draws.mean() - law.mean) <= tolerance, (draws.mean(), law.mean)


@pytest.mark.parametrize("name", LAWS)
def test_ppf_matches_scipy_or_the_closed_form(name):
    """Quantiles agree with scipy.stats (constant and empirical: by definition)."""
    law, reference = LAWS[name]
    if name == "constant":
        expected = np.full(LEVELS.shape, 3.0)
    elif name == "empirical":  # the step CDF's inverse: smallest value with F(x) >= q
        expected = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 10.0, 10.0])
    else:
        expected = reference.ppf(LEVELS)
    assert np.allclose(law.ppf(LEVELS), expected, rtol=1e-9, atol=1e-12)
    assert isinstance(law.ppf(0.5), float)
    if reference is not None:
        assert math.isclose(law.mean, reference.mean(), rel_tol=1e-9)


@pytest.mark.parametrize("name", LAWS)
def test_scaled_multiplies_every_value(name):
    """scaled(3600) is the same family with mean, quantiles and draws times 3600."""
    law, _ = LAWS[name]
    hours = law.scaled(3600.0)
    assert type(hours) is type(law)
    assert math.isclose(hours.mean, law.mean * 3600.0, rel_tol=1e-12)
    assert np.allclose(hours.ppf(LEVELS), law.ppf(LEVELS) * 3600.0, rtol=1e-12)
    a = hours.draw(np.random.default_rng(3), 1000)
    b = law.draw(np.random.default_rng(3), 1000) * 3600.0
    assert np.allclose(a, b, rtol=1e-9)
    with pytest.raises(ValueError, match="scale factor must be a finite number > 0"):
        law.scaled(0.0)


def test_the_four_original_families_draw_exactly_as_before():
    """Pinned history hashes depend on these numpy calls, bit for bit."""
    def same(law, call):
        assert np.array_equal(law.draw(np.random.default_rng(5), 64),
                              call(np.random.default_rng(5)))

    same(constant(2.0), lambda rng: np.full(64, 2.0))
    same(exponential(2.0), lambda rng: rng.exponential(2.0, 64))
    same(uniform(1.0, 3.0), lambda rng: rng.uniform(1.0, 3.0, 64))
    law = lognormal(0.5, 10.0)
    # exp as the C library computes it (numpy's own exp differs in the last bits on
    # AVX-512 machines: tests/simulator/test_machine_independent.py)
    same(law, lambda rng: 0.5 * np.array([math.exp(law.sigma * z)
                                          for z in rng.standard_normal(64)]))


def test_empirical_resamples_the_measured_values_only():
    """Draws are the given values, each about equally often (with replacement)."""
    law = empirical([4.0, 1.0, 9.0])
    draws = law.draw(np.random.default_rng(1), 30_000)
    values, counts = np.unique(draws, return_counts=True)
    assert values.tolist() == [1.0, 4.0, 9.0]
    assert (abs(counts / 30_000 - 1 / 3) < 0.02).all()


@pytest.mark.parametrize(("data", "field", "text"), [
    ({"dist": "weibull", "shape": 0, "mean": 1}, "shape", "greater than 0"),
    ({"dist": "weibull", "shape": 1.5, "scale": -2}, "scale", "greater than 0"),
    ({"dist": "weibull", "shape": 1.5}, "scale", "exactly one of scale or mean (neither"),
    ({"dist": "gamma", "shape": 2, "scale": 1, "mean": 2}, "scale",
     "exactly one of scale or mean (both"),
    ({"dist": "gamma", "shape": -1, "mean": 2}, "shape", "greater than 0"),
    ({"dist": "weibull", "shape": 0.001, "mean": 1}, "shape", "too small"),
    ({"dist": "empirical", "values": []}, "values", "at least 1 item"),
    ({"dist": "empirical", "values": [3, -1]}, "values", "greater than or equal to 0"),
    ({"dist": "empirical"}, "values", "required"),
])
def test_bad_parameters_name_the_field(data, field, text):
    """A bad parameter is refused, the message naming the field (as the loader prints it)."""
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Dist).validate_python(data)
    (error,) = caught.value.errors()
    assert field in error["loc"] or error["msg"].startswith(f"Value error, @{field}:")
    assert text in error["msg"]


def test_a_study_names_the_field_of_a_bad_law(make_study):
    """In a study, the problem line starts with the field path and names the parameter."""
    with pytest.raises(SpecError) as caught:
        make_study(scenarios=[{"name": "s", "stochastic": [
            {"kind": "instance_crash", "mttr_h": 1,
             "mttf_h": {"dist": "weibull", "shape": 0, "mean": 100}}]}])
    (problem,) = caught.value.problems
    assert problem.startswith("scenarios.0.stochastic.0.mttf_h.")
    assert "shape" in problem and "greater than 0" in problem


@pytest.mark.parametrize(("value", "text"), [
    ("soon", "valid number"),
    ({"dist": "nope"}, "or {dist: constant|exponential|lognormal|uniform|weibull|gamma|"),
    ({"shape": 2.0}, "or {dist: constant|"),
    ({"dist": "constant", "value": 0}, "the mean must be > 0"),
    ({"dist": "exponential", "mean": 3, "median": 2}, "@median: unknown field"),
])
def test_mttf_refuses_what_is_not_a_positive_law(value, text):
    """mttf_h: a word, an unknown family, or a law with mean 0 is refused, saying why."""
    with pytest.raises(ValidationError, match=re.escape(text)):
        TypeAdapter(MeanOrDist).validate_python(value)


def test_a_plain_mttf_is_an_exponential_mean():
    """A number stays a number (an exponential's mean), and so does {dist: exponential}."""
    plain = StochasticFault(kind="instance_crash", mttf_h=100, mttr_h=1)
    spelled = StochasticFault(kind="instance_crash", mttr_h=1,
                              mttf_h={"dist": "exponential", "mean": 100})
    assert plain.mttf_h == spelled.mttf_h == 100.0 and isinstance(plain.mttf_h, float)
    assert plain.mttf_law == exponential(100.0) and plain.mean_mttf_h == 100.0
    wear = StochasticFault(kind="instance_crash", mttr_h=1,
                           mttf_h={"dist": "weibull", "shape": 1.5, "mean": 17520})
    assert wear.mttf_law == weibull(1.5, mean=17520.0) and wear.mean_mttf_h == 17520.0
    assert StochasticFault.model_validate_json(wear.model_dump_json()) == wear


def test_a_duration_is_seconds_or_a_law():
    """duration_s: a number (or {dist: constant}) is seconds; a mapping is a law."""
    assert ScheduledFault(kind="az_outage", at_s=1, duration_s=60).duration_s == 60.0
    fixed = {"dist": "constant", "value": 60}
    assert ScheduledFault(kind="az_outage", at_s=1, duration_s=fixed).duration_s == 60.0
    law = ScheduledFault(kind="az_outage", at_s=1,
                         duration_s={"dist": "lognormal", "median": 60, "p99": 600})
    assert law.duration_s == lognormal(60.0, 600.0)
    assert math.isclose(law.mean_duration_s, lognormal(60.0, 600.0).mean)
    assert ScheduledFault(kind="az_outage", at_s=1).mean_duration_s is None
    with pytest.raises(ValidationError, match="greater than 0"):
        TypeAdapter(DurationOrDist).validate_python(0)


# --- the laws in the simulation ------------------------------------------------------

class _Targets:
    """One node ``p`` in a1: enough for node faults."""

    def __init__(self, world: World, net: Network):
        self.primary = Node(world, net, "p", "a1", Log().root)

    def node(self, target: str, kind: str | None = None) -> Node | None:
        return self.primary if target in ("primary", "node:p") else None

    def place(self, target: str) -> str | None:
        return {"primary_az": "a1", "primary_region": "r1"}.get(target, target)

    def not_applicable(self, fault) -> str | None:
        return None


def _faults(scenario: FaultScenario, horizon_s: float, seed: int = 0, run_index: int = 0):
    """The Fault records of ``scenario`` injected into a one-node world."""
    world = World(seed, run_index, horizon_s)
    net = Network(world, {"r1": ["a1", "a2"]}, 1.0, 0.2, lambda a, b: 60.0, 0.0)
    FaultInjector(world, net, _Targets(world, net), scenario).start()
    world.run()
    return world.rec.faults


def test_scheduled_durations_follow_their_law():
    """One lognormal draw per run: over 400 runs the durations pass a KS test."""
    scenario = FaultScenario(name="s", scheduled=[
        ScheduledFault(kind="az_outage", at_s=10.0, duration_s=lognormal(60.0, 600.0))])
    durations = [f.end_s - f.start_s
                 for i in range(400) for f in _faults(scenario, 1e5, seed=3, run_index=i)]
    assert len(durations) == 400
    law = stats.lognorm(s=math.log(10.0) / stats.norm.ppf(0.99), scale=60.0)
    assert stats.kstest(durations, law.cdf).pvalue > 0.001
    again = [f.end_s - f.start_s for f in _faults(scenario, 1e5, seed=3, run_index=7)]
    assert again == durations[7:8]


def test_weibull_times_to_failure_follow_their_law():
    """A renewal process: up-times (repair to next failure) are the Weibull in seconds."""
    scenario = FaultScenario(name="s", stochastic=[StochasticFault(
        kind="instance_crash", mttf_h=weibull(1.5, mean=2.0),
        mttr_h=gamma(2.0, mean=0.1))])
    faults = _faults(scenario, 2000 * 3600.0, seed=5)
    assert len(faults) > 600
    up = [b.start_s - a.end_s for a, b in zip(faults, faults[1:], strict=False)]
    down = [f.end_s - f.start_s for f in faults]
    weibull_s = stats.weibull_min(1.5, scale=2.0 * 3600.0 / math.gamma(1 + 1 / 1.5))
    assert stats.kstest(up, weibull_s.cdf).pvalue > 0.001
    assert stats.kstest(down, stats.gamma(2.0, scale=0.05 * 3600.0).cdf).pvalue > 0.001
    assert faults == _faults(scenario, 2000 * 3600.0, seed=5)


def test_a_study_with_new_laws_validates_and_simulates(make_study):
    """Weibull MTTF, gamma MTTR, lognormal scheduled duration: runs, same seed same history."""
    study = make_study(
        horizon_s=3 * 3600.0,
        workload={"observed_clients": 1, "idle_interval_s": 600.0},
        designs=[{"name": "one", "kind": "rds_single_az", "replace_host_s": None}],
        scenarios=[
            {"name": "wear", "stochastic": [{
                "kind": "instance_crash", "mttf_h": {"dist": "weibull", "shape": 1.5, "mean": 0.5},
                "mttr_h": {"dist": "gamma", "shape": 2, "mean": 0.05}}]},
            {"name": "outage", "scheduled": [{
                "kind": "instance_crash", "at_s": 120.0,
                "duration_s": {"dist": "lognormal", "median": 60, "p99": 600}}]},
        ])
    for scenario in ("wear", "outage"):
        first = run_once(study, "one", scenario, 0)
        assert first.ok, first.error
        assert first.episodes
        assert run_once(study, "one", scenario, 0).history_hash == first.history_hash
        assert run_once(study, "one", scenario, 1).history_hash != first.history_hash


def test_importing_the_spec_does_not_import_scipy():
    """scipy is imported by the families that need it, when they need it."""
    code = ("import sys, hadrsim.spec.study, hadrsim.spec.faults, hadrsim.spec.loader; "
            "print('scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
