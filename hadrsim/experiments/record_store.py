"""A run's records as one compact, versioned blob: column-wise arrays, compressed.

The results store keeps every run's records (client operations, commits,
applies, faults, role changes, control events, replica states, the final read)
so a report or a notebook draws timelines and recomputes metrics without
simulating again. A blob is::

    MAGIC | format byte | zlib( u32 header length | JSON header | column buffers )

The header lists *record sets* (``ops``, ``commits``, ...): each has a type
(the record class it decodes to), a row count and its columns; each column
names its codec and the byte lengths of its parts. Columns are stored the way
they compress best: numbers as little-endian numpy arrays (floats byte-shuffled,
integers in the narrowest dtype), strings as a dictionary plus codes, tuples of
integers as lengths plus values, anything else as JSON. Decoding gives back the
very values (int and float told apart, ``None`` kept), so a decoded run has the
stored history hash and its metrics recompute identically.

A later record kind (say, runs of n identical-outcome operations: the compressed
histories of the speed work) is one more set type in :data:`SET_TYPES`, with its
own layout version in :data:`SET_VERSIONS`; a blob holding a set type or layout
this hadrsim does not know is refused, never misread.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hadrsim.simulator.oplog import OpLog
from hadrsim.simulator.recorder import Recorder, transpose
from hadrsim.simulator.records import RECORD_TYPES, FinalRead, ReplicaState

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMAT", "RecordsFormatError", "decode_records", "encode_records", "record_frames"]

MAGIC = b"HSREC"
FORMAT = 1  # 1: ops, commits, applies, faults, roles, control, replicas, final
LEVEL = 6  # zlib: level 9 saves ~2% for twice the time

SET_TYPES: dict[str, Any] = {  # name -> its NamedTuple class
    **{cls.__name__: cls for cls in RECORD_TYPES.values()},
    "ReplicaState": ReplicaState,
}
"""Record set types a blob may hold, by name; add a type here to add a record kind."""
SET_VERSIONS: dict[str, int] = dict.fromkeys(SET_TYPES, 1)
"""Each set type's column layout version: a set of a newer layout is refused."""

_INT_DTYPES = ("<i1", "<i2", "<i4", "<i8")


class RecordsFormatError(ValueError):
    """A blob that is not a records blob, or one written by a newer hadrsim."""


# --- one column ------------------------------------------------------------------------

def _encode_column(values: Sequence[Any]) -> tuple[dict[str, Any], list[bytes]]:
    """``(meta, parts)`` of one column, with the most compact codec that is exact."""
    kinds = set(map(type, values))  # one C-level pass: this runs on every column of a run
    nones = [i for i, v in enumerate(values) if v is None] if type(None) in kinds else []
    kinds.discard(type(None))
    meta: dict[str, Any] = {"none": nones} if nones else {}
    if not kinds:
        return {**meta, "codec": "none"}, []
    if kinds == {bool}:
        return {**meta, "codec": "bool"}, [bytes(bool(v) for v in values)]
    if kinds == {int}:
        return _ints_column(meta, [0 if v is None else v for v in values])
    if kinds <= {int, float}:
        ints = [i for i, v in enumerate(values) if type(v) is int] if int in kinds else []
        if all(float(values[i]) == values[i] for i in ints):
            array = np.array([np.nan if v is None else v for v in values] if nones
                             else values, dtype="<f8")
            shuffled = array.view(np.uint8).reshape(-1, 8).T.tobytes()
            return {**meta, "codec": "float", "ints": ints}, [shuffled]
    if kinds == {str}:
        table = list(dict.fromkeys(v for v in values if v is not None))
        index = {s: i for i, s in enumerate(table)}
        meta, parts = _ints_column({**meta, "table": table},
                                   [index.get(v, 0) if v is not None else 0 for v in values])
        return {**meta, "codec": "str"}, parts
    if kinds == {tuple} and not nones and all(type(x) is int for v in values for x in v):
        lengths = _ints_column({}, [len(v) for v in values])
        flat = _ints_column({}, [x for v in values for x in v])
        return ({"codec": "intlists", "lengths": lengths[0], "values": flat[0]},
                lengths[1] + flat[1])
    return {"codec": "json"}, [json.dumps(list(values), allow_nan=True).encode()]


def _ints_column(meta: dict[str, Any], values: list[int]) -> tuple[dict[str, Any], list[bytes]]:
    lo, hi = (min(values), max(values)) if values else (0, 0)
    for dtype in _INT_DTYPES:
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return {**meta, "codec": "int", "dtype": dtype}, [np.array(values, dtype).tobytes()]
    return {**meta, "codec": "json"}, [json.dumps(values).encode()]


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples records hold."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _decode_column(meta: dict[str, Any], parts: list[bytes], n: int) -> list[Any]:
    codec = meta["codec"]
    if codec == "none":
        values: list[Any] = [None] * n
    elif codec == "bool":
        values = [bool(b) for b in parts[0]]
    elif codec == "int":
        values = np.frombuffer(parts[0], meta["dtype"]).tolist()
    elif codec == "float":
        array = np.frombuffer(parts[0], np.uint8).reshape(8, -1).T.copy().view("<f8")
        values = array.ravel().tolist()
        for i in meta["ints"]:
            values[i] = int(values[i])
    elif codec == "str":
        table = meta["table"]
        values = [table[i] if table else None
                  for i in np.frombuffer(parts[0], meta["dtype"]).tolist()]
    elif codec == "intlists":
        lengths = np.frombuffer(parts[0], meta["lengths"]["dtype"]).tolist()
        flat = np.frombuffer(parts[1], meta["values"]["dtype"]).tolist()
        values, start = [], 0
        for length in lengths:
            values.append(tuple(flat[start:start + length]))
            start += length
    elif codec == "json":
        values = [_tuples(v) for v in json.loads(parts[0])]
    else:
        raise RecordsFormatError(f"unknown column codec {codec!r}: written by a newer hadrsim?")
    for i in meta.get("none", ()):
        values[i] = None
    return values


# --- a whole run -----------------------------------------------------------------------

def _record_sets(recorder: Recorder) -> dict[str, list[tuple]]:
    return {**{name: getattr(recorder, name) for name in RECORD_TYPES},
            "replicas": recorder.replicas}


def encode_records(recorder: Recorder) -> bytes:
    """Every record of a finished run as one compressed blob (see the module docstring)."""
    sets, buffers = [], []
    for name, rows in _record_sets(recorder).items():
        cls = ReplicaState if name == "replicas" else RECORD_TYPES[name]
        columns = []
        for field, values in zip(cls._fields, transpose(rows) if len(rows)
                                 else [()] * len(cls._fields), strict=True):
            meta, parts = _encode_column(values)
            columns.append({"name": field, **meta, "parts": [len(p) for p in parts]})
            buffers.extend(parts)
        sets.append({"name": name, "type": cls.__name__, "version": SET_VERSIONS[cls.__name__],
                     "n": len(rows), "columns": columns})
    final = recorder.final
    header = {
        "horizon_s": recorder.horizon_s, "sets": sets,
        "final": None if final is None else {
            **final._asdict(), "write_ids": sorted(final.write_ids)},
    }
    head = json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
    body = b"".join([struct.pack("<I", len(head)), head, *buffers])
    return MAGIC + bytes([FORMAT]) + zlib.compress(body, LEVEL)


def _header(blob: bytes) -> tuple[dict[str, Any], memoryview]:
    if not blob.startswith(MAGIC) or len(blob) <= len(MAGIC):
        raise RecordsFormatError("not a hadrsim records blob")
    version = blob[len(MAGIC)]
    if version > FORMAT:
        raise RecordsFormatError(f"records format {version}, this hadrsim reads up to "
                                 f"{FORMAT}: upgrade hadrsim")
    body = memoryview(zlib.decompress(blob[len(MAGIC) + 1:]))
    (size,) = struct.unpack_from("<I", body)
    return json.loads(bytes(body[4:4 + size])), body[4 + size:]


def decode_records(blob: bytes) -> Recorder:
    """The :class:`Recorder` :func:`encode_records` was given, value for value."""
    header, buffers = _header(blob)
    recorder = Recorder(horizon_s=header["horizon_s"])
    offset = 0
    for spec in header["sets"]:
        cls = SET_TYPES.get(spec["type"])
        if cls is None or spec.get("version", 1) > SET_VERSIONS[spec["type"]]:
            raise RecordsFormatError(f"record set {spec['type']!r} version "
                                     f"{spec.get('version', 1)} unknown to this hadrsim: "
                                     "written by a newer version")
        columns = {}
        for column in spec["columns"]:
            parts = []
            for length in column["parts"]:
                parts.append(bytes(buffers[offset:offset + length]))
                offset += length
            columns[column["name"]] = _decode_column(column, parts, spec["n"])
        fields = [f for f in cls._fields if f in columns]  # older blobs: later fields default
        values = zip(*(columns[f] for f in fields), strict=True)
        rows = (list(map(cls._make, values)) if len(fields) == len(cls._fields)
                else [cls(**dict(zip(fields, row, strict=True))) for row in values])
        setattr(recorder, spec["name"], OpLog(rows) if spec["name"] == "ops" else rows)
    final = header["final"]
    if final is not None:
        recorder.final = FinalRead(**{**final, "write_ids": frozenset(final["write_ids"]),
                                      "surviving_ranges": _tuples(final["surviving_ranges"])})
    return recorder


def record_frames(recorder: Recorder) -> dict[str, pd.DataFrame]:
    """Every record list as a DataFrame: :meth:`Recorder.frames`, plus ``replicas`` and
    ``final`` (one row; ``write_ids`` as a sorted tuple)."""
    import pandas as pd

    frames = recorder.frames()
    frames["replicas"] = pd.DataFrame(recorder.replicas, columns=list(ReplicaState._fields))
    final = recorder.final
    ids: Any = None if final is None else tuple(sorted(final.write_ids))
    rows = [] if final is None else [final._replace(write_ids=ids)]
    frames["final"] = pd.DataFrame(rows, columns=list(FinalRead._fields))
    return frames
