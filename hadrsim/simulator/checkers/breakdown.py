"""Control-plane breakdown of an episode's recovery, from the control event log.

Where the client-seen RTO says *how long*, the breakdown says *where the time
went*: detecting the failure, deciding to promote, promoting, and updating the
endpoint (DNS). Each step is the gap between the first events that open and
close it inside the episode's window; a step whose events are missing is NaN.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import ControlEvent

_STEPS = ("failure_detected", "promotion_started", "promotion_completed", "endpoint_updated")


class Breakdown(NamedTuple):
    """Seconds spent in each control-plane step of one episode (NaN if missing)."""

    detection_s: float
    decision_s: float
    promotion_s: float
    dns_s: float


def breakdowns(events: Iterable[ControlEvent], episodes: Sequence[Episode]) -> list[Breakdown]:
    """One :class:`Breakdown` per episode, from events in ``[start_s, window_end_s)``."""
    # Stable sort: events at equal times keep their recorded order.
    steps = sorted((e for e in events if e.event in _STEPS), key=lambda e: e.time_s)
    times = [event.time_s for event in steps]
    result = []
    for episode in episodes:
        first: dict[str, float] = {}
        lo = bisect_left(times, episode.start_s)
        hi = bisect_left(times, episode.window_end_s)
        for event in steps[lo:hi]:
            first.setdefault(event.event, event.time_s)
            if len(first) == len(_STEPS):
                break
        detected, started, completed, updated = (first.get(s, math.nan) for s in _STEPS)
        result.append(
            Breakdown(
                detection_s=detected - episode.start_s,
                decision_s=started - detected,
                promotion_s=completed - started,
                dns_s=updated - completed,
            )
        )
    return result


def breakdown(events: Iterable[ControlEvent], episode: Episode) -> Breakdown:
    """The :class:`Breakdown` of a single episode."""
    return breakdowns(events, [episode])[0]
