"""Refactors keep behaviour: run 0 of every bundled (design, scenario) keeps its history hash.

The hashes in ``tests/data/history_hashes.json`` were recorded before issue 13's refactor
(registry, typed engine seams) by ``tests/data/record_history_hashes.py``. A change meant to
alter histories re-records them and says why in its commit.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from hadrsim.experiments.run import simulate
from hadrsim.spec.loader import load_study

ROOT = Path(__file__).resolve().parents[2]
PINNED = json.loads((ROOT / "tests" / "data" / "history_hashes.json").read_text())


@cache
def _study(path: str):
    return load_study(ROOT / path)


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(PINNED))
def test_history_hash_is_unchanged(key):
    """The same study and seed give the same recorded history, bit for bit."""
    path, design, scenario = key.split("|")
    world = simulate(_study(path), design, scenario, 0)
    assert world.rec.history_hash() == PINNED[key]
