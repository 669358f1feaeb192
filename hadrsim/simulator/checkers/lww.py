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
- *Lost update*: an acknowledged write that no later acknowledged write
  replaced *knowingly* (no write has ``prev`` equal to its id) and that is not
  the key's final value. "Visible to a later read", in this project's
  definition, means visible to the read-modify-write that replaced it: the
  overwrite's ``prev`` is that read. A write that was overwritten without ever
  being seen is lost even though it was acknowledged. In a single-writer
  history each write's ``prev`` is the previous write, so nothing is lost; the
  last write to a key is its final value.

Limits: only acknowledged writes carry ``prev`` (a timed-out write's reply
never arrived), so a write overwritten by a write of unknown outcome counts as
lost; the checker cannot tell. Losses to a failover (an async replica promoted
without the primary's last writes) also appear here, since the next write
replaced an older value (and as a conflict when that write came from another
region); RPO counts them separately, from the final read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from hadrsim.simulator.checkers._newest import version_rank
from hadrsim.simulator.checkers.rpo import is_acknowledged
from hadrsim.simulator.records import ClientOp


def lww_conflicts(ops: Iterable[ClientOp]) -> int:
    """Pairs of acknowledged writes to one key with one ``prev`` from different client regions."""
    groups: dict[tuple[int, int | None], Counter[str]] = {}
    for op in ops:
        if is_acknowledged(op):
            groups.setdefault((op.key, op.prev), Counter())[op.client_region] += 1
    conflicts = 0
    for regions in groups.values():
        writes = sum(regions.values())
        same_region = sum(n * (n - 1) // 2 for n in regions.values())
        conflicts += writes * (writes - 1) // 2 - same_region
    return conflicts


def final_values_by_version(ops: Iterable[ClientOp]) -> dict[int, int | None]:
    """Per key, the acknowledged write with the greatest version: what LWW keeps.

    Equal versions (which a correct design never produces) go to the later
    acknowledgement.
    """
    best: dict[int, tuple[float, float, int | None]] = {}
    for op in ops:
        if is_acknowledged(op):
            rank = (version_rank(op), op.complete_s, op.value)
            current = best.get(op.key)
            if current is None or rank[:2] >= current[:2]:
                best[op.key] = rank
    return {key: rank[2] for key, rank in best.items()}


def lost_updates(
    ops: Iterable[ClientOp], final_values: Mapping[int, int | None] | None = None
) -> int:
    """Acknowledged writes never knowingly replaced and not their key's final value.

    ``final_values`` maps a key to the write id that survived (a key it does not
    list holds no observed write); ``None`` takes :func:`final_values_by_version`.
    """
    acked = [op for op in ops if is_acknowledged(op) and op.value is not None]
    replaced = {op.prev for op in acked if op.prev is not None}
    final = final_values_by_version(acked) if final_values is None else final_values
    return sum(1 for op in acked if op.value not in replaced and final.get(op.key) != op.value)
