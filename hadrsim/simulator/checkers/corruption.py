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
from collections.abc import Iterable

from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.checkers.rto import _ClientLog
from hadrsim.simulator.records import ClientOp, FinalRead
from hadrsim.simulator.vocabulary import OpKind, Outcome, corrupting_fault, is_corrupt
from hadrsim.spec.faults import Faults


def corruption_rto(
    ops: Iterable[ClientOp], episode: Episode, final: FinalRead, fault_ids: frozenset[int]
) -> tuple[float, bool] | None:
    """``(rto_s, recovered)`` of the corruption rule, or None when it does not apply.

    ``fault_ids`` are the run's fault ids: a corrupt value naming one of them is
    that fault's; one naming none is charged to the window it was read in.
    """
    window = (episode.start_s, episode.window_end_s)
    if any(corrupting_fault(v) == episode.fault_id for v in final.write_ids if is_corrupt(v)):
        return window[1] - window[0], False

    def ours(value: int | None) -> bool:
        owner = corrupting_fault(value)
        return owner == episode.fault_id or (owner is not None and owner not in fault_ids)

    dead = set(episode.affected_locations)
    clients: dict[tuple[str, str], list[ClientOp]] = {}
    seen = False
    for op in ops:
        if op.kind != OpKind.READ or op.outcome != Outcome.OK or op.client_region in dead:
            continue
        if ours(op.value):
            seen = seen or window[0] <= op.complete_s < window[1]
            op = op._replace(outcome=Outcome.FAIL)
        elif corrupting_fault(op.value) is not None:
            continue  # another fault's corruption: not this episode's to judge
        clients.setdefault((op.client, op.client_region), []).append(op)
    if not seen and episode.kind != Faults.LOGICAL_CORRUPTION:
        return None
    worst_s, recovered = 0.0, True
    for reads in clients.values():
        client = _ClientLog(reads).rto(*window)
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
