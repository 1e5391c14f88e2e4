"""Turn a rule's `When` into the date (or date and time) it means for a day."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from dsl import ast

END_OF_DAY = time(23, 59)


def _month_shift(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + (day.month - 1) + months
    return index // 12, index % 12 + 1


def _period_month(day: date, when: ast.When) -> tuple[int, int]:
    shift = {"this_month": 0, "next_month": 1, "month_plus": when.months}
    return _month_shift(day, shift.get(when.period or "this_month", 0))


def fix_by(when: ast.When | None, day: date) -> datetime:
    """The moment an anomaly of `day` must be fixed by, always a date and a time.

    A deadline that names a day means the end of that day (23:59). Without a
    deadline in the rules, the anomaly is due by the end of its month, the last
    moment before the month can be closed with it still open."""
    if when is None:
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        return datetime.combine(last, END_OF_DAY)
    resolved = resolve(when, day)
    if isinstance(resolved, datetime):
        return resolved
    return datetime.combine(resolved, END_OF_DAY)


def resolve(when: ast.When, day: date) -> date | datetime:
    """`day` is the day (or any day of the month) the deadline is about."""
    if when.kind == "next_day_at":
        next_day = day + timedelta(days=1)
        return datetime.combine(next_day, time(when.number // 60, when.number % 60))
    if when.kind == "within_days":
        return day + timedelta(days=when.number)
    if when.period == "this_year":
        return date(day.year, 12, 31)
    if when.period == "school_year":
        # The Italian school year runs from 1 September to 31 August.
        return date(day.year + (1 if day.month >= 9 else 0), 8, 31)
    year, month = _period_month(day, when)
    if when.kind == "day_of":
        return date(year, month, when.number)
    return date(year, month, calendar.monthrange(year, month)[1])
