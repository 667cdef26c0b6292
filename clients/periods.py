"""Month arithmetic and the periods the figures are computed over.

Months are counted as indexes (``year * 12 + month - 1``) so that a span of months is a range of
integers; every module that walks months (the engine, the trends, the demo portfolio) uses these.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone

# The trend charts and a run's month totals cover the 24 calendar months ending with the as-of
# date's month (the last one month-to-date).
TREND_MONTHS = 24


def local_midnight(day: dt.date) -> dt.datetime:
    """The first moment of a day in the installation's time zone: a period of days [start, end]
    holds the moments from local_midnight(start) to local_midnight(end + 1 day), excluded."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, 1)


def rolling_period(as_of: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The ``months`` months ending on the as-of date, both ends included (the default period)."""
    return add_months(as_of, -months) + dt.timedelta(days=1), as_of


def period_months(start: dt.date, end: dt.date) -> tuple[int, int]:
    """The calendar months of a period, as month indexes (first, last): those that end inside it."""
    last = month_index(end)
    if end.day != calendar.monthrange(end.year, end.month)[1]:
        last -= 1
    return month_index(start), last


def trend_months(as_of: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the ``months`` calendar months ending with the as-of date's month."""
    last = month_index(as_of)
    return [month_start(index) for index in range(last - months + 1, last + 1)]
