"""Whether an employee is employed on a day: the one rule, read by the month a person
sees (`server.days.month`) and by the stored day results (`server.days.results`).

A deactivated employee's last day is the local date of the deactivation: the ingest
still counts their stamps taken before that moment (`server.ingest.lookup.Holder`), so
that day is theirs; the days after it are not due and are not evaluated at all. There is
no hiring date yet: an active employee is employed on every day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Employment(Protocol):
    """An `Employee` row, or any row with these two columns."""

    @property
    def active(self) -> bool: ...

    @property
    def deactivated_at(self) -> datetime | None: ...


def last_day(employee: Employment, zone: ZoneInfo) -> date | None:
    """The last day a deactivated employee was employed; None while active."""
    if employee.active or employee.deactivated_at is None:
        return None
    return employee.deactivated_at.astimezone(zone).date()


def employed_on(employee: Employment, day: date, zone: ZoneInfo) -> bool:
    last = last_day(employee, zone)
    return last is None or day <= last
