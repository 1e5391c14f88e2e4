"""Whether an employee is employed on a day: the one rule, read by the month a person
sees (`server.days.month`) and by the stored day results (`server.days.results`).

A deactivated employee's last day is the local date of the deactivation: the ingest
still counts their stamps taken before that moment (`server.ingest.lookup.Holder`), so
that day is theirs; the days after it are not due and are not evaluated at all. There is
no hiring date yet: an active employee is employed on every day. Someone who left in
December still belongs to November's close, reports and flags (`employed_from`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_

from server.db.models import Employee


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


def employed_from(first: date, zone: ZoneInfo) -> ColumnElement[bool]:
    """SQL condition: employed on `first` or later (active, or deactivated on or after
    that local day), so a month's lists keep whoever worked any day of it."""
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    return or_(Employee.active.is_(True), Employee.deactivated_at >= start)
