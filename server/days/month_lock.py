"""The lock of a closed month: every service that changes a day asks here first."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import MonthClose
from server.errors import MonthClosed

LOCKED_STATES = ("closing", "closed")  # a month being closed is already frozen


def month_state(session: Session, institution_id: str, year: int, month: int) -> str | None:
    return session.scalar(select(MonthClose.state).where(
        MonthClose.institution_id == institution_id, MonthClose.year == year,
        MonthClose.month == month))


def is_locked(session: Session, institution_id: str, day: date) -> bool:
    return month_state(session, institution_id, day.year, day.month) in LOCKED_STATES


def locked_months(session: Session, institution_id: str) -> frozenset[tuple[int, int]]:
    """The institution's closed months (and one being closed), as (year, month): what a
    service checking many days reads once."""
    return frozenset((year, month) for year, month in session.execute(
        select(MonthClose.year, MonthClose.month).where(
            MonthClose.institution_id == institution_id,
            MonthClose.state.in_(LOCKED_STATES))))


def ensure_open(session: Session, institution_id: str, day: date) -> None:
    """Raise `MonthClosed` when `day` falls in a closed month (or one being closed)."""
    if is_locked(session, institution_id, day):
        label = f"{day.month:02d}/{day.year}"
        raise MonthClosed(
            f"Il mese {label} è chiuso: nessuna modifica è possibile finché l'ufficio "
            "del personale non lo riapre",
            f"Month {label} is closed: nothing can change until the personnel office "
            "reopens it")


def ensure_open_between(session: Session, institution_id: str, first: date,
                        last: date | None) -> None:
    """Raise `MonthClosed` for the first closed month (or one being closed) that the days
    from `first` to `last` (None: open-ended) touch."""
    closed = session.execute(select(MonthClose.year, MonthClose.month).where(
        MonthClose.institution_id == institution_id, MonthClose.state.in_(LOCKED_STATES))
        .order_by(MonthClose.year, MonthClose.month))
    for year, month in closed:
        if (year, month) >= (first.year, first.month) and (
                last is None or (year, month) <= (last.year, last.month)):
            ensure_open(session, institution_id, date(year, month, 1))
