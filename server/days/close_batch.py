"""A batch of the month close stored in bulk: each employee's days as the month computed
them, so the close evaluates every employee-day once.

`person_months` already evaluates each day of the month with the engine; its `DayResult`s
are the day results the close keeps. What is stored already and current stays as it is:
the stored day results are kept current (a day whose facts or rules changed waits in
`dirty_days` until the worker stores it again; `server.days.stored_anomalies` reads
them on the same ground), so for an employee none of whose days waits, a stored day
whose figures equal the close's is that day's result. Only the other days are deleted
(by key, or by key range when most of the batch's month goes) and written in one bulk
insert. Days after `through` (a deactivation) are deleted and not written back, as
`store_results` does for a day no longer evaluated.

Accepted: a day whose figures are unchanged but whose other details (codes, anomaly
kinds) an engine upgrade changed keeps its stored details, as nothing marks days dirty
on a deploy; the close's own figures and the pages come from the new evaluation.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.days.month import PersonMonth
from server.db.json_text import json_text
from server.db.keys import employee_days, one_of
from server.db.models import DAY_RESULTS, DirtyDay
from server.engine.results import DayResult

IDS_PER_DELETE = 500  # employees (or day keys) per statement: a bounded IN list


def store_months(session: Session, months: Mapping[int, PersonMonth], first: date,
                 last: date, now: datetime) -> int:
    """Keep the days of these evaluated months as their stored day results; returns how
    many were written (the module's docstring says which)."""
    ids = sorted(months)
    stored = _stored(session, ids, first, last)
    waiting = _waiting(session, {p.employee.institution_id for p in months.values()}, ids,
                       first, last)
    rows, gone, count = [], [], 0
    for employee_id, person in months.items():
        current = employee_id not in waiting
        for day in person.result.days:
            count += 1
            key = (employee_id, day.day)
            seen = person.seen.get(day.day, 0)
            before = stored.pop(key, None)
            if current and before == (day.worked, day.due, day.balance, len(day.anomalies),
                                      seen):
                continue
            rows.append(_row(employee_id, day, seen, now))
            if before is not None:
                gone.append(key)
    gone.extend(stored)  # stored days no row keeps: after a deactivation
    if len(gone) * 2 > count:  # most of the month goes: all written again
        _delete_range(session, ids, first, last)
        rows = [_row(e, day, p.seen.get(day.day, 0), now)
                for e, p in months.items() for day in p.result.days]
    elif gone:
        _delete_keys(session, gone)
    if rows and session.get_bind().dialect.name == "postgresql":
        _copy(session, rows)
    elif rows:
        _insert_sqlite(session, rows)
    return len(rows)


def _row(employee_id: int, day: DayResult, seen: int, now: datetime) -> dict[str, Any]:
    """A day-result row as `evaluate_days` words it; `data` as JSON text."""
    return {"employee_id": employee_id, "day": day.day, "worked": day.worked, "due": day.due,
            "balance": day.balance, "anomalies": len(day.anomalies),
            "data": json_text(day.to_json(explain=False)), "stamps_seen": seen,
            "computed_at": now}


def _stored(session: Session, ids: list[int], first: date,
            last: date) -> dict[tuple[int, date], tuple[int, ...]]:
    """The stored days' figures: worked, due, balance, anomalies, stamps seen."""
    if session.get_bind().dialect.name == "postgresql":
        return _stored_pg(session, ids, first, last)
    column = DAY_RESULTS.c
    out: dict[tuple[int, date], tuple[int, ...]] = {}
    for start in range(0, len(ids), IDS_PER_DELETE):
        out.update(((e, d), (w, du, b, a, s)) for e, d, w, du, b, a, s in
                   session.connection().execute(
            select(column.employee_id, column.day, column.worked, column.due,
                   column.balance, column.anomalies, column.stamps_seen)
            .where(one_of(column.employee_id, ids[start:start + IDS_PER_DELETE]),
                   column.day >= first, column.day <= last)))
    return out


def _stored_pg(session: Session, ids: list[int], first: date,
               last: date) -> dict[tuple[int, date], tuple[int, ...]]:
    """As `_stored`, through psycopg's cursor, in the session's transaction: the rows
    need no conversion, and building SQLAlchemy's rows of a month (31 per employee) was
    a third of reading them."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    out: dict[tuple[int, date], tuple[int, ...]] = {}
    with driver.cursor() as cursor:
        cursor.execute(
            "SELECT employee_id, day, worked, due, balance, anomalies, stamps_seen"
            " FROM day_results WHERE employee_id = ANY(%s) AND day BETWEEN %s AND %s",
            (ids, first, last))
        out.update(((e, d), (w, du, b, a, s)) for e, d, w, du, b, a, s in cursor)
    return out


def _waiting(session: Session, institutions: set[str], ids: list[int], first: date,
             last: date) -> set[int]:
    """Those with a day of the month waiting for the worker: their stored days may be
    stale, so every day of theirs is written."""
    out: set[int] = set()
    for start in range(0, len(ids), IDS_PER_DELETE):
        out.update(session.scalars(select(DirtyDay.employee_id).where(
            DirtyDay.institution_id.in_(institutions),
            one_of(DirtyDay.employee_id, ids[start:start + IDS_PER_DELETE]),
            DirtyDay.day.between(first, last)).distinct()))
    return out


def _delete_range(session: Session, ids: list[int], first: date, last: date) -> None:
    column = DAY_RESULTS.c
    for start in range(0, len(ids), IDS_PER_DELETE):
        session.execute(delete(DAY_RESULTS).where(
            column.employee_id.in_(ids[start:start + IDS_PER_DELETE]),
            column.day >= first, column.day <= last))


def _delete_keys(session: Session, keys: list[tuple[int, date]]) -> None:
    # By employee and days, not a tuple IN: SQLite answers that by scanning the table.
    for start in range(0, len(keys), IDS_PER_DELETE):
        session.execute(delete(DAY_RESULTS).where(
            employee_days(DAY_RESULTS, keys[start:start + IDS_PER_DELETE])))


def _insert_sqlite(session: Session, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain tuples, in the session's transaction: SQLAlchemy's
    per-value processing of a step's tens of thousands of rows took longer than SQLite's
    writing them. Values as SQLAlchemy's SQLite types store them: dates ISO, datetimes
    naive UTC with microseconds, the JSON as text."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    texts: dict[datetime, str] = {}  # the step's rows share one `computed_at`
    driver.executemany(
        f"INSERT INTO day_results ({', '.join(COPIED)}) "
        f"VALUES ({', '.join('?' * len(COPIED))})",
        [(row["employee_id"], row["day"].isoformat(), row["worked"], row["due"],
          row["balance"], row["anomalies"], row["data"], row["stamps_seen"],
          _moment_text(row["computed_at"], texts)) for row in rows])


def _copy(session: Session, rows: list[dict[str, Any]]) -> None:
    """COPY, in the session's own transaction: several times faster than multi-row
    INSERTs for the tens of thousands of rows of a step, JSON included."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    # The step's rows share one `computed_at`: converted once, not once per row.
    moments: dict[datetime, datetime] = {}
    with driver.cursor() as cursor, cursor.copy(
            f"COPY day_results ({', '.join(COPIED)}) FROM STDIN") as copy:
        for row in rows:  # each row's values in the order of COPIED, by hand: per value
            # calls were a fifth of the copy
            copy.write_row((row["employee_id"], row["day"], row["worked"], row["due"],
                            row["balance"], row["anomalies"], row["data"],
                            row["stamps_seen"], _moment(row["computed_at"], moments)))


SQLITE_MOMENT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's DATETIME storage format on SQLite
COPIED = ("employee_id", "day", "worked", "due", "balance", "anomalies", "data",
          "stamps_seen", "computed_at")
assert set(COPIED) == {c.name for c in DAY_RESULTS.columns}, "a day result's column unwritten"


def _moment(value: datetime, moments: dict[datetime, datetime]) -> datetime:
    """Kept naive in UTC, as `UTCDateTime` writes it."""
    if value not in moments:
        moments[value] = value.astimezone(UTC).replace(tzinfo=None)
    return moments[value]


def _moment_text(value: datetime, texts: dict[datetime, str]) -> str:
    if value not in texts:
        texts[value] = value.astimezone(UTC).strftime(SQLITE_MOMENT)
    return texts[value]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for one batch of the close.

    A batch keeps hundreds of thousands of objects alive until it ends (the facts, the
    engine's days, the rows written), and the collector traverses them again at each of
    its passes: measured at 2,000 employees, its passes took a quarter of the close and the
    close ran up to twice as long with them. Reference counting still frees everything the
    batch drops; the collector resumes after it (as it was: another thread's batch may have
    paused it, and the first to have paused it resumes it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
