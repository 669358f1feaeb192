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

import numpy as np

from hadrsim.simulator.checkers._newest import Newest, newest_before, newest_by_key
from hadrsim.simulator.checkers._table import OpTable, as_table, cummax_in_groups
from hadrsim.simulator.records import ClientOp


def _older_than(newest: Newest, table: OpTable) -> int:
    """Ok reads whose version is older than their newest write found."""
    return int(np.count_nonzero(newest.found & (newest.vrank > table.vrank[table.ok_read])))


def _session(table: OpTable) -> np.ndarray:
    """A code per ``(client, client_region, key)``."""
    return table.client * max(table.n_keys, 1) + table.key


def stale_reads(ops: Iterable[ClientOp]) -> tuple[int, int]:
    """``(stale, reads)``: ok reads older than a write acknowledged before they began, of all."""
    table = as_table(ops)
    return _older_than(newest_by_key(table), table), int(np.count_nonzero(table.ok_read))


def read_your_writes_violations(ops: Iterable[ClientOp]) -> int:
    """Ok reads older than their own client's newest write to the key acknowledged before them."""
    table = as_table(ops)
    return _older_than(newest_before(table, _session(table)), table)


def monotonic_read_violations(ops: Iterable[ClientOp]) -> int:
    """Ok reads older than an earlier-invoked ok read by the same client of the same key.

    Each offending read counts once, however many earlier reads it undercuts.
    Reads invoked at the same instant keep their record order.
    """
    table = as_table(ops)
    reads = table.ok_read
    session, invoke, rank = _session(table)[reads], table.invoke[reads], table.vrank[reads]
    order = np.lexsort((invoke, session))  # stable: ties keep record order
    session, rank = session[order], rank[order]
    # A read undercuts an earlier one iff it is older than the session's newest so far.
    seen = cummax_in_groups(session, rank, table.n_ranks)
    return int(np.count_nonzero(session[1:] * table.n_ranks + rank[1:] < seen[:-1]))
