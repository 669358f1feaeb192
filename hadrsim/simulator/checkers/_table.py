"""Columns of a run's client operations, built once and shared by the checkers.

Every checker reads the same few facts of each op (kind, outcome, key, times,
version). Pulled out of tens of thousands of ``ClientOp`` tuples once, into numpy
columns, they let each checker split, sort and search its ops without another
pass over the Python objects (issue 14: the checkers were a fifth of a run's CPU).

An :class:`OpTable` iterates as its ops, so :func:`run_metrics` passes one table
to checkers that accept ``Iterable[ClientOp]``; given a plain iterable, a
checker builds its own (:func:`as_table`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from functools import cached_property
from itertools import chain, compress
from operator import itemgetter
from typing import Any

import numpy as np

from hadrsim.simulator.oplog import (
    Piece,
    as_list,
    as_log,
    floats,
    ints,
    none_mask,
    pick_pieces,
)
from hadrsim.simulator.oplog import codes as piece_codes
from hadrsim.simulator.records import CORRUPT_BASE, ClientOp, Commit
from hadrsim.simulator.vocabulary import OpKind, Outcome, corrupting_fault

_C = {name: i for i, name in enumerate(Commit._fields)}


def codes(values: Sequence[Hashable]) -> tuple[np.ndarray, dict[Hashable, int]]:
    """Dense integer codes of ``values`` in order of first appearance, and the code book."""
    return piece_codes([(len(values), values)])


def ranks(values: Sequence[Any]) -> np.ndarray:
    """Order-preserving integer ranks from 1 (gaps allowed), ``None`` ranked 0."""
    present = [0 if v is None else v for v in values]
    try:
        numbers = np.array(present, dtype=np.int64)
    except OverflowError:  # beyond int64: rank the Python ints themselves
        index = {v: i for i, v in enumerate(sorted(set(present)))}
        numbers = np.fromiter(map(index.__getitem__, present), np.int64, len(present))
    return _rank_ints(numbers, is_none(values))


def _piece_ranks(pieces: Sequence[tuple[int, Piece]]) -> np.ndarray:
    """:func:`ranks` of a field kept in pieces (simulator.oplog)."""
    try:
        numbers = ints(pieces)
    except OverflowError:
        return ranks(list(chain.from_iterable(as_list(n, v) for n, v in pieces)))
    return _rank_ints(numbers, none_mask(pieces))


def _rank_ints(ints: np.ndarray, none: np.ndarray) -> np.ndarray:
    order = np.argsort(ints, kind="stable")
    ordered = ints[order]
    step = np.ones(len(ints), np.int64)
    step[1:] = ordered[1:] != ordered[:-1]
    rank = np.empty(len(ints), np.int64)
    rank[order] = np.cumsum(step)
    rank[none] = 0
    return rank


def is_none(values: Sequence[Any]) -> np.ndarray:
    """Mask of the ``None`` items."""
    return none_mask([(len(values), values)])


def cummax_in_groups(group: np.ndarray, value: np.ndarray, bound: int) -> np.ndarray:
    """Running max of ``value`` (in ``[0, bound)``) restarting with each group.

    Rows must be sorted by ``group`` (non-negative): encoded as ``group * bound +
    value``, a later group always exceeds an earlier one, so one running max serves all.
    """
    return np.maximum.accumulate(group * bound + value)


def last_before(
    w_group: np.ndarray, w_time: np.ndarray, q_group: np.ndarray, q_time: np.ndarray
) -> np.ndarray:
    """For each query, the index of the last row of its group with ``w_time < q_time``.

    The rows must be sorted by ``(w_group, w_time)``; -1 where there is none. A
    merge by ``(group, time)`` in which a query sorts before a row at the same time
    (strictly before, as ``bisect_left``).
    """
    n = len(w_group)
    group = np.concatenate((w_group, q_group))
    time = np.concatenate((w_time, q_time))
    is_query = np.concatenate((np.zeros(n, bool), np.ones(len(q_group), bool)))
    merged = np.lexsort((~is_query, time, group))  # stable: rows keep their order
    row = merged < n
    last = np.maximum.accumulate(np.where(row, merged, -1))
    found = np.empty(len(q_group), np.int64)
    found[merged[~row] - n] = last[~row]
    same = found >= 0
    same[same] = w_group[found[same]] == q_group[same]
    return np.where(same, found, -1)


class OpTable:
    """A run's client ops as numpy columns, with the splits every checker needs."""

    def __init__(self, ops: Iterable[ClientOp]) -> None:
        self.ops = ops = as_log(ops)  # a failure streak stays columns (simulator.oplog)
        self.n = len(ops)
        self._pieces: dict[str, list[tuple[int, Piece]]] = {}
        pieces = self.pieces
        self._kind, self._kind_book = piece_codes(pieces("kind"))
        outcome, outcomes = piece_codes(pieces("outcome"))
        self.write = self._kind == self._kind_book.get(OpKind.WRITE, -1)
        self.read = self._kind == self._kind_book.get(OpKind.READ, -1)
        self.ok = outcome == outcomes.get(Outcome.OK, -1)
        self.unknown = outcome == outcomes.get(Outcome.UNKNOWN, -1)
        self.invoke = floats(pieces("invoke_s"))
        self.complete = floats(pieces("complete_s"))
        self.key, self.key_book = piece_codes(pieces("key"))
        self.n_keys = len(self.key_book)
        self.region, self.region_index = piece_codes(pieces("client_region"))
        client, clients = piece_codes(pieces("client"))
        # a client is (client, client_region); codes need not be dense, only distinct
        self.client = client * len(self.region_index) + self.region
        self.n_clients = len(clients) * len(self.region_index)
        self.vrank = _piece_ranks(pieces("version"))
        self.has_version = self.vrank > 0
        self.n_ranks = int(self.vrank.max(initial=0)) + 1
        self.memo: dict[str, Any] = {}  # results several checkers share

    @cached_property
    def values(self) -> list[Any]:
        """Each op's ``value``, in record order."""
        return list(chain.from_iterable(as_list(n, v) for n, v in self.pieces("value")))

    @cached_property
    def region_names(self) -> list[Any]:
        """The client Regions, by their code in :attr:`region`."""
        return list(self.region_index)

    def __iter__(self) -> Iterator[ClientOp]:
        return iter(self.ops)

    def __len__(self) -> int:
        return self.n

    def kind(self, kind: str) -> np.ndarray:
        """Mask of the ops of ``kind``."""
        if kind == OpKind.WRITE:
            return self.write
        if kind == OpKind.READ:
            return self.read
        return self._kind == self._kind_book.get(kind, -1)

    @cached_property
    def acked(self) -> np.ndarray:
        """Mask of acknowledged writes (the client saw ``ok``)."""
        return self.write & self.ok

    @cached_property
    def ok_read(self) -> np.ndarray:
        """Mask of ok reads."""
        return self.read & self.ok

    def pick(self, items: Sequence[Any], mask: np.ndarray) -> list[Any]:
        """The items (aligned with the ops) where ``mask`` holds, in record order (the
        ops themselves made into rows only there)."""
        if items is self.ops:
            return self.ops.pick(mask.tolist())
        return list(compress(items, mask.tolist()))

    def pieces(self, name: str) -> list[tuple[int, Piece]]:
        """The ``name`` field as the log keeps it (:meth:`OpLog.pieces`), made once."""
        found = self._pieces.get(name)
        if found is None:
            found = self._pieces[name] = self.ops.pieces(name)
        return found

    def field(self, name: str, mask: np.ndarray) -> list[Any]:
        """The ``name`` field of the ops where ``mask`` holds, in record order (a
        failure streak's block is read only if the mask selects in it)."""
        return pick_pieces(self.pieces(name), mask)

    def at(self, name: str, rows: np.ndarray) -> list[Any]:
        """The ``name`` field of the ops at ``rows`` (distinct indices), in that order."""
        mask = np.zeros(self.n, bool)
        mask[rows] = True
        picked = self.field(name, mask)  # in record order
        out: list[Any] = [None] * len(rows)
        for j, i in enumerate(np.argsort(rows, kind="stable").tolist()):
            out[i] = picked[j]
        return out

    @cached_property
    def value_ints(self) -> np.ndarray | None:
        """Each op's ``value`` as int64 (None as 0); None if one is beyond int64."""
        try:
            return ints(self.pieces("value"))
        except OverflowError:
            return None

    @cached_property
    def has_value(self) -> np.ndarray:
        """Mask of the ops whose ``value`` is not None."""
        return ~none_mask(self.pieces("value"))

    @cached_property
    def owner(self) -> np.ndarray:
        """Per op, the fault whose corruption wrote its value; -1 for none."""
        values = self.value_ints
        if values is None:  # ids beyond int64 are never corrupt ones: ask each
            return np.fromiter((-1 if (f := corrupting_fault(v)) is None else f
                                for v in self.values), np.int64, self.n)
        return np.where(values < 0, -values // CORRUPT_BASE, -1)

    def by_client(self, rows: np.ndarray) -> list[np.ndarray]:
        """``rows`` (op indices in record order) split by client, each in record order."""
        rows = rows[np.argsort(self.client[rows], kind="stable")]
        cuts = np.flatnonzero(np.diff(self.client[rows])) + 1
        return [mine for mine in np.split(rows, cuts) if len(mine)]

    def map_values(self, test: Callable[[Any], bool], mask: np.ndarray) -> np.ndarray:
        """``test(value)`` of the ops in ``mask``, False elsewhere."""
        out = np.zeros(self.n, bool)
        out[mask] = np.fromiter(map(test, self.field("value", mask)), bool, int(mask.sum()))
        return out


def as_table(ops: Iterable[ClientOp]) -> OpTable:
    """``ops`` itself if it is a table already, else a new one."""
    return ops if isinstance(ops, OpTable) else OpTable(ops)


class CommitTable:
    """A run's commit batches as columns; it iterates as the batches themselves.

    ``ids`` holds every batch's observed write ids end to end, ``batch`` the
    index of the batch each came from.
    """

    def __init__(self, commits: Iterable[Commit]) -> None:
        self.commits = commits = list(commits)
        n = self.n = len(commits)

        def column(name: str, dtype: type) -> np.ndarray:
            return np.fromiter(map(itemgetter(_C[name]), commits), dtype, n)

        self.time_s = column("time_s", float)
        self.timeline = column("timeline", np.int64)
        self.lsn_to = column("lsn_to", np.int64)
        self.writes = column("writes", np.int64)
        self.write_ids = list(map(itemgetter(_C["write_ids"]), commits))
        self.sizes = np.fromiter(map(len, self.write_ids), np.int64, n)
        self.ids = list(chain.from_iterable(self.write_ids))
        self.batch = np.repeat(np.arange(n), self.sizes)

    def ids_of(self, batches: np.ndarray) -> list[int]:
        """The write ids of the batches in the mask ``batches``, in record order."""
        return list(compress(self.ids, batches[self.batch].tolist()))

    def __iter__(self) -> Iterator[Commit]:
        return iter(self.commits)

    def __len__(self) -> int:
        return self.n


def as_commits(commits: Iterable[Commit]) -> CommitTable:
    """``commits`` itself if it is a table already, else a new one."""
    return commits if isinstance(commits, CommitTable) else CommitTable(commits)
