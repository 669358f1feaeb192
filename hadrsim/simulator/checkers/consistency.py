"""Read consistency as clients see it: stale reads and two session guarantees.

Like Jepsen's checkers these judge only the client history: a read that
returned a version is compared with what had been *acknowledged* before the
read was *invoked*. Nothing the client could not have known counts: a write
still in flight when the read began (completed at or after ``invoke_s``) is
concurrent with it, and any answer is allowed.

Versions order the writes of one key (larger is newer); a read that found the
key empty has version ``None``, older than any write. Only reads with outcome
``"ok"`` are judged (a failed read returned nothing), and only acknowledged
writes (outcome ``"ok"``) set expectations: a write whose outcome is unknown
may never have happened.

- *Stale read* (DESIGN.md): the read returned an older version than the newest
  one acknowledged, by anyone, before it began. Bounded-staleness designs (read
  replicas, eventually consistent reads) show them by design; the ratio says
  how often.
- *Read-your-writes violation* (Terry et al.'s session guarantee): the read is
  older than the client's own newest acknowledged write to the key. "Newest" is
  in version order, so the read must reflect every earlier write of the
  session; a client is ``(client, client_region)``.
- *Monotonic-read violation*: a client's read (in invocation order) is older
  than one of its earlier reads of the same key, i.e. it went back in time.
"""

from __future__ import annotations

from collections.abc import Iterable

from hadrsim.simulator.checkers._newest import NO_VERSION, NewestWrites, is_ok_read, version_rank
from hadrsim.simulator.records import ClientOp


def stale_reads(ops: Iterable[ClientOp]) -> tuple[int, int]:
    """``(stale, reads)``: ok reads older than a write acknowledged before they began, of all."""
    ops = list(ops)
    newest = NewestWrites(ops, lambda op: op.key)
    stale = reads = 0
    for op in ops:
        if not is_ok_read(op):
            continue
        reads += 1
        before = newest.before(op.key, op.invoke_s)
        stale += before is not None and before[0] > version_rank(op)
    return stale, reads


def read_your_writes_violations(ops: Iterable[ClientOp]) -> int:
    """Ok reads older than their own client's newest write to the key acknowledged before them."""
    ops = list(ops)
    own = NewestWrites(ops, lambda op: (op.client, op.client_region, op.key))
    violations = 0
    for op in ops:
        if not is_ok_read(op):
            continue
        before = own.before((op.client, op.client_region, op.key), op.invoke_s)
        violations += before is not None and before[0] > version_rank(op)
    return violations


def monotonic_read_violations(ops: Iterable[ClientOp]) -> int:
    """Ok reads older than an earlier-invoked ok read by the same client of the same key.

    Each offending read counts once, however many earlier reads it undercuts.
    Reads invoked at the same instant keep their record order.
    """
    sessions: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for op in ops:
        if is_ok_read(op):
            sessions.setdefault((op.client, op.client_region, op.key), []).append(
                (op.invoke_s, version_rank(op))
            )
    violations = 0
    for reads in sessions.values():
        reads.sort(key=lambda read: read[0])  # stable: ties keep record order
        seen = NO_VERSION
        for _, version in reads:
            if version < seen:
                violations += 1
            else:
                seen = version
    return violations
