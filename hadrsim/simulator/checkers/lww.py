"""Last-writer-wins anomalies: concurrent writes and silently overwritten updates.

Multi-active designs (DynamoDB Global Tables) accept writes in every region
and settle conflicts by timestamp: the write with the greater version wins and
the other vanishes without an error. The client history shows it through
``ClientOp.prev``: for an acknowledged write, the write id it replaced at the
node that applied it (DynamoDB's ``ReturnValues=ALL_OLD``; ``None`` if the key
was empty there).

- *Conflict*: two acknowledged writes to one key with the same ``prev`` from
  different client regions. Both replaced the same value, so neither saw the
  other: they were concurrent, and last-writer-wins will discard one. Two
  writes into an empty key (``prev`` both ``None``) conflict too. Pairs from
  one client region are not counted: the metric is about the cross-region
  conflicts that replication settles by last-writer-wins, not local races.
- *Lost update*: an acknowledged write that no later write replaced
  *knowingly* and that is not the key's final value. "Visible to a later read",
  in this project's definition, means visible to the read-modify-write that
  replaced it: the overwrite's ``prev`` is that read. A write that was
  overwritten without ever being seen is lost even though it was acknowledged.
  In a single-writer history each write's ``prev`` is the previous write, so
  nothing is lost; the last write to a key is its final value.

Indeterminate writes are treated as Jepsen's Elle treats them: a lost update
is reported only when no interpretation of them explains the history. Only
acknowledged writes carry ``prev`` (a timed-out write's reply never arrived),
so a write whose outcome is unknown may have applied and knowingly replaced
any write to its key; so may a write the history never observed but whose id
an acknowledged write's ``prev`` names (another writer, an injected
corruption). Each such write replaced exactly one value, so per key the lost
updates are the writes no acknowledged write replaced, minus the writes that
may have (never below 0). Their count is reported separately
(``indeterminate_writes``, :func:`indeterminate_writes`).

A write the surviving log never held (``discarded``: its commit batch fell
outside the final read's surviving ranges, say with an asynchronous replica
promoted without it) was not overwritten but lost with its branch of the log;
RPO counts it, from the final read, and it is not a lost update here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from itertools import combinations, compress
from operator import eq
from typing import Any

import numpy as np

from hadrsim.simulator.checkers._table import OpTable, as_table, codes, is_none
from hadrsim.simulator.records import ClientOp


def _pairs(group: np.ndarray) -> int:
    """Pairs of rows sharing a group code."""
    counts = np.unique(group, return_counts=True)[1]
    return int((counts * (counts - 1) // 2).sum())


def lww_conflicts(ops: Iterable[ClientOp]) -> int:
    """Pairs of acknowledged writes to one key with one ``prev`` from different client regions."""
    table = as_table(ops)
    acked = table.acked
    prev, prevs = codes(table.field("prev", acked))
    same_prev = table.key[acked] * max(len(prevs), 1) + prev
    # all pairs sharing (key, prev), less those also sharing the client region
    n_regions = len(table.region_index)
    return _pairs(same_prev) - _pairs(same_prev * n_regions + table.region[acked])


def lww_conflict_pairs(ops: Iterable[ClientOp]) -> list[tuple[ClientOp, ClientOp]]:
    """The pairs :func:`lww_conflicts` counts, each ``(first, second)`` by acknowledgement
    time, in the order of their first write's acknowledgement: to show them as rows."""
    table = as_table(ops)
    groups: dict[tuple[Any, Any], list[ClientOp]] = {}
    for op in table.pick(table.ops, table.acked):
        groups.setdefault((op.key, op.prev), []).append(op)
    pairs = [(a, b) for group in groups.values() if len(group) > 1
             for a, b in combinations(sorted(group, key=_acked_at), 2)
             if a.client_region != b.client_region]
    return sorted(pairs, key=lambda pair: (pair[0].complete_s, pair[1].complete_s))


def _acked_at(op: ClientOp) -> float:
    return op.complete_s


def _final_values(table: OpTable, mask: np.ndarray) -> dict[int, int | None]:
    """:func:`final_values_by_version` of the ops in ``mask``."""
    rows = np.flatnonzero(mask)
    key = table.key[rows]
    # stable: among equal (version, completion) the later record wins, as with ">="
    order = rows[np.lexsort((table.complete[rows], table.vrank[rows], key))]
    key = table.key[order]
    last = order[np.append(key[1:] != key[:-1], True)] if len(order) else order
    return dict(zip(table.at("key", last), table.at("value", last), strict=True))


def final_values_by_version(ops: Iterable[ClientOp]) -> dict[int, int | None]:
    """Per key, the acknowledged write with the greatest version: what LWW keeps.

    Equal versions (which a correct design never produces) go to the later
    acknowledgement.
    """
    table = as_table(ops)
    return _final_values(table, table.acked)


def indeterminate_writes(ops: Iterable[ClientOp]) -> int:
    """Writes whose outcome is unknown (timed out): they may or may not have applied."""
    table = as_table(ops)
    return int(np.count_nonzero(table.write & table.unknown))


def lost_updates(
    ops: Iterable[ClientOp],
    final_values: Mapping[int, int | None] | None = None,
    discarded: Collection[int] = frozenset(),
) -> int:
    """Acknowledged writes no interpretation of the history shows knowingly replaced.

    ``final_values`` maps a key to the write id that survived (a key it does not
    list holds no observed write); ``None`` takes :func:`final_values_by_version`.
    ``discarded`` lists write ids lost with their branch of the log (RPO's, not
    lost updates).
    """
    table = as_table(ops)
    has_value = table.has_value
    mask = table.acked & has_value
    keys, values = table.field("key", mask), table.field("value", mask)
    prevs = table.field("prev", mask)
    acked_ids = set(values)
    replaced = set(prevs)
    replaced.discard(None)
    final = _final_values(table, mask) if final_values is None else final_values
    kept = _holds(replaced, values) | _holds(discarded, values)
    kept |= np.fromiter(map(eq, map(final.get, keys), values), bool, len(values))
    suspects = Counter(compress(keys, (~kept).tolist()))
    if not suspects:
        return 0
    # Writes that may have replaced a value unseen: indeterminate ones, and
    # writes outside the observed history that an acknowledged write replaced.
    outside = (~is_none(prevs) & ~_holds(acked_ids, prevs)).tolist()
    maybe = _maybe_replaced(table, table.write & table.unknown & has_value,
                            list(compress(keys, outside)), list(compress(prevs, outside)))
    return sum(max(0, n - maybe.get(key, 0)) for key, n in suspects.items())


def _maybe_replaced(table: OpTable, unknown: np.ndarray, keys: list[Any], prevs: list[Any]
                    ) -> dict[Any, int]:
    """Per key, how many distinct values may have replaced one unseen: the ``unknown``
    writes' and the ``prevs`` (of ``keys``) from outside the history. With numbers, by
    sorting: a long outage leaves hundreds of thousands of indeterminate writes."""
    numbers = table.value_ints
    try:
        outside = np.array(prevs, np.int64)
    except (OverflowError, TypeError):
        numbers = None
    if numbers is None:  # ids beyond int64: the values themselves
        maybe: dict[Any, set[Any]] = {}
        for key, value in zip([*table.field("key", unknown), *keys],
                              [*table.field("value", unknown), *prevs], strict=True):
            maybe.setdefault(key, set()).add(value)
        return {key: len(values) for key, values in maybe.items()}
    book = table.key_book
    key = np.concatenate((table.key[unknown], np.array([book[k] for k in keys], np.int64)))
    value = np.concatenate((numbers[unknown], outside))
    order = np.lexsort((value, key))
    key, value = key[order], value[order]
    new = np.ones(len(key), bool)
    new[1:] = (key[1:] != key[:-1]) | (value[1:] != value[:-1])
    codes, counts = np.unique(key[new], return_counts=True)
    names = dict(zip(book.values(), book.keys(), strict=True))
    return {names[c]: n for c, n in zip(codes.tolist(), counts.tolist(), strict=True)}


def _holds(collection: Collection[Any], items: list[Any]) -> np.ndarray:
    """Mask of the ``items`` in ``collection``."""
    return np.fromiter(map(collection.__contains__, items), bool, len(items))
