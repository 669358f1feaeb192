"""Fault episodes: the unit every per-fault metric is reported against.

An episode is one injected fault plus its *observation window*, from its start
until the next fault starts (or the horizon). RTO and the control-plane
breakdown are measured inside that window, so a later fault's outage is never
charged to an earlier one; a client still failing when the window closes is
censored rather than given an unbounded RTO.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import NamedTuple

from hadrsim.simulator.records import Fault


class Episode(NamedTuple):
    """A fault with its observation window ``[start_s, window_end_s)``."""

    fault_id: int
    kind: str
    scope: str
    disruption: str
    start_s: float
    end_s: float | None
    window_end_s: float
    affected_locations: tuple[str, ...]


def episodes(faults: Iterable[Fault], horizon_s: float) -> list[Episode]:
    """One episode per fault, sorted by ``(start_s, fault_id)``.

    Faults that start together share one window, ending at the next distinct
    start time: clients cannot tell simultaneous faults apart.
    """
    ordered = sorted(faults, key=lambda f: (f.start_s, f.fault_id))
    starts = [f.start_s for f in ordered]
    result = []
    for fault in ordered:
        following = bisect_right(starts, fault.start_s)
        window_end_s = starts[following] if following < len(starts) else horizon_s
        result.append(
            Episode(
                fault_id=fault.fault_id,
                kind=fault.kind,
                scope=fault.scope,
                disruption=fault.disruption,
                start_s=fault.start_s,
                end_s=fault.end_s,
                window_end_s=window_end_s,
                affected_locations=fault.affected_locations,
            )
        )
    return result
