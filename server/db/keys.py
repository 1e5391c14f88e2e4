"""Where-clauses that match many composite keys through the primary-key index.

`(employee_id, day) IN (VALUES …)` reads well, but SQLite answers it by
scanning the whole table, and day_results grows by one row per employee and
day for ever. One OR term per employee (its days in an IN list) is an index
lookup per key on SQLite (MULTI-INDEX OR) and on PostgreSQL (BitmapOr).
Callers keep to a few hundred keys per statement: SQLite parses an OR chain
as a tree, at most 1000 deep.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, Table, and_, or_


def employee_days(table: Table, keys: Iterable[tuple[int, date]]) -> ColumnElement[bool]:
    """Rows of `table` (with employee_id and day) at any of these (employee, day) keys."""
    days: dict[int, set[date]] = defaultdict(set)
    for employee_id, day in keys:
        days[employee_id].add(day)
    column = table.c
    return or_(*(and_(column.employee_id == employee_id, column.day.in_(sorted(wanted)))
                 for employee_id, wanted in sorted(days.items())))


def employee_day_marks(table: Table, keys: Iterable[tuple[str, int, date, datetime]]
                       ) -> ColumnElement[bool]:
    """Rows at these (institution, employee, day) keys whose marked_at is exactly the one
    given. The institution leads dirty_days' key (migration 0013): without it, SQLite
    would scan."""
    column = table.c
    return or_(*(and_(column.institution_id == institution, column.employee_id == employee_id,
                      column.day == day, column.marked_at == marked)
                 for institution, employee_id, day, marked in keys))
