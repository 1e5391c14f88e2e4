"""A batch of the month close stored in bulk: each employee's days as the month computed
them, so the close evaluates every employee-day once.

`person_months` already evaluates each day of the month with the engine; its `DayResult`s
are the day results the close keeps. They replace what was stored for the batch's
employees over the whole month with one delete by key range (primary-key order: employee,
then day) and one multi-row insert, instead of a second evaluation of every day and a
delete per key. Days after `through` (a deactivation) are deleted and not written back,
as `store_results` does for a day no longer evaluated.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from sqlalchemy import Text, cast, delete, select, tuple_
from sqlalchemy.orm import Session

from server.days.month import PersonMonth
from server.db.models import DAY_RESULTS

IDS_PER_DELETE = 500  # employees per delete: a bounded IN list on either database


def day_rows(months: Mapping[int, PersonMonth], now: datetime) -> list[dict[str, Any]]:
    """The day-result rows of these months' evaluated days, as `evaluate_days` words them;
    `data` already JSON text (`_json_text`)."""
    rows = []
    for employee_id, person in months.items():
        for day in person.result.days:
            rows.append({"employee_id": employee_id, "day": day.day, "worked": day.worked,
                         "due": day.due, "balance": day.balance,
                         "anomalies": len(day.anomalies),
                         "data": _json_text(day.to_json(explain=False)),
                         "stamps_seen": person.seen.get(day.day, 0), "computed_at": now})
    return rows


def replace_month_results(session: Session, employee_ids: Sequence[int], first: date,
                          last: date, rows: list[dict[str, Any]]) -> int:
    """Replace the stored results of these employees from `first` to `last` with `rows`;
    returns how many were written.

    A stored result equal to its row stays as it is: the recompute worker has usually
    stored the month's days already, and reading them costs a fraction of deleting and
    writing them again (a close again wrote every day of the month). Only the rows that
    differ, and the stored days no row keeps, are deleted; the rows that differ are
    written."""
    ids = sorted(employee_ids)
    stored = _stored(session, ids, first, last)
    changed, gone = [], []
    for row in rows:
        key = (row["employee_id"], row["day"])
        before = stored.pop(key, None)
        if not _same(before, row):
            changed.append(row)
            if before is not None:
                gone.append(key)
    gone.extend(stored)  # stored days no row keeps: after a deactivation
    if len(gone) * 2 > len(rows):  # most of the month changed: all written again
        _delete_range(session, ids, first, last)
        changed = rows
    elif gone:
        _delete_keys(session, gone)
    if changed and session.get_bind().dialect.name == "postgresql":
        _copy(session, changed)
    elif changed:
        _insert_sqlite(session, changed)
    return len(changed)


Stored = Any  # a row of `_stored`: key, FIGURES_STORED, the data's JSON text
FIGURES_STORED = ("worked", "due", "balance", "anomalies", "stamps_seen")


def _stored(session: Session, ids: list[int], first: date,
            last: date) -> dict[tuple[int, date], Stored]:
    column = DAY_RESULTS.c
    out: dict[tuple[int, date], Stored] = {}
    for start in range(0, len(ids), IDS_PER_DELETE):
        # The JSON as the text stored, not parsed: compared as text first.
        out.update(((row[0], row[1]), row) for row in session.connection().execute(
            select(column.employee_id, column.day,
                   *(column[name] for name in FIGURES_STORED), cast(column.data, Text))
            .where(column.employee_id.in_(ids[start:start + IDS_PER_DELETE]),
                   column.day >= first, column.day <= last)))
    return out


def _same(stored: Stored | None, row: dict[str, Any]) -> bool:
    if stored is None or (stored[2], stored[3], stored[4], stored[5], stored[6]) != (
            row["worked"], row["due"], row["balance"], row["anomalies"], row["stamps_seen"]):
        return False
    # Stored by the close (msgspec) the texts are equal; stored by the ordinary refresh
    # (`json.dumps`'s spacing) the same data reads back the same.
    return bool(stored[7] == row["data"] or (
        _JSON.encode(_DECODE.decode(stored[7])).decode() == row["data"]))


def _delete_range(session: Session, ids: list[int], first: date, last: date) -> None:
    column = DAY_RESULTS.c
    for start in range(0, len(ids), IDS_PER_DELETE):
        session.execute(delete(DAY_RESULTS).where(
            column.employee_id.in_(ids[start:start + IDS_PER_DELETE]),
            column.day >= first, column.day <= last))


def _delete_keys(session: Session, keys: list[tuple[int, date]]) -> None:
    column = DAY_RESULTS.c
    for start in range(0, len(keys), IDS_PER_DELETE):
        session.execute(delete(DAY_RESULTS).where(tuple_(column.employee_id, column.day)
                                                  .in_(keys[start:start + IDS_PER_DELETE])))


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


_JSON = msgspec.json.Encoder()
_DECODE = msgspec.json.Decoder()


def _json_text(data: dict[str, Any]) -> str:
    """msgspec's encoder (a dependency already) writes the same JSON in a fraction of
    `json.dumps`'s time: the day results' JSON was a sixth of a close's writes."""
    return _JSON.encode(data).decode()


def _moment(value: datetime, moments: dict[datetime, datetime]) -> datetime:
    """Kept naive in UTC, as `UTCDateTime` writes it."""
    if value not in moments:
        moments[value] = value.astimezone(UTC).replace(tzinfo=None)
    return moments[value]


def _moment_text(value: datetime, texts: dict[datetime, str]) -> str:
    if value not in texts:
        texts[value] = value.astimezone(UTC).strftime(SQLITE_MOMENT)
    return texts[value]


def store_months(session: Session, months: Mapping[int, PersonMonth], first: date,
                 last: date, now: datetime) -> int:
    """Keep the days of these evaluated months as their stored day results."""
    return replace_month_results(session, list(months), first, last, day_rows(months, now))


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
