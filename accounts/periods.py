"""A rep's own day, week and month. Caps and counts per period are the rep's: a day starts
at their local midnight, a week on their Monday, a month on their first of the month."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple


class Periods(NamedTuple):
    day: date
    week: date  # the Monday of `day`'s week
    month: date  # the first of `day`'s month


def periods_of(day: date) -> Periods:
    return Periods(day, day - timedelta(days=day.weekday()), day.replace(day=1))


def local_periods(*, now: datetime, zone: str) -> Periods:
    """The day, week and month it is at `now` in the time zone `zone`."""
    return periods_of(now.astimezone(zoneinfo.ZoneInfo(zone)).date())


def periods_anywhere(now: datetime) -> list[Periods]:
    """The periods of each date it is somewhere at `now`: UTC's day before, its day and its
    day after (zones run from UTC−12 to UTC+14). For SQL that reads many reps' counts
    before it knows their zones; `local_day_index` then picks each rep's."""
    utc = now.astimezone(UTC).date()
    return [periods_of(utc + timedelta(days=shift)) for shift in (-1, 0, 1)]


def local_day_index(now: datetime, zone: str) -> int:
    """Which of `periods_anywhere(now)` is the one of time zone `zone`."""
    return (now.astimezone(zoneinfo.ZoneInfo(zone)).date() - now.astimezone(UTC).date()).days + 1
