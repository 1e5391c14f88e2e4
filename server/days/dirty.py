"""The employee-days waiting for their result to be recomputed, kept in the database.

Marked in the stamps' own transaction; cleared by the recompute worker only
if not marked again since it read them (a newer `marked_at` means new stamps
arrived meanwhile, so the day must be computed once more).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.days.facts import EmployeeDay
from server.db.keys import employee_day_marks
from server.db.models import DIRTY_DAYS, DirtyDay

Taken = tuple[EmployeeDay, datetime]


def mark_dirty(session: Session, days: Iterable[EmployeeDay], now: datetime) -> None:
    rows = [{"institution_id": i, "employee_id": e, "day": d, "marked_at": now}
            for i, e, d in sorted(set(days))]
    if not rows:
        return
    connection = session.connection()
    # Parameters apart from the statement: compiled once and cached, run as executemany.
    connection.execute(_upsert(connection.dialect.name), rows)


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
