"""Bounded, strict input: alias bombs, duplicate keys, booleans, words, control characters.

The malformed files under tests/data/malformed check the CLI messages; these check
the library: speed and memory of the refusals, and what is still accepted.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
import yaml

from hadrsim.experiments.sweep import SweepError, grid
from hadrsim.spec.bounds import estimate, too_costly
from hadrsim.spec.loader import MAX_VALUES, SpecError, _short, load_study, parse_study
from hadrsim.spec.study import Study
from hadrsim.spec.types import escape_controls

BASE = """\
name: orders
horizon_s: 300
designs:
  - {name: multi-az, kind: rds_multi_az_instance}
scenarios:
  - name: crash
    scheduled: [{kind: instance_crash, target: primary, at_s: 60}]
"""


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nname: bomb\ndesigns: *a{levels - 1}\nscenarios: *a{levels - 1}\n"


def _problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "study.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_study(path)
    return caught.value.problems


def test_billion_laughs_refused_fast_in_bounded_memory(tmp_path):
    """10^9 values through aliases: refused in well under a second, a few MB traced."""
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(9))
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_study(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20e6
    assert caught.value.problems == [caught.value.problems[0]]
    assert f"more than {MAX_VALUES:,} values" in caught.value.problems[0]


def test_small_anchors_and_merge_keys_still_work(tmp_path):
    """Anchors used as intended (a shared mapping, a merge key) are fine."""
    text = BASE.replace(
        "designs:\n  - {name: multi-az, kind: rds_multi_az_instance}",
        "designs:\n  - &maz {name: multi-az, kind: rds_multi_az_instance}\n"
        "  - {<<: *maz, name: multi-az-2}")
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    assert [d.name for d in load_study(path).designs] == ["multi-az", "multi-az-2"]


def test_alias_loop_refused(tmp_path):
    problems = _problems(tmp_path, "name: x\ndesigns: &d [1, *d]\n")
    assert problems == ["line 2: an alias refers to a value that contains it (a loop); "
                        "write the values out"]


def test_deep_nesting_refused_fast(tmp_path):
    """50,000 nested brackets took 40 s in PyYAML's scanner; now refused at depth 64."""
    started = time.perf_counter()
    problems = _problems(tmp_path, "a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert time.perf_counter() - started < 1.0
    assert "nests more than 64 levels" in problems[0]


def test_duplicate_key_names_key_and_lines(tmp_path):
    problems = _problems(tmp_path, BASE + "policy: {}\nhorizon_s: 600\n")
    assert problems == ["line 9: key 'horizon_s' appears twice (first on line 2); the last "
                        "one would silently win: keep one"]


def test_duplicate_key_in_nested_mapping(tmp_path):
    text = BASE + "workload:\n  observed_clients: 2\n  observed_clients: 3\n"
    assert _problems(tmp_path, text)[0].startswith("line 10: key 'observed_clients'")


def test_oversized_file_refused_without_reading_it_all(tmp_path):
    problems = _problems(tmp_path, BASE + "# " + "x" * (3 * 2**20) + "\n")
    assert "larger than 2 MiB" in problems[0]


def test_short_never_builds_a_huge_repr():
    """The problem line shows a bounded repr, even of a value with 10^8 leaves."""
    leaf = ["x"] * 10
    for _ in range(7):
        leaf = [leaf] * 10
    started = time.perf_counter()
    text = _short(leaf)
    assert time.perf_counter() - started < 0.1
    assert len(text) <= 80


def _study(**changes) -> dict:
    data = yaml.safe_load(BASE)
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[int(part)]
        node[last] = value
    return data


@pytest.mark.parametrize("path, value", [
    ("horizon_s", True),
    ("runs", True),
    ("seed", False),
    ("workload.observed_clients", True),
    ("workload.probe_interval_s", True),
    ("network.inter_az_rtt_ms", True),
    ("scenarios.0.scheduled.0.at_s", False),
    ("policy.Hardware", {"rto_s": False, "rpo_s": 0}),
    ("failover.operator_delay_s", True),
    ("failover.operator_delay_s", {"dist": "lognormal", "median": True, "p99": 3600}),
    ("failover.repoint_s", {"dist": "uniform", "low": 0, "high": True}),
    ("failover.repoint_s", {"dist": "constant", "value": True}),
    ("failover.repoint_s", {"dist": "exponential", "mean": True}),
])
def test_booleans_are_not_numbers(path, value):
    with pytest.raises(SpecError) as caught:
        parse_study(_study(**{path: value}))
    assert len(caught.value.problems) == 1
    assert "a boolean is not a number" in caught.value.problems[0]


def test_ints_and_number_strings_still_accepted_where_floats_are_expected():
    study = parse_study(_study(horizon_s=600, **{"workload.probe_interval_s": 1,
                                                  "failover.repoint_s": 5,
                                                  "network.inter_az_rtt_ms": "1e0"}))
    assert study.horizon_s == 600.0 and isinstance(study.horizon_s, float)
    assert study.failover.repoint_s.value == 5.0
    assert study.network.inter_az_rtt_ms == 1.0


@pytest.mark.parametrize("path, value, unit", [
    ("failover.operator_delay_s", "later", "a number of seconds"),
    ("failover.repoint_s", [1, 2], "a number of seconds"),
])
def test_a_word_for_a_distribution_says_what_is_allowed(path, value, unit):
    with pytest.raises(SpecError) as caught:
        parse_study(_study(**{path: value}))
    assert caught.value.problems == [
        f"{path}: value {value!r}: expected {unit} or {{dist: constant|exponential|"
        "lognormal|uniform|weibull|gamma|empirical, ...} (see `hadrsim schema`)"]


@pytest.mark.parametrize("path", ["name", "designs.0.name", "scenarios.0.name"])
def test_control_characters_in_names_refused_and_shown_escaped(path):
    with pytest.raises(SpecError) as caught:
        parse_study(_study(**{path: "\x1b[31mred"}))
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: value '\\x1b[31mred'")
    assert "\x1b" not in problem


@pytest.mark.parametrize("field", ["name", "designs", "alarms"])
def test_model_validation_refuses_control_characters_in_names(field):
    """Study.model_validate (the library, no loader) refuses them too."""
    data = _study()
    if field == "name":
        data["name"] = "bad\x07name"
    elif field == "designs":
        data["designs"][0]["name"] = "bad\x9bname"
    else:
        data["alarms"] = [{"name": "bad\u202ename", "metric": "write_error_rate",
                           "threshold": 0.5}]
    with pytest.raises(ValueError, match="control characters are not allowed"):
        Study.model_validate(data)


def test_description_may_hold_line_breaks_but_no_escapes():
    assert parse_study(_study(description="two\nlines\tand a tab")).description
    with pytest.raises(SpecError, match="control characters"):
        parse_study(_study(description="\x1b]0;title\x07"))


def test_escape_controls_keeps_text_and_escapes_controls():
    assert escape_controls("plain ünïcode") == "plain ünïcode"
    assert escape_controls("a\x1b[31mb\nc", keep="\n") == "a\\x1b[31mb\nc"
    assert escape_controls("\u202e\x9b\x7f") == "\\u202e\\x9b\\x7f"


def test_sweep_path_given_twice_is_an_error():
    with pytest.raises(SweepError, match=r"--set horizon_s: given twice"):
        grid([("horizon_s", [300]), ("workload.observed_clients", [2]),
              ("horizon_s", [600])])


def test_resource_estimate_refuses_hours_and_gigabytes():
    study = parse_study(_study())
    assert too_costly(estimate(study, 20)) is None
    slow = too_costly(estimate(study, 1_000_000), workers=2)
    assert slow.startswith("this would take about") and "lower runs (or --runs)" in slow
    huge = parse_study(_study(horizon_s=1e8))
    message = too_costly(estimate(huge, 1))
    assert "GB of memory" in message and "horizon_s" in message and "--yes" in message
    keys = parse_study(_study(**{"workload.observed_keys": 1_000_000}))
    assert estimate(keys, 1).key_bytes == pytest.approx(5e8)


@pytest.mark.parametrize("name", ["securecart.yaml", "dr-tiers.yaml", "year-of-faults.yaml",
                                  "aurora-global-year.yaml"])
def test_bundled_studies_pass_the_bounds(name):
    from pathlib import Path
    study = load_study(Path(__file__).resolve().parents[2] / "experiments" / name)
    assert too_costly(estimate(study), workers=2) is None
