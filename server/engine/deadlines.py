"""Turn a rule's `When` into the date (or date and time) it means for a day: counted from
the day (or a moment of it), from another deadline (`5 days after report`), or none at all
(`open`: the rule gives no term, so nothing is ever late by it)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
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
    resolved = resolve(when, day) if when is not None else None
    if resolved is None:  # no deadline, or an open one: before the month can be closed
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        return datetime.combine(last, END_OF_DAY)
    if isinstance(resolved, datetime):
        return resolved
    return datetime.combine(resolved, END_OF_DAY)


def resolve(when: ast.When, day: date, deadlines: Mapping[str, ast.Deadline] | None = None,
            minute: int | None = None) -> date | datetime | None:
    """`day` is the day (or any day of the month) the deadline is about; `minute`, the moment
    of it a time-counted deadline starts from (a declared stamp), else the day's end;
    `deadlines`, the version's, for one counted from another. None: no date (`open`)."""
    if when.kind == "open_ended":
        return None
    if when.anchor is not None:
        anchor = (deadlines or {}).get(when.anchor)
        base = resolve(anchor.when, day) if anchor is not None else None
        return None if base is None else _after(when, base)
    if when.kind == "within_time":
        start = datetime.combine(day, time()) + timedelta(
            minutes=24 * 60 if minute is None else minute)
        return start + timedelta(minutes=when.number)
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


def _after(when: ast.When, base: date | datetime) -> date | datetime:
    """`N days` or a duration after another deadline; a date lasts until its end."""
    if when.kind == "within_days":
        return base + timedelta(days=when.number)
    start = base if isinstance(base, datetime) else datetime.combine(
        base + timedelta(days=1), time())
    return start + timedelta(minutes=when.number)
