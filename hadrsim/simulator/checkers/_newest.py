"""Index: the newest acknowledged write completed before an instant.

Stale reads, read-your-writes and t-visibility all ask the same question of a
read invoked at ``t``: which acknowledged write was the newest (greatest
version) among those the client could know had committed, i.e. completed
strictly before ``t``? Sorting each group's writes by completion once and
keeping a running maximum answers it for every read in one merge, so checking
``n`` reads costs O(n log n) rather than a scan of the writes per read.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from hadrsim.simulator.checkers._table import OpTable, cummax_in_groups, last_before
from hadrsim.simulator.records import ClientOp
from hadrsim.simulator.vocabulary import OpKind, Outcome

NO_VERSION = -math.inf
"""The rank of a read that found the key empty: older than any write."""


def version_rank(op: ClientOp) -> float:
    """The op's version for ordering; a missing version is older than any write."""
    return NO_VERSION if op.version is None else op.version


def is_ok_read(op: ClientOp) -> bool:
    """A read that returned a value (or the key's emptiness) to its client."""
    return op.kind == OpKind.READ and op.outcome == Outcome.OK


class Newest(NamedTuple):
    """For each ok read (record order): whether an acknowledged write of its group
    completed before it, and the newest such write's version rank, completion and
    client Region (its code in ``OpTable.region``; -1 where none was found)."""

    found: np.ndarray
    vrank: np.ndarray
    complete_s: np.ndarray
    region: np.ndarray


def newest_before(table: OpTable, group: np.ndarray) -> Newest:
    """:class:`Newest` with writes and reads grouped by ``group`` (a code per op).

    Writes without a version are skipped: the database acknowledged them
    without a position, so there is no order to compare a read against. On
    equal versions the later completion is kept: the newest acknowledgement.
    """
    writes = table.acked & table.has_version
    w_group, w_time, w_rank = group[writes], table.complete[writes], table.vrank[writes]
    order = np.lexsort((w_rank, w_time, w_group))
    w_group, w_time, w_rank = w_group[order], w_time[order], w_rank[order]
    w_region = table.region[writes][order]
    combined = w_group * table.n_ranks + w_rank
    # A write becomes the group's top when its version is >= every earlier one.
    is_top = combined == cummax_in_groups(w_group, w_rank, table.n_ranks)
    top = np.maximum.accumulate(np.where(is_top, np.arange(len(order)), -1))
    reads = table.ok_read
    found = last_before(w_group, w_time, group[reads], table.invoke[reads])
    has = found >= 0
    best = top[found[has]]
    vrank = np.zeros(len(found), np.int64)
    complete_s = np.zeros(len(found))
    region = np.full(len(found), -1, np.int64)
    vrank[has], complete_s[has], region[has] = w_rank[best], w_time[best], w_region[best]
    return Newest(has, vrank, complete_s, region)


def newest_by_key(table: OpTable) -> Newest:
    """:func:`newest_before` over all clients' writes to the read's key (memoised)."""
    if "newest_by_key" not in table.memo:
        table.memo["newest_by_key"] = newest_before(table, table.key)
    return table.memo["newest_by_key"]
