"""The employee-days waiting for their result to be recomputed, kept in the database.

Marked in the stamps' own transaction (which forgets the hours account's closings from
the day's month on: `server.days.account_months`); cleared by the recompute worker only
if not marked again since it read them (a newer `marked_at` means new stamps
arrived meanwhile, so the day must be computed once more).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.days.account_months import forget
from server.days.facts import EmployeeDay
from server.db.keys import employee_day_marks, employee_days
from server.db.models import DAY_RESULTS, DIRTY_DAYS, DirtyDay
from server.db.schedule_tables import ROTA_DAYS

Taken = tuple[EmployeeDay, datetime]


def mark_dirty(session: Session, days: Iterable[EmployeeDay], now: datetime) -> None:
    """Mark these days, and the day before any of them that has a shift in the rota: a
    night shift takes the next morning's stamps."""
    days = set(days)
    days |= _shift_the_day_before(session, days)
    forget(session, [(e, d) for _, e, d in days], now)
    rows = [{"institution_id": i, "employee_id": e, "day": d, "marked_at": now}
            for i, e, d in sorted(set(days))]
    if not rows:
        return
    connection = session.connection()
    # Parameters apart from the statement: compiled once and cached, run as executemany.
    connection.execute(_upsert(connection.dialect.name), rows)


def _shift_the_day_before(session: Session, days: set[EmployeeDay]) -> set[EmployeeDay]:
    before = sorted({(e, d - timedelta(days=1)) for _, e, d in days})
    institution_of = {e: i for i, e, _ in days}
    found: set[EmployeeDay] = set()
    for start in range(0, len(before), 500):
        found |= {(institution_of[e], e, d) for e, d in session.execute(
            select(ROTA_DAYS.c.employee_id, ROTA_DAYS.c.day)
            .where(employee_days(ROTA_DAYS, before[start:start + 500])))}
    return found


@cache
def _upsert(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE marked_at, built once: it runs at every batch."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement: Any = dialect.insert(DIRTY_DAYS)
    return statement.on_conflict_do_update(
        index_elements=["institution_id", "employee_id", "day"],
        set_={"marked_at": statement.excluded.marked_at})


def take_dirty(session: Session, limit: int = 2000) -> list[Taken]:
    rows = session.execute(select(DirtyDay.institution_id, DirtyDay.employee_id, DirtyDay.day,
                                  DirtyDay.marked_at).order_by(DirtyDay.marked_at).limit(limit))
    return [((i, e, d), marked) for i, e, d, marked in rows]


def clear_dirty(session: Session, taken: list[Taken]) -> None:
    """Forget the days handled, unless they were marked again after being taken."""
    if not taken:
        return
    for start in range(0, len(taken), 500):
        # An exact marked_at: one marked again since has a newer one and stays.
        keys = [(i, e, d, marked) for (i, e, d), marked in taken[start:start + 500]]
        session.execute(delete(DIRTY_DAYS).where(employee_day_marks(DIRTY_DAYS, keys)))


def marked_since(session: Session, moment: datetime) -> bool:
    """Whether a day was marked after `moment`: stamps are still arriving."""
    return session.scalar(select(DirtyDay.day).where(DirtyDay.marked_at > moment)
                          .limit(1)) is not None


def pending(session: Session) -> list[tuple[int, date]]:
    return [(e, d) for e, d in session.execute(select(DirtyDay.employee_id, DirtyDay.day))]


def mark_stored_dirty(session: Session, institution_id: str,
                      days: Iterable[tuple[int, date]], now: datetime) -> int:
    """Mark those of these employee-days that have a stored result; the others have none
    to keep current (a day not evaluated yet is computed when it is first asked for).
    Returns how many were marked."""
    wanted = sorted(set(days))
    forget(session, wanted, now)  # a day with no result stored still counts in its month
    stored: list[EmployeeDay] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        stored += [(institution_id, e, d) for e, d in session.execute(
            select(DAY_RESULTS.c.employee_id, DAY_RESULTS.c.day)
            .where(employee_days(DAY_RESULTS, chunk)))]
    mark_dirty(session, stored, now)
    return len(stored)
