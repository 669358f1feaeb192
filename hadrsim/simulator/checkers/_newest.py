"""Index: the newest acknowledged write completed before an instant.

Stale reads, read-your-writes and t-visibility all ask the same question of a
read invoked at ``t``: which acknowledged write was the newest (greatest
version) among those the client could know had committed, i.e. completed
strictly before ``t``? Sorting each group's writes by completion once and
keeping a running maximum answers it by bisection, so checking ``n`` reads
costs O(n log n) rather than a scan of the writes per read.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable

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


class NewestWrites:
    """Acknowledged writes grouped by ``group(op)``, answering "newest before t".

    Writes without a version are skipped: the database acknowledged them
    without a position, so there is no order to compare a read against.
    """

    __slots__ = ("_best", "_complete")

    def __init__(self, ops: Iterable[ClientOp], group: Callable[[ClientOp], Hashable]) -> None:
        groups: dict[Hashable, list[tuple[float, int]]] = {}
        for op in ops:
            if op.kind == OpKind.WRITE and op.outcome == Outcome.OK and op.version is not None:
                groups.setdefault(group(op), []).append((op.complete_s, op.version))
        self._complete: dict[Hashable, list[float]] = {}
        self._best: dict[Hashable, list[tuple[int, float]]] = {}
        for name, writes in groups.items():
            writes.sort()
            self._complete[name] = [complete_s for complete_s, _ in writes]
            best: list[tuple[int, float]] = []
            top: tuple[int, float] | None = None
            for complete_s, version in writes:
                # On equal versions keep the later completion: the newest acknowledgement.
                if top is None or version >= top[0]:
                    top = (version, complete_s)
                best.append(top)
            self._best[name] = best

    def before(self, name: Hashable, t: float) -> tuple[int, float] | None:
        """``(version, complete_s)`` of the newest write in ``name`` completed before ``t``."""
        complete = self._complete.get(name)
        if complete is None:
            return None
        index = bisect_left(complete, t)
        return self._best[name][index - 1] if index else None
