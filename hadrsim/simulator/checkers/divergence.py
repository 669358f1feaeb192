"""Divergence: keys on which the available replicas of one dataset disagree.

After the workload stops and replication drains (quiescence), every replica of
a dataset should hold the same value for every key; a key on which they differ
is divergent, the lasting trace of split brain, a lost replication stream or
an unreconciled conflict. The run records each replica's end state
(:class:`ReplicaState`); whether the run let replication drain first is the
run's business, so lag still in flight at the end also shows up here.

Only available replicas count: an unavailable one answers no read, so its
state is not what any client sees. A dataset with fewer than two available
replicas cannot disagree with itself and contributes 0. A key one replica does
not list counts as empty there (``None``).
"""

from __future__ import annotations

from collections.abc import Iterable

from hadrsim.simulator.records import ReplicaState


def divergent_keys(replicas: Iterable[ReplicaState]) -> int:
    """Keys on which a dataset's available replicas do not all agree, summed over datasets."""
    by_dataset: dict[str, list[dict[int, int | None]]] = {}
    for replica in replicas:
        if replica.available:
            by_dataset.setdefault(replica.dataset, []).append(dict(replica.values))
    divergent = 0
    for states in by_dataset.values():
        if len(states) < 2:
            continue
        keys = set().union(*states)
        divergent += sum(1 for key in keys if len({state.get(key) for state in states}) > 1)
    return divergent
