"""A run's client operations: rows as they come, failure streaks as columns.

A long outage makes millions of identical failed calls (a client retries every half
second for hours). Kept as :class:`ClientOp` tuples, each costs a Python object to
build, hash and read back, and those objects were most of a long compound run's time
(issue 14). Kept as one :class:`OpBlock` of columns per streak chunk, they cost a few
array operations.

An :class:`OpLog` is the sequence of ``ClientOp`` in record order either way:
iterating, indexing or comparing it gives the rows (a block's rows are made on
demand, once). :meth:`OpLog.columns` gives each field's values in order without
making rows: that is what the checkers' tables, the history hash and the records
store read, so a block never becomes rows unless something asks for the rows.
:meth:`OpLog.pieces` gives a field part by part as it is kept (a block's numpy array
or :class:`Same`), and :func:`floats`, :func:`codes` and :func:`none_mask` turn those
into numpy columns with no Python work per call of a block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, compress, repeat
from operator import is_, itemgetter
from typing import Any, overload

import numpy as np

from hadrsim.simulator.records import ClientOp

FIELDS = ClientOp._fields
_INDEX = {name: i for i, name in enumerate(FIELDS)}


class Same:
    """A column whose every value is ``value`` (a block's client, its Region...)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class Pick:
    """A column of a few distinct values: call ``i``'s is ``choices[index[i]]`` (a streak
    of writes and reads: each call's kind, outcome, error)."""

    __slots__ = ("choices", "index")

    def __init__(self, choices: Sequence[Any], index: np.ndarray):
        self.choices = tuple(choices)
        self.index = index

    def mapped(self, values: Sequence[Any], dtype: Any) -> np.ndarray:
        """Each call's entry of ``values`` (one per choice), as an array."""
        return np.asarray(values, dtype)[self.index]


Piece = Sequence[Any] | np.ndarray | Same | Pick
"""One part's values of one field: a sequence (a list), a 1-d numpy array, :class:`Same`
or :class:`Pick`."""


def as_list(n: int, values: Piece) -> list[Any]:
    """A piece's ``n`` values as a list of Python values."""
    if isinstance(values, Same):
        return [values.value] * n
    if isinstance(values, Pick):
        return list(map(values.choices.__getitem__, values.index.tolist()))
    if isinstance(values, np.ndarray):
        return values.tolist()
    return values if isinstance(values, list) else list(values)


class OpBlock:
    """``n`` calls as columns, one per :class:`ClientOp` field in field order: a list or
    1-d numpy array of ``n`` values, :class:`Same` when every call has the same value, or
    :class:`Pick` among a few. A numpy array's values read back as Python values."""

    __slots__ = ("n", "fields")

    def __init__(self, n: int, fields: Sequence[Piece]):
        if len(fields) != len(FIELDS):
            raise ValueError(f"an OpBlock has {len(FIELDS)} columns, got {len(fields)}")
        self.n = n
        self.fields = tuple(fields)

    def __len__(self) -> int:
        return self.n

    def column(self, i: int) -> list[Any]:
        return as_list(self.n, self.fields[i])

    def rows(self) -> list[ClientOp]:
        return list(map(ClientOp._make, zip(*(self.column(i) for i in range(len(FIELDS))),
                                            strict=True)))


class OpLog(Sequence[ClientOp]):
    """The client operations of a run in record order (see the module docstring).

    ``append`` is the tail list's own ``append`` (the hot path of every call).
    """

    def __init__(self, ops: Iterable[ClientOp] = ()):
        self._parts: list[list[ClientOp] | OpBlock] = []  # sealed, in order
        self._sealed = 0  # ops in the sealed parts
        self._tail: list[ClientOp] = list(ops)
        self.append = self._tail.append
        self._flat: list[ClientOp] = []  # rows made so far, of the first parts
        self._flat_parts = 0

    def extend(self, ops: Iterable[ClientOp] | OpBlock) -> None:
        """Append ``ops`` (rows, or a block kept as its columns)."""
        if isinstance(ops, OpBlock):
            self.add_block(ops)
        else:
            self._tail.extend(ops)

    def __iadd__(self, ops: Iterable[ClientOp]) -> OpLog:
        self.extend(ops)
        return self

    def add_block(self, block: OpBlock) -> None:
        """Append ``block``'s calls after everything recorded so far."""
        if self._tail:
            self._parts.append(self._tail)
            self._sealed += len(self._tail)
            self._tail = []
            self.append = self._tail.append
        self._parts.append(block)
        self._sealed += block.n

    def __len__(self) -> int:
        return self._sealed + len(self._tail)

    def _all(self) -> list[list[ClientOp] | OpBlock]:
        return [*self._parts, self._tail]

    def __iter__(self) -> Iterator[ClientOp]:
        if not self._parts:
            return iter(self._tail)
        return iter(self.rows())

    def _sealed_rows(self) -> list[ClientOp]:
        """The sealed parts as rows (blocks made into rows once; later calls add what
        was sealed since)."""
        flat = self._flat
        for part in self._parts[self._flat_parts:]:
            flat.extend(part.rows() if isinstance(part, OpBlock) else part)
        self._flat_parts = len(self._parts)
        return flat

    def rows(self) -> list[ClientOp]:
        """Every op as a row."""
        if not self._parts:
            return self._tail
        return self._sealed_rows() + self._tail

    @overload
    def __getitem__(self, index: int) -> ClientOp: ...
    @overload
    def __getitem__(self, index: slice) -> list[ClientOp]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.rows()[index]
        if index < 0:
            index += len(self)
        if index >= self._sealed:
            return self._tail[index - self._sealed]
        if index < 0:
            raise IndexError("OpLog index out of range")
        return self._sealed_rows()[index]

    def __setitem__(self, index, value) -> None:
        """As a list's (the rows are made, changed, and kept as rows)."""
        rows = list(self.rows())
        rows[index] = value
        self.__init__(rows)  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OpLog | list | tuple):
            return self.rows() == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"OpLog({len(self)} ops)"

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self._parts, self._tail)

    def column(self, name: str) -> list[Any]:
        """One field's values over every op, in order, without making rows."""
        i = _INDEX[name]
        get = itemgetter(i)
        return list(chain.from_iterable(
            part.column(i) if isinstance(part, OpBlock) else map(get, part)
            for part in self._all()))

    def pieces(self, name: str) -> list[tuple[int, Piece]]:
        """One field's values part by part, in order, as each part keeps them: ``(n,
        values)``; rows give a list. Empty parts are left out."""
        i = _INDEX[name]
        get = itemgetter(i)
        return [(part.n, part.fields[i]) if isinstance(part, OpBlock)
                else (len(part), list(map(get, part))) for part in self._all() if len(part)]

    def columns(self) -> list[Sequence[Any]]:
        """Each field's values over every op, in field order; no columns when empty
        (as ``zip(*rows)``, which it is when the log holds rows only)."""
        if not len(self):
            return []
        if not self._parts:
            return list(zip(*self._tail, strict=True))
        per_part = [[part.column(i) for i in range(len(FIELDS))] if isinstance(part, OpBlock)
                    else list(zip(*part, strict=True)) for part in self._all() if len(part)]
        return [list(chain.from_iterable(columns[i] for columns in per_part))
                for i in range(len(FIELDS))]

    def pick(self, mask: Sequence[bool]) -> list[ClientOp]:
        """The ops where ``mask`` (aligned with the ops) holds, as rows; a block is made
        into rows only where it has one."""
        out: list[ClientOp] = []
        start = 0
        for part in self._all():
            n = len(part)
            mine = mask[start:start + n]
            start += n
            if not any(mine):
                continue
            out.extend(compress(part.rows() if isinstance(part, OpBlock) else part, mine))
        return out


def _rebuild(parts: list[list[ClientOp] | OpBlock], tail: list[ClientOp]) -> OpLog:
    log = OpLog()
    for part in (*parts, tail):
        log.extend(part)
    return log


def pick_pieces(pieces: Sequence[tuple[int, Piece]], mask: np.ndarray) -> list[Any]:
    """The values where ``mask`` (a bool array over all the pieces) holds, in order; a
    piece with none selected costs nothing."""
    out: list[Any] = []
    start = 0
    for n, values in pieces:
        mine = mask[start:start + n]
        start += n
        chosen = int(np.count_nonzero(mine))
        if not chosen:
            continue
        if isinstance(values, Same):
            out.extend([values.value] * chosen)
        elif isinstance(values, Pick):
            out.extend(map(values.choices.__getitem__, values.index[mine].tolist()))
        elif isinstance(values, np.ndarray):
            out.extend(values[mine].tolist())
        else:
            out.extend(compress(values, mine.tolist()))
    return out


def floats(pieces: Sequence[tuple[int, Piece]]) -> np.ndarray:
    """The pieces end to end as one float array."""
    return np.concatenate([np.full(n, values.value, float) if isinstance(values, Same)
                           else values.mapped(values.choices, float)
                           if isinstance(values, Pick)
                           else np.asarray(values, float) for n, values in pieces]
                          or [np.zeros(0)])


SHORT = 256
"""A piece shorter than this is coded together with its neighbours (:func:`_short_codes`):
numpy's per-call overhead (``np.unique`` and friends) exceeds a short piece's own work,
and a run's steady windows leave hundreds of short pieces."""


def codes(pieces: Sequence[tuple[int, Piece]]) -> tuple[np.ndarray, dict[Any, int]]:
    """Dense integer codes of the values in order of first appearance, and the code book
    (value -> code; equal values share a code, as dict keys do)."""
    book: dict[Any, int] = {}
    out: list[np.ndarray] = []
    short: list[tuple[int, Piece]] = []  # consecutive short or listed pieces
    for n, values in pieces:
        if n < SHORT or not isinstance(values, Same | Pick | np.ndarray):
            short.append((n, values))
            continue
        if short:
            out.append(_short_codes(short, book))
            short = []
        if isinstance(values, Same):
            out.append(np.full(n, book.setdefault(values.value, len(book)), np.int64))
        elif isinstance(values, Pick):
            local = np.zeros(len(values.choices), np.int64)
            for j in _in_order_of_appearance(values.index, len(values.choices)).tolist():
                local[j] = book.setdefault(values.choices[j], len(book))
            out.append(local[values.index])
        elif values.dtype.kind in "iu" and values.min() >= 0 and values.max() < 4 * n + 1024:
            local = np.zeros(int(values.max()) + 1, np.int64)  # small non-negative ints
            for j in _in_order_of_appearance(values, len(local)).tolist():
                local[j] = book.setdefault(j, len(book))
            out.append(local[values])
        elif values.dtype != object:
            unique, first, inverse = np.unique(values, return_index=True, return_inverse=True)
            local = np.empty(len(unique), np.int64)
            for j in np.argsort(first, kind="stable").tolist():  # in order of appearance
                local[j] = book.setdefault(unique[j].item(), len(book))
            out.append(local[inverse.reshape(-1)])
        else:
            out.append(_list_codes(values.tolist(), book))
    if short:
        out.append(_short_codes(short, book))
    return np.concatenate(out or [np.zeros(0, np.int64)]), book


_FEW = 64
"""Fewer values than this in a run of short pieces: one dict pass over them is cheaper."""


def _short_codes(pieces: list[tuple[int, Piece]], book: dict[Any, int]) -> np.ndarray:
    """:func:`codes` of consecutive short pieces, with Python work per piece, not per
    value (a simulated year's steady windows leave ~300 pieces of ~170 calls in each
    field: a dict pass over every value was a sixth of its checkers' time).

    Every value of a piece is an id into one list of candidates: a pick's or a same's
    choices, a list's distinct values (a dict pass: lists are the few calls recorded one
    by one) and, for all integer arrays together, the range of their values. The ids
    taken, in order of first appearance, go through the book; equal candidates meet
    there, so the codes are those of one dict pass over all the values.
    """
    total = sum(n for n, _values in pieces)
    arrays = [values for _n, values in pieces if isinstance(values, np.ndarray) and len(values)]
    if (total < _FEW or any(a.dtype.kind not in "iu" for a in arrays)
            or all(not isinstance(values, Same | Pick | np.ndarray) for _n, values in pieces)):
        return _values_codes(pieces, book)
    low = min((int(a.min()) for a in arrays), default=0)  # the integers' candidates: from 0
    high = max((int(a.max()) for a in arrays), default=-1)
    if high - low > 4 * total + 1024 or max(abs(low), abs(high)) >= 2**62:  # sparse
        return _values_codes(pieces, book)
    candidates: list[Any] = list(range(low, high + 1))
    parts: list[np.ndarray] = []
    for n, values in pieces:
        base = len(candidates)
        if isinstance(values, Same):
            candidates.append(values.value)
            parts.append(np.full(n, base, np.int64))
        elif isinstance(values, Pick):
            candidates.extend(values.choices)
            parts.append(values.index + base)
        elif isinstance(values, np.ndarray):
            parts.append(values.astype(np.int64) - low)
        else:
            seen = {value: i for i, value in enumerate(dict.fromkeys(values))}
            candidates.extend(seen)
            parts.append(np.fromiter(map(seen.__getitem__, values), np.int64, n) + base)
    ids = np.concatenate(parts)
    table = np.zeros(len(candidates), np.int64)
    for i in _in_order_of_appearance(ids, len(candidates)).tolist():
        table[i] = book.setdefault(candidates[i], len(book))
    return table[ids]


def _values_codes(pieces: list[tuple[int, Piece]], book: dict[Any, int]) -> np.ndarray:
    """The pieces' values end to end, coded by one dict pass."""
    return _list_codes(list(chain.from_iterable(as_list(n, v) for n, v in pieces)), book)


def _in_order_of_appearance(index: np.ndarray, size: int) -> np.ndarray:
    """The distinct values of ``index`` (ints in ``[0, size)``) in order of first
    appearance: each value's first position by one ``minimum.at``, no sort of ``index``
    (``np.unique`` sorts it: 30x slower on a long failure streak's column)."""
    first = np.full(size, len(index), np.int64)
    np.minimum.at(first, index, np.arange(len(index)))
    used = np.flatnonzero(first < len(index))
    return used[np.argsort(first[used], kind="stable")]


def _list_codes(values: list[Any], book: dict[Any, int]) -> np.ndarray:
    for value in dict.fromkeys(values):  # new values take codes in order of appearance
        book.setdefault(value, len(book))
    return np.fromiter(map(book.__getitem__, values), np.int64, len(values))


def none_mask(pieces: Sequence[tuple[int, Piece]]) -> np.ndarray:
    """Mask of the ``None`` values."""
    out = []
    for n, values in pieces:
        if isinstance(values, Same):
            out.append(np.full(n, values.value is None))
        elif isinstance(values, Pick):
            out.append(values.mapped([c is None for c in values.choices], bool))
        elif isinstance(values, np.ndarray):
            # an object column holds ids and None (a streak's writes and reads): == None
            # is identity for those, and numpy's loop is 3x faster than one in Python
            out.append(np.zeros(n, bool) if values.dtype != object
                       else values == None)  # noqa: E711 - elementwise, in numpy
        else:
            out.append(np.fromiter(map(is_, values, repeat(None)), bool, n))
    return np.concatenate(out or [np.zeros(0, bool)])


def ints(pieces: Sequence[tuple[int, Piece]]) -> np.ndarray:
    """The values as one int64 array, ``None`` as 0; OverflowError beyond int64."""
    out = []
    for n, values in pieces:
        if isinstance(values, Same):
            out.append(np.full(n, 0 if values.value is None else values.value, np.int64))
        elif isinstance(values, Pick):
            out.append(values.mapped([0 if c is None else c for c in values.choices],
                                     np.int64))
        elif isinstance(values, np.ndarray) and values.dtype != object:
            out.append(values.astype(np.int64, copy=False))
        elif isinstance(values, np.ndarray):  # ids and None (see none_mask)
            present = values != None  # noqa: E711 - elementwise, in numpy
            column = np.zeros(n, np.int64)
            column[present] = values[present].astype(np.int64)
            out.append(column)
        else:
            out.append(np.array([0 if v is None else v for v in values], np.int64))
    return np.concatenate(out or [np.zeros(0, np.int64)])


def as_log(ops: Iterable[ClientOp]) -> OpLog:
    """``ops`` itself if it is an OpLog, else a new one holding them."""
    return ops if isinstance(ops, OpLog) else OpLog(ops)

