"""Producers and consumers of the record share one vocabulary (issue 13, item 5).

Event names, operation kinds and outcomes are constants of
:mod:`hadrsim.simulator.vocabulary`; a name typed as a string literal in one module
would silently stop matching when the other side changes.
"""

from __future__ import annotations

import re
from pathlib import Path

from hadrsim.experiments.event_log import _WORDING
from hadrsim.simulator.records import corrupt_write_id
from hadrsim.simulator.vocabulary import EVENT_NAMES, corrupting_fault, is_corrupt

PACKAGE = Path(__file__).resolve().parents[2] / "hadrsim"
LITERALS = [
    re.compile(r'\.event\(\s*"'),  # world.event("name", ...)
    re.compile(r'\.event\s*[!=]=\s*"'),  # e.event == "name"
    re.compile(r'outcome\s*[!=]=\s*"'),
    re.compile(r'\bop\.kind\s*[!=]=\s*"'),
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
