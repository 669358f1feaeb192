"""Refactors keep behaviour: run 0 of every bundled (design, scenario) keeps its history hash.

``tests/data/history_hashes.json`` was recorded before issue 13's refactor (registry, typed
engine seams) with one event per client call (``workload.history: per_op``), and still
holds for that engine. ``history_hashes_compressed.json`` pins the default since issue 14,
compressed failure streaks. Both are written by ``tests/data/record_history_hashes.py``;
a change meant to alter histories re-records them and says why in its commit.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from hadrsim.experiments.run import simulate
from hadrsim.spec.loader import load_study

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PINNED = {
    history: json.loads((DATA / name).read_text())
    for history, name in (("per_op", "history_hashes.json"),
                          ("compressed", "history_hashes_compressed.json"))
}


@cache
def _study(path: str, history: str):
    return load_study(ROOT / path).with_history(history)


@pytest.mark.slow
@pytest.mark.parametrize(("history", "key"),
                         [(h, key) for h, pins in PINNED.items() for key in sorted(pins)])
def test_history_hash_is_unchanged(history, key):
    """The same study and seed give the same recorded history, bit for bit."""
    path, design, scenario = key.split("|")
    world = simulate(_study(path, history), design, scenario, 0)
    assert world.rec.history_hash() == PINNED[history][key]
