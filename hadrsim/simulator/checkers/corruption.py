"""Recovery from logical corruption: clients write again *and* no read returns corrupt data.

Corrupt data is recognisable in the records: a corrupting write carries a
negative id, ``-(fault_id * CORRUPT_BASE + key)``, so a read that returns one,
and a final read that still holds one, name the fault that wrote it. For the
episode of such a fault (and for any episode whose window holds corrupt reads
no fault's id explains):

- each surviving client has recovered at the first clean read (ok, not
  corrupt) invoked after its last corrupt read completed in the window; a client
  whose last read in the window was corrupt is censored at the window's end;
- if the final read still holds the fault's corrupt writes, the corruption was
  never undone (no restore point, or no restore before the end of the run):
  the episode is unrecovered and censored at its window's end, whatever the
  reads said (clients overwriting the corrupt keys do not repair the data).

The episode then recovers at the later of this and its write RTO
(:func:`combine`): "recovered" means writes succeed again and the corruption
is gone, so a design with no restore point can never score RTO 0.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

import numpy as np

from hadrsim.simulator.checkers._table import OpTable, as_table
from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.checkers.rto import _ClientLog
from hadrsim.simulator.records import ClientOp, FinalRead
from hadrsim.simulator.vocabulary import corrupting_fault
from hadrsim.spec.faults import Faults


def corrupt_owners(final: FinalRead) -> frozenset[int]:
    """The faults whose corrupt writes the final read still holds."""
    if not final.write_ids or min(final.write_ids) >= 0:
        return frozenset()  # the common case, without a call per id
    return frozenset(f for v in final.write_ids if (f := corrupting_fault(v)) is not None)


def corruption_rto(
    ops: Iterable[ClientOp], episode: Episode, final: FinalRead, fault_ids: frozenset[int]
) -> tuple[float, bool] | None:
    """``(rto_s, recovered)`` of the corruption rule, or None when it does not apply.

    ``fault_ids`` are the run's fault ids: a corrupt value naming one of them is
    that fault's; one naming none is charged to the window it was read in.
    """
    return episode_corruption_rto(as_table(ops), episode, corrupt_owners(final), fault_ids)


def episode_corruption_rto(
    table: OpTable, episode: Episode, still_corrupt: Collection[int], fault_ids: frozenset[int]
) -> tuple[float, bool] | None:
    """:func:`corruption_rto` given :func:`corrupt_owners` of the final read."""
    window = (episode.start_s, episode.window_end_s)
    if episode.fault_id in still_corrupt:
        return window[1] - window[0], False
    dead = [table.region_index[r] for r in episode.affected_locations if r in table.region_index]
    reads = table.ok_read & ~np.isin(table.region, dead)
    owner = table.owner
    foreign = np.isin(owner, list(fault_ids), invert=True)
    ours = reads & (owner >= 0) & ((owner == episode.fault_id) | foreign)
    complete = table.complete
    seen = bool(np.any(ours & (window[0] <= complete) & (complete < window[1])))
    if not seen and episode.kind != Faults.LOGICAL_CORRUPTION:
        return None
    kept = np.flatnonzero(reads & ~(owner >= 0) | ours)  # another fault's corruption: not ours
    worst_s, recovered = 0.0, True
    for mine in table.by_client(kept):
        client = _ClientLog(table.invoke[mine], complete[mine], ~ours[mine]).rto(*window)
        if client is not None:
            worst_s = max(worst_s, client[0])
            recovered = recovered and client[1]
    return worst_s, recovered


def combine(rto: tuple[float, bool], corruption: tuple[float, bool] | None) -> tuple[float, bool]:
    """The episode's RTO once the corruption rule is applied (NaN stays NaN: unobserved)."""
    if corruption is None:
        return rto
    rto_s = rto[0] if math.isnan(rto[0]) else max(rto[0], corruption[0])
    return rto_s, rto[1] and corruption[1]
