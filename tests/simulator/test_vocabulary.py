"""Producers and consumers of the record share one vocabulary (issue 13, item 5).

Event names, operation kinds and outcomes are constants of
:mod:`hadrsim.simulator.vocabulary`; a name typed as a string literal in one module
would silently stop matching when the other side changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from hadrsim.experiments.event_log import _WORDING
from hadrsim.simulator.records import corrupt_write_id
from hadrsim.simulator.vocabulary import EVENT_NAMES, corrupting_fault, is_corrupt
from hadrsim.spec.faults import FaultKind, Faults

PACKAGE = Path(__file__).resolve().parents[2] / "hadrsim"
LITERALS = [
    re.compile(r'\.event\(\s*"'),  # world.event("name", ...)
    re.compile(r'\.event\s*[!=]=\s*"'),  # e.event == "name"
    re.compile(r'outcome\s*[!=]=\s*"'),
    re.compile(r'\bop\.kind\s*[!=]=\s*"'),
    re.compile(r'kind\s*(==|!=|in)\s*\(?"(' + "|".join(get_args(FaultKind)) + ')"'),
]


def test_no_module_spells_a_shared_name_as_a_string_literal():
    """Every producer and consumer refers to the constants, not to copies of the strings."""
    found = [f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
             for path in PACKAGE.rglob("*.py")
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if "``" not in line and any(p.search(line) for p in LITERALS)]
    assert found == []


def test_every_event_the_log_words_is_one_the_engine_can_record():
    """The event log has no wording for an event nobody records (dead strings drift)."""
    assert set(_WORDING) <= EVENT_NAMES


def test_corruption_ids_round_trip():
    """A corrupting write id names its fault; client write ids (positive) are clean."""
    assert corrupting_fault(corrupt_write_id(7, 3)) == 7
    assert is_corrupt(corrupt_write_id(1, 0)) and not is_corrupt(5) and not is_corrupt(None)
    assert corrupting_fault(12) is None


def test_fault_kind_names_are_the_spec_literal():
    """``Faults`` names exactly the fault kinds a study may write."""
    assert {v for k, v in vars(Faults).items() if k.isupper()} == set(get_args(FaultKind))


def test_run_metrics_produces_every_headline_metric_name():
    """The names verdicts and tables read are keys run_metrics really writes."""
    from hadrsim.experiments.run import simulate
    from hadrsim.simulator.checkers import run_metrics
    from hadrsim.simulator.vocabulary import Metric
    from hadrsim.spec.loader import load_study

    study = load_study(PACKAGE.parent / "experiments" / "securecart.yaml")
    metrics, episodes = run_metrics(simulate(study, "multi-az", "instance-crash", 0).rec)
    names = {v for k, v in vars(Metric).items() if k.isupper()}
    per_episode = {Metric.RTO_WRITE_S, Metric.RTO_READ_S, Metric.RPO_S, Metric.LOST_WRITES,
                   Metric.RECOVERED_WRITE, Metric.RECOVERED_READ}
    assert names - per_episode <= set(metrics)
    assert per_episode <= set(episodes[0])
