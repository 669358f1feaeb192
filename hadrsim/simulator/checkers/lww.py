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

from hadrsim.simulator.checkers._newest import version_rank
from hadrsim.simulator.checkers.rpo import is_acknowledged
from hadrsim.simulator.records import ClientOp
from hadrsim.simulator.vocabulary import OpKind, Outcome


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


def indeterminate_writes(ops: Iterable[ClientOp]) -> int:
    """Writes whose outcome is unknown (timed out): they may or may not have applied."""
    return sum(1 for op in ops if op.kind == OpKind.WRITE and op.outcome == Outcome.UNKNOWN)


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
    ops = list(ops)
    acked = [op for op in ops if is_acknowledged(op) and op.value is not None]
    acked_ids = {op.value for op in acked}
    replaced = {op.prev for op in acked if op.prev is not None}
    final = final_values_by_version(acked) if final_values is None else final_values
    # Writes that may have replaced a value unseen: indeterminate ones, and
    # writes outside the observed history that an acknowledged write replaced.
    maybe: dict[int, set[int]] = {}
    for op in ops:
        if op.kind == OpKind.WRITE and op.outcome == Outcome.UNKNOWN and op.value is not None:
            maybe.setdefault(op.key, set()).add(op.value)
    for op in acked:
        if op.prev is not None and op.prev not in acked_ids:
            maybe.setdefault(op.key, set()).add(op.prev)
    suspects: Counter[int] = Counter(
        op.key for op in acked
        if op.value not in replaced and final.get(op.key) != op.value
        and op.value not in discarded
    )
    return sum(max(0, n - len(maybe.get(key, ()))) for key, n in suspects.items())
