"""Split brain: time during which one dataset has two writable primaries.

A single-writer design must never let two nodes accept writes for the same
data: clients on either side would be acknowledged, and one side's writes are
lost when the brains are reconciled. The checker reads it from the role log:

- A node is a *primary* of ``dataset`` from a :class:`RoleChange` to
  ``"primary"`` until that node's next role change (or the horizon). Role
  ``"active"`` (multi-active by design, last writer wins) never counts.
- A primary is *writable* unless it is down according to the fault records: a
  ``node:NAME`` fault of kind ``instance_crash``, ``instance_hang`` or
  ``storage_loss``, or any fault whose ``affected_locations`` list the node's
  AZ (AZ outages list the AZ; Region outages the Region and all its AZs).
  Faults cover ``[start_s, end_s)``, a permanent one (``end_s is None``) until
  the horizon; ``storage_loss`` is permanent whatever its ``end_s`` says, as the
  volume does not come back by itself.
- Split-brain seconds: the total time, summed over datasets, during which at
  least two nodes are writable primaries of the same dataset. Computed by an
  interval sweep, exactly, not by sampling.

A network partition does not make a primary unwritable: clients on its side
can still write, which is precisely what split brain is about.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate

from hadrsim.simulator.records import Fault, RoleChange
from hadrsim.spec.faults import Faults

_NODE_DOWN = frozenset({Faults.INSTANCE_CRASH, Faults.INSTANCE_HANG, Faults.STORAGE_LOSS})
_Span = tuple[float, float]


def _merge(spans: Iterable[_Span]) -> list[_Span]:
    """Sorted, disjoint union of half-open spans (empty ones dropped)."""
    merged: list[_Span] = []
    for start_s, end_s in sorted(s for s in spans if s[1] > s[0]):
        if merged and start_s <= merged[-1][1]:
            if end_s > merged[-1][1]:
                merged[-1] = (merged[-1][0], end_s)
        else:
            merged.append((start_s, end_s))
    return merged


def _subtract(span: _Span, holes: list[_Span], starts: list[float]) -> list[_Span]:
    """``span`` minus the merged ``holes`` (``starts`` their start times)."""
    start_s, end_s = span
    pieces: list[_Span] = []
    # The hole that may cover start_s is the last one starting at or before it.
    index = max(0, bisect_right(starts, start_s) - 1)
    for hole_start, hole_end in holes[index:]:
        if hole_start >= end_s:
            break
        if hole_end <= start_s:
            continue
        if hole_start > start_s:
            pieces.append((start_s, hole_start))
        start_s = max(start_s, hole_end)
        if start_s >= end_s:
            break
    if start_s < end_s:
        pieces.append((start_s, end_s))
    return pieces


def _down_spans(
    faults: Iterable[Fault], horizon_s: float
) -> tuple[dict[str, list[_Span]], dict[str, list[_Span]]]:
    """Raw down spans by node name and by location."""
    by_node: dict[str, list[_Span]] = {}
    by_place: dict[str, list[_Span]] = {}
    for fault in faults:
        end_s = horizon_s
        if fault.end_s is not None and fault.kind != Faults.STORAGE_LOSS:
            end_s = min(fault.end_s, horizon_s)
        span = (fault.start_s, end_s)
        if fault.scope.startswith("node:") and fault.kind in _NODE_DOWN:
            by_node.setdefault(fault.scope.removeprefix("node:"), []).append(span)
        for place in fault.affected_locations:
            by_place.setdefault(place, []).append(span)
    return by_node, by_place


def _primary_spans(
    roles: Iterable[RoleChange], horizon_s: float
) -> list[tuple[str, str, str, _Span]]:
    """``(dataset, node, az, span)`` for each primary tenure, clipped to the horizon."""
    # Stable: role changes at one instant keep their recorded order.
    ordered = sorted(roles, key=lambda change: change.time_s)
    current: dict[str, RoleChange] = {}
    tenures: list[tuple[str, str, str, _Span]] = []

    def close(change: RoleChange | None, end_s: float) -> None:
        if change is not None and change.role == "primary":
            span = (max(0.0, change.time_s), min(horizon_s, end_s))
            tenures.append((change.dataset, change.node, change.az, span))

    for change in ordered:
        close(current.get(change.node), change.time_s)
        current[change.node] = change
    for change in current.values():
        close(change, horizon_s)
    return tenures


def split_brain_seconds(
    roles: Iterable[RoleChange], faults: Iterable[Fault], horizon_s: float
) -> float:
    """Seconds, summed over datasets, with two or more writable primaries of one dataset."""
    by_node, by_place = _down_spans(faults, horizon_s)
    holes_of: dict[tuple[str, str], tuple[list[_Span], list[float]]] = {}
    edges: dict[str, list[tuple[float, int]]] = {}
    for dataset, node, az, span in _primary_spans(roles, horizon_s):
        if span[1] <= span[0]:
            continue
        holes = holes_of.get((node, az))
        if holes is None:
            merged = _merge([*by_node.get(node, ()), *by_place.get(az, ())])
            holes = holes_of[(node, az)] = (merged, [start_s for start_s, _ in merged])
        for start_s, end_s in _subtract(span, *holes):
            edges.setdefault(dataset, []).extend(((start_s, 1), (end_s, -1)))
    total_s = 0.0
    for points in edges.values():
        points.sort()  # at one instant, an end (-1) sorts before a start (+1)
        times = [t for t, _ in points]
        writers = list(accumulate(delta for _, delta in points))
        total_s += sum(times[i + 1] - times[i] for i in range(len(points) - 1) if writers[i] >= 2)
    return total_s
