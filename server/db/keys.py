"""Where-clauses that match many composite keys through the primary-key index.

`(employee_id, day) IN (VALUES …)` reads well, but SQLite answers it by
scanning the whole table, and day_results grows by one row per employee and
day for ever. One OR term per employee (its days in an IN list) is an index
lookup per key on SQLite (MULTI-INDEX OR) and on PostgreSQL (BitmapOr).
Callers keep to a few hundred keys per statement: SQLite parses an OR chain
as a tree, at most 1000 deep.

`one_of(column, values)` is `column IN (values)` that PostgreSQL gets as one array
parameter (`= ANY(:values)`): an IN list of 500 ids is 500 parameters that SQLAlchemy
expands and psycopg parses again on every execution, milliseconds a statement, and the
month close runs hundreds of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Enum,
    Float,
    Numeric,
    String,
    Table,
    and_,
    any_,
    bindparam,
    or_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal


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


def one_of(column: ColumnElement[Any] | QueryableAttribute[Any],
           values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; one array parameter on PostgreSQL."""
    return _OneOf(column.expression, list(values))


class _OneOf(ColumnElement[bool]):
    # Both forms are built; each dialect renders one. Both are in the cache key, so a
    # statement compiled once takes each execution's values from whichever it rendered.
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison already: no "= 1" on SQLite
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own attribute, a list there)
        ("listed", InternalTraversal.dp_clauseelement),
        ("array", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any], values: list[Any]) -> None:
        self.listed = column.in_(values)
        self.array = column == any_(bindparam(None, values, type_=ARRAY(_whole(column.type))))


def _whole(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    """The array's element type without the column's length or precision: PostgreSQL
    applies a cast's to the values, so `VARCHAR(5)[]` would cut 'abcdefg' to 'abcde' (and
    `NUMERIC(4, 2)[]` round 1.005 to 1.01), matching rows that `IN` compares whole."""
    if isinstance(kind, String) and not isinstance(kind, Enum) and kind.length is not None:
        return String(collation=kind.collation)
    if isinstance(kind, Numeric) and not isinstance(kind, Float) and kind.precision is not None:
        return Numeric(asdecimal=True) if kind.asdecimal else Numeric(asdecimal=False)
    return kind


@compiles(_OneOf)
def _listed(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.listed, **kw)


@compiles(_OneOf, "postgresql")
def _array(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.array, **kw)
