"""AWS Backup schedule expressions: ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``.

The six-field form AWS Backup and EventBridge use (S23), always in UTC. Supported:
numbers, month names (``JAN``-``DEC``) and weekday names (``SUN``-``SAT``; as numbers
1 = Sunday ... 7 = Saturday), ``*``, ``?`` (day-of-month or day-of-week only), lists
``a,b``, ranges ``a-b`` and steps ``*/n``, ``a/n``, ``a-b/n``. As in AWS, exactly one of
day-of-month and day-of-week is ``?``. Not supported: ``L``, ``W`` and ``#``, and
``rate(...)`` expressions.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np

_FIELDS = (  # name, low, high
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 1, 7),
    ("year", 1970, 2199),
)
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])}
_WEEKDAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_NAMES = {"month": _MONTHS, "day-of-week": _WEEKDAYS}
_SUPPORTED = "numbers, names, *, ?, lists a,b, ranges a-b and steps */n"
_DAY_S = 86400.0


class CronError(ValueError):
    """An expression outside the supported subset; the message says which field and why."""


class Cron(NamedTuple):
    """A parsed expression: the allowed values of each field (None: ``?``, any)."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None
    years: frozenset[int]

    def matches_day(self, day: datetime) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.days_of_month is not None:
            return day.day in self.days_of_month
        weekday = (day.weekday() + 1) % 7 + 1  # Python Monday=0 -> AWS Monday=2, Sunday=1
        return self.days_of_week is not None and weekday in self.days_of_week

    def fire_times(self, start_s: float, end_s: float, epoch: datetime) -> np.ndarray:
        """Times (seconds after ``epoch``) in ``[start_s, end_s)`` at which the rule fires."""
        first_day = math.floor(start_s / _DAY_S)
        last_day = math.floor(end_s / _DAY_S)
        offsets = sorted(h * 3600.0 + m * 60.0 for h in self.hours for m in self.minutes)
        times = []
        for d in range(first_day, last_day + 1):
            if self.matches_day(epoch + timedelta(days=d)):
                times += [d * _DAY_S + o for o in offsets if start_s <= d * _DAY_S + o < end_s]
        return np.asarray(times, dtype=float)

    def max_interval_s(self, epoch: datetime, span_days: float = 400.0) -> float:
        """Longest gap between firings over ``span_days`` from ``epoch`` (inf: < 2 firings).

        400 days span every month length, leap days and weekday alignment once.
        """
        times = self.fire_times(0.0, span_days * _DAY_S, epoch)
        if len(times) < 2:
            return math.inf
        return float(np.diff(times).max())


def parse_cron(text: str) -> Cron:
    """Parse ``cron(0 5 ? * * *)`` (the ``cron(...)`` wrapper may be left out)."""
    if not isinstance(text, str):
        raise CronError(f"a schedule is a string like 'cron(0 5 ? * * *)', not {text!r}")
    body = text.strip()
    match = re.fullmatch(r"cron\((.*)\)", body, flags=re.DOTALL)
    if match:
        body = match.group(1)
    elif body.startswith("rate("):
        raise CronError("rate(...) expressions are not supported; write cron(...) with 6 fields")
    parts = body.split()
    if len(parts) != 6:
        raise CronError(
            f"expected 6 fields 'cron(Minutes Hours Day-of-month Month Day-of-week Year)', "
            f"got {len(parts)}: {text!r}"
        )
    values: list[frozenset[int] | None] = []
    for part, (name, low, high) in zip(parts, _FIELDS, strict=True):
        values.append(_parse_field(part, name, low, high))
    dom, dow = parts[2], parts[4]
    if (dom == "?") == (dow == "?"):
        raise CronError(
            "exactly one of day-of-month and day-of-week must be '?' "
            f"(got {dom!r} and {dow!r}); e.g. cron(0 5 ? * * *) runs daily at 05:00 UTC"
        )
    minutes, hours, doms, months, dows, years = values
    assert minutes is not None and hours is not None and months is not None and years is not None
    return Cron(text, minutes, hours, doms, months, dows, years)


def _parse_field(part: str, name: str, low: int, high: int) -> frozenset[int] | None:
    if part == "?":
        if name not in ("day-of-month", "day-of-week"):
            raise CronError(f"{name}: '?' is only allowed in day-of-month or day-of-week")
        return None
    values: set[int] = set()
    for item in part.split(","):
        values |= _parse_item(item, name, low, high)
    return frozenset(values)


def _parse_item(item: str, name: str, low: int, high: int) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{name}: step in {item!r} must be a positive whole number")
        step = int(step_text)
    if base == "*":
        first, last = low, high
    elif "-" in base:
        a, _, b = base.partition("-")
        first, last = _number(a, name, low, high), _number(b, name, low, high)
        if last < first:
            raise CronError(f"{name}: range {item!r} runs backwards")
    else:
        first = _number(base, name, low, high)
        last = high if slash else first
    return set(range(first, last + 1, step))


def _number(token: str, name: str, low: int, high: int) -> int:
    names = _NAMES.get(name, {})
    if token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise CronError(f"{name}: {token!r} is not supported (supported: {_SUPPORTED})")
    value = int(token)
    if not low <= value <= high:
        raise CronError(f"{name}: {value} is out of range {low}-{high}")
    return value


__all__ = ["Cron", "CronError", "parse_cron"]
