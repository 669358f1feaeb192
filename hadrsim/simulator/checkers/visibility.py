"""t-visibility (PBS, Bailis et al.): how soon does a read see an acknowledged write?

Probabilistically Bounded Staleness asks: if a read starts ``t`` seconds after
a write was acknowledged, how likely is it to return that write (or a newer
one)? Here it is measured, not modelled, from the client history. Each ok read
``r`` of key ``k`` is paired with the *newest* (greatest-version) acknowledged
write ``w`` to ``k`` that completed before ``r`` was invoked; older writes are
left out, because a read that returns a later overwrite has not failed to see
them. The pair is visible iff ``r.version >= w.version``, and falls in the bin
``[t_i, t_{i+1})`` holding ``r.invoke_s - w.complete_s`` (the last bin is
open-ended). A read with no such write (the key was never acknowledged before
it) makes no pair.

So an invisible pair is exactly a stale read (see :mod:`.consistency`): the
curve spreads the stale-read ratio over time since acknowledgement, and
``P(visible)`` rising to 1 says how long replicas take to catch up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from hadrsim.simulator.checkers._newest import newest_by_key
from hadrsim.simulator.checkers._table import as_table
from hadrsim.simulator.records import ClientOp

DEFAULT_TS: tuple[float, ...] = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Bin starts in seconds: dense where replication lag lives, coarse beyond."""


def t_visibility(
    ops: Iterable[ClientOp], ts: Sequence[float] = DEFAULT_TS, *, across_regions: bool = False
) -> list[tuple[float, int, float]]:
    """``(t, pairs, P(visible))`` per bin start ``t``; ``(t, 0, nan)`` for an empty bin.

    ``ts`` must be strictly increasing. Pairs whose gap is below ``ts[0]`` fall
    in no bin (never, with the default ``ts[0] == 0``: the gap is positive).
    ``across_regions``: only the pairs whose write came from a client in another
    Region than the read's, so the curve is the replication delay between Regions
    (a read in the writer's own Region sees its write almost at once).
    """
    starts = [float(t) for t in ts]
    if not starts or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise ValueError(f"ts must be non-empty and strictly increasing, got {tuple(ts)}")
    table = as_table(ops)
    newest = newest_by_key(table)
    found = newest.found
    if across_regions:
        found = found & (newest.region != table.region[table.ok_read])
    gap = table.invoke[table.ok_read][found] - newest.complete_s[found]
    index = np.searchsorted(np.array(starts), gap, side="right") - 1
    binned = index >= 0
    seen = (table.vrank[table.ok_read][found] >= newest.vrank[found])[binned]
    index = index[binned]
    pairs = np.bincount(index, minlength=len(starts)).tolist()
    visible = np.bincount(index[seen], minlength=len(starts)).tolist()
    return [
        (t, n, seen / n if n else math.nan)
        for t, n, seen in zip(starts, pairs, visible, strict=True)
    ]
