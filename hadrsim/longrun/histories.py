"""Many years of one design: occurrences drawn in batches, compound groups found.

Batches come in two sets: *plain* batches draw from the library as measured
(their spread is the Monte Carlo error), *bootstrap* batches first resample
every class's library with replacement (their extra spread is the library's own
uncertainty, :mod:`hadrsim.longrun.estimate`). Streams are named per design and
batch: one study and seed give the same histories on any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hadrsim.longrun.compound import Group, GroupImpact
from hadrsim.longrun.library import HOUR_S, FaultClass, Impacts
from hadrsim.longrun.renewal import Occurrences, compound_groups, draw
from hadrsim.simulator.random import Streams

BATCHES = 20
"""Batches of histories: enough degrees of freedom for a Student-t interval (19)."""


@dataclass
class Batch:
    """One batch of histories of one design.

    ``occ.episode`` indexes the class's *original* library rows (the bootstrap is
    already applied); ``group`` is each occurrence's compound-group id.
    """

    runs: int
    occ: Occurrences
    group: np.ndarray
    rng: np.random.Generator
    compound: dict[int, Group] = field(default_factory=dict)
    impacts: dict[int, GroupImpact] = field(default_factory=dict)
    pools: dict[tuple[int, ...], list[GroupImpact]] = field(default_factory=dict)


def draw_batches(design: str, classes: Sequence[FaultClass], library: dict[int, Impacts],
                 horizon_s: float, runs: int, seed: int, settle_s: float, *,
                 bootstrap: bool = False) -> list[Batch]:
    """``runs`` histories of ``horizon_s`` in :data:`BATCHES` batches.

    ``bootstrap``: each batch first resamples every class's library with
    replacement (the library's own uncertainty, :mod:`.estimate`); otherwise
    every batch uses the library as measured.
    """
    streams = Streams(seed, 0)
    tag = "boot" if bootstrap else "plain"
    batches = []
    for b in range(BATCHES):
        size = runs // BATCHES + (1 if b < runs % BATCHES else 0)
        rng = streams.generator(f"longrun/{design}/{tag}-{b}")
        laws, boots = {}, {}
        for fault_class in classes:
            rows = library[fault_class.index]
            if rows.episodes == 0:
                continue  # not applicable to this design: never occurs
            boot = (rng.integers(0, rows.episodes, rows.episodes) if bootstrap
                    else np.arange(rows.episodes))
            boots[fault_class.index] = boot
            laws[fault_class.index] = (fault_class.fault.mttf_law.scaled(HOUR_S),
                                       rows.duration_s[boot])
        occ = draw(laws, horizon_s, size, rng)
        episode = occ.episode.copy()
        for cls, boot in boots.items():
            mine = occ.cls == cls
            episode[mine] = boot[occ.episode[mine]]
        occ = Occurrences(occ.run, occ.cls, episode, occ.start_s, occ.duration_s)
        outage = column(occ, library, "downtime_s")
        window = np.maximum(occ.duration_s, np.nan_to_num(outage)) + settle_s
        group = compound_groups(occ, window)
        batch = Batch(size, occ, group, streams.generator(f"longrun/{design}/{tag}-compound-{b}"))
        batch.compound = _groups(design, occ, group)
        batches.append(batch)
    return batches


def column(occ: Occurrences, library: dict[int, Impacts], name: str) -> np.ndarray:
    """One impact column of the library rows each occurrence resampled."""
    out = np.empty(len(occ), dtype=float)
    for cls, rows in library.items():
        mine = occ.cls == cls
        if mine.any():
            out[mine] = getattr(rows, name)[occ.episode[mine]]
    return out


def _groups(design: str, occ: Occurrences, group: np.ndarray) -> dict[int, Group]:
    """The compound groups (two faults or more) of a batch, by group id."""
    sizes = np.bincount(group)
    members = np.flatnonzero(sizes[group] >= 2)
    found: dict[int, list[int]] = {}
    for i in members.tolist():
        found.setdefault(int(group[i]), []).append(i)
    result = {}
    for gid, rows in found.items():
        first = occ.start_s[rows[0]]
        result[gid] = Group(design, tuple(
            (int(occ.cls[i]), float(occ.start_s[i] - first), float(occ.duration_s[i]))
            for i in rows))
    return result
