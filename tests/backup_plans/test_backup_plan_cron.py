"""AWS cron expressions: the supported subset parses, everything else fails clearly."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from hadrsim.spec.cron import CronError, parse_cron

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday
DAY = 86400.0


def test_daily_at_five_fires_once_a_day_at_05_00():
    """cron(0 5 ? * * *) fires at 05:00 UTC every day."""
    times = parse_cron("cron(0 5 ? * * *)").fire_times(0.0, 3 * DAY, EPOCH)
    assert times.tolist() == [5 * 3600.0, DAY + 5 * 3600.0, 2 * DAY + 5 * 3600.0]


def test_lists_ranges_and_steps():
    """Lists, ranges and steps expand to the right sets of values."""
    cron = parse_cron("cron(0,30 */6 ? * 2-6 *)")
    assert cron.minutes == {0, 30}
    assert cron.hours == {0, 6, 12, 18}
    assert cron.days_of_week == {2, 3, 4, 5, 6}
    assert cron.days_of_month is None
    assert parse_cron("cron(5/20 1-10/3 1 * ? 2026-2027)").minutes == {5, 25, 45}
    assert parse_cron("cron(5/20 1-10/3 1 * ? 2026-2027)").hours == {1, 4, 7, 10}


def test_weekdays_use_aws_numbering_and_names():
    """Day-of-week 1 is Sunday; MON-FRI names work; the wrapper is optional."""
    sundays = parse_cron("cron(0 0 ? * 1 *)").fire_times(0.0, 14 * DAY, EPOCH)
    assert [EPOCH.fromtimestamp(EPOCH.timestamp() + t, UTC).strftime("%a")
            for t in sundays] == ["Sun", "Sun"]
    weekdays = parse_cron("0 0 ? * MON-FRI *").fire_times(0.0, 7 * DAY, EPOCH)
    assert len(weekdays) == 5


def test_monthly_max_interval_is_31_days():
    """The longest gap of a first-of-the-month schedule is 31 days."""
    cron = parse_cron("cron(0 5 1 * ? *)")
    assert cron.max_interval_s(EPOCH) == 31 * DAY
    assert parse_cron("cron(0 5 ? * * *)").max_interval_s(EPOCH) == DAY


def test_a_past_year_never_fires():
    """A schedule restricted to a past year has no firings: infinite interval."""
    cron = parse_cron("cron(0 5 ? * * 2020)")
    assert len(cron.fire_times(0.0, 10 * DAY, EPOCH)) == 0
    assert np.isinf(cron.max_interval_s(EPOCH))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("cron(0 5 * * ?)", "expected 6 fields"),
        ("cron(0 5 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 5 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 25 ? * * *)", "hours: 25 is out of range 0-23"),
        ("cron(61 5 ? * * *)", "minutes: 61 is out of range 0-59"),
        ("cron(0 5 L * ? *)", "day-of-month: 'L' is not supported"),
        ("cron(0 5 ? * 6#3 *)", "day-of-week: '6#3' is not supported"),
        ("cron(0 5 ? * * ?)", "year: '?' is only allowed"),
        ("cron(0 10-5 ? * * *)", "hours: range '10-5' runs backwards"),
        ("cron(*/0 5 ? * * *)", "minutes: step in '*/0' must be a positive"),
        ("rate(1 day)", "rate(...) expressions are not supported"),
    ],
)
def test_bad_expressions_say_which_field_and_why(text, words):
    """Each unsupported or malformed expression names the field and the problem."""
    with pytest.raises(CronError, match=re.escape(words)):
        parse_cron(text)
