"""The recorder: an append-only store of the facts of one run."""

from __future__ import annotations

import gc
import hashlib
import marshal
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hadrsim.simulator.oplog import FIELDS, OpLog, Pick, Piece, Same
from hadrsim.simulator.records import (
    RECORD_TYPES,
    Apply,
    Commit,
    ControlEvent,
    Fault,
    FinalRead,
    ReplicaState,
    RoleChange,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Recorder:
    """Keeps every record of a run in insertion order.

    Lists are public so hot paths can append directly (``rec.ops.append``); the
    client operations are an :class:`OpLog` (a failure streak is one block of
    columns, not a row per call). :meth:`frames` turns them into pandas DataFrames.
    """

    ops: OpLog = field(default_factory=OpLog)
    commits: list[Commit] = field(default_factory=list)
    applies: list[Apply] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    roles: list[RoleChange] = field(default_factory=list)
    control: list[ControlEvent] = field(default_factory=list)
    final: FinalRead | None = None
    replicas: list[ReplicaState] = field(default_factory=list)
    horizon_s: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.ops, OpLog):  # given a list of ClientOp
            self.ops = OpLog(self.ops)

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every record list as a tidy DataFrame, keyed like :data:`RECORD_TYPES`."""
        import pandas as pd  # only here: a run needs no pandas (start-up time, issue 14)

        return {
            name: pd.DataFrame(list(getattr(self, name)), columns=list(cls._fields))
            for name, cls in RECORD_TYPES.items()
        }

    def history_hash(self) -> str:
        """SHA-256 over every field of every record, for bit-for-bit determinism checks.

        Each record list is hashed column by column in ``marshal`` format 2, which
        writes floats as their exact 8 bytes, tells int, bool, float, None and str
        apart, and (unlike formats 3+, and pickle) depends on values only, never on
        object identity. This is about five times cheaper than hashing ``repr`` of
        every record, which took about a tenth of a run's CPU (issue 12).
        """
        digest = hashlib.sha256(b"hadrsim-history-2")
        collecting = gc.isenabled()
        gc.disable()  # transposing allocates an iterator per record: half the cost was GC
        try:
            for name in RECORD_TYPES:
                _hash_rows(digest, getattr(self, name))
            _hash_rows(digest, self.replicas)
        finally:
            if collecting:
                gc.enable()
        if self.final is not None:
            # a sorted tuple in place of the frozenset: hashed in a stable order
            ids: Any = tuple(sorted(self.final.write_ids))
            final = self.final._replace(write_ids=ids)
            _hash_rows(digest, [final])
        return digest.hexdigest()


def _hash_rows(digest: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Feed ``rows`` (equal-length tuples) to ``digest``, one column at a time."""
    digest.update(b"|%d|" % len(rows))
    if isinstance(rows, OpLog) and rows._parts:
        for name in (FIELDS if len(rows) else ()):
            try:
                digest.update(_marshal_pieces(len(rows), rows.pieces(name)))
            except ValueError:  # as below: the column's repr
                digest.update(b"r" + repr(tuple(rows.column(name))).encode())
        return
    for column in transpose(rows):
        try:
            digest.update(marshal.dumps(column, 2))
        except ValueError:  # a type marshal does not know (a numpy scalar): its repr
            digest.update(b"r" + repr(column).encode())


_TUPLE = b"("  # marshal's type codes (format 2: no references, no short forms)
_FLOATS = np.dtype([("type", "S1"), ("value", "<f8")])
_INTS = np.dtype([("type", "S1"), ("value", "<i4")])


def _marshal_pieces(n: int, pieces: Sequence[tuple[int, Piece]]) -> bytes:
    """``marshal.dumps(column, 2)`` of a column kept in pieces (simulator.oplog), byte
    for byte, with no Python work per value of a block: a tuple is its type code, its
    length and its items' bytes end to end; a :class:`Same` piece is one value's bytes
    repeated, a :class:`Pick` its choices' bytes in turn; a float array's items are
    ``g`` and the 8 bytes of each double, an int32 range array's ``i`` and 4 bytes."""
    out = [_TUPLE + struct.pack("<i", n)]
    for k, values in pieces:
        if isinstance(values, Same):
            out.append(marshal.dumps(values.value, 2) * k)
        elif isinstance(values, Pick):
            out.append(_picked_bytes([marshal.dumps(c, 2) for c in values.choices],
                                     values.index))
        elif isinstance(values, np.ndarray) and values.dtype.kind in "fi" and (
                values.dtype.kind == "f" or not len(values)
                or (values.min() >= -2**31 and values.max() < 2**31)):
            items = np.empty(k, _FLOATS if values.dtype.kind == "f" else _INTS)
            items["type"] = b"g" if values.dtype.kind == "f" else b"i"
            items["value"] = values
            out.append(items.tobytes())
        else:
            seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
            out.append(marshal.dumps(seq, 2)[5:])  # a list's items, as a tuple's
    return b"".join(out)


def _picked_bytes(encoded: list[bytes], index: np.ndarray) -> bytes:
    """``b"".join(encoded[i] for i in index)``; a long piece whose choices encode to the
    same length, in numpy: one row of bytes per choice, the rows taken by ``index``."""
    if len(index) < 64 or len({len(data) for data in encoded}) != 1:
        return b"".join(map(encoded.__getitem__, index.tolist()))
    table = np.frombuffer(b"".join(encoded), np.uint8).reshape(len(encoded), -1)
    return table[index].tobytes()


def transpose(rows: Sequence[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Each column of ``rows`` as a tuple, as ``zip(*rows)``; an OpLog's without making
    its blocks into rows."""
    if isinstance(rows, OpLog):
        return map(tuple, rows.columns())  # a tuple stays itself: no copy
    return zip(*rows, strict=True)
