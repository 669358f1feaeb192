"""The recorder: an append-only store of the facts of one run."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from hadrsim.simulator.records import (
    RECORD_TYPES,
    Apply,
    ClientOp,
    Commit,
    ControlEvent,
    Fault,
    FinalRead,
    ReplicaState,
    RoleChange,
)


@dataclass
class Recorder:
    """Keeps every record of a run in insertion order.

    Lists are public so hot paths can append directly (``rec.ops.append``);
    :meth:`frames` turns them into pandas DataFrames in one call.
    """

    ops: list[ClientOp] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)
    applies: list[Apply] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    roles: list[RoleChange] = field(default_factory=list)
    control: list[ControlEvent] = field(default_factory=list)
    final: FinalRead | None = None
    replicas: list[ReplicaState] = field(default_factory=list)
    horizon_s: float = 0.0

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every record list as a tidy DataFrame, keyed like :data:`RECORD_TYPES`."""
        return {
            name: pd.DataFrame(getattr(self, name), columns=list(cls._fields))
            for name, cls in RECORD_TYPES.items()
        }

    def history_hash(self) -> str:
        """SHA-256 over every record, for bit-for-bit determinism checks.

        ``repr`` of a float is exact (shortest round-tripping form), so two runs
        hash equal only if every time and value is identical.
        """
        digest = hashlib.sha256()
        for name in RECORD_TYPES:
            for record in getattr(self, name):
                digest.update(repr(tuple(record)).encode())
            digest.update(b"|")
        for state in self.replicas:
            digest.update(repr(tuple(state)).encode())
        if self.final is not None:
            final = self.final._replace(write_ids=tuple(sorted(self.final.write_ids)))
            digest.update(repr(tuple(final)).encode())
        return digest.hexdigest()
