"""Control-plane breakdown of an episode's recovery, from the control event log.

Where the client-seen RTO says *how long*, the breakdown says *where the time
went*: detecting the failure, deciding to promote, promoting, and updating the
endpoint (DNS). The steps are found in order inside the episode's window:
the first ``failure_detected`` at or after the fault, the first
``promotion_started`` at or after that, and so on, each closing event searched
from the one that opened its step. So a step is never negative (an event left
over from an earlier episode, or logged before the step it closes, is skipped)
and is NaN only when its events were not logged in the window.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from hadrsim.simulator.checkers.episodes import Episode
from hadrsim.simulator.records import ControlEvent
from hadrsim.simulator.vocabulary import Ev

_STEPS = (Ev.FAILURE_DETECTED, Ev.PROMOTION_STARTED, Ev.PROMOTION_COMPLETED, Ev.ENDPOINT_UPDATED)


class Breakdown(NamedTuple):
    """Seconds spent in each control-plane step of one episode (NaN if missing)."""

    detection_s: float
    decision_s: float
    promotion_s: float
    dns_s: float


def _first_at_or_after(steps: dict[str, list[float]], name: str, t: float, end: float) -> float:
    times = steps.get(name, [])
    i = bisect_left(times, t)
    return times[i] if i < len(times) and times[i] < end else math.nan


def breakdowns(events: Iterable[ControlEvent], episodes: Sequence[Episode]) -> list[Breakdown]:
    """One :class:`Breakdown` per episode, from events in ``[start_s, window_end_s)``."""
    steps: dict[str, list[float]] = {}
    for event in events:
        if event.event in _STEPS:
            steps.setdefault(event.event, []).append(event.time_s)
    for times in steps.values():
        times.sort()
    result = []
    for episode in episodes:
        times = []
        anchor = episode.start_s
        for name in _STEPS:
            t = _first_at_or_after(steps, name, anchor, episode.window_end_s)
            times.append(t)
            if not math.isnan(t):
                anchor = t
        detected, started, completed, updated = times
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
