"""The close bench's data: employees and months of stamps written in bulk, not through the
services (COPY on PostgreSQL, one executemany per chunk on SQLite)."""

from __future__ import annotations

import calendar
import random
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bench.engine import synthetic_day
from server.db import make_engine, upgrade
from server.db.directory import ensure_institution
from server.db.models import Employee, User

INSTITUTION = "university"
YEAR, MONTH = 2026, 3
ZONE = ZoneInfo("Europe/Rome")
CREATED = datetime(2025, 1, 1, tzinfo=UTC)
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COLUMNS = ("institution_id", "source", "employee_id", "terminal_time", "received_at",
           "local_date", "local_minute", "direction", "code", "flags", "void")
CHUNK = 100_000
HISTORY_FROM = (2025, 4)  # the first month of the year before March (`add_history`)


@contextmanager
def fresh_database(urls: Sequence[str] | None) -> Iterator[list[str]]:
    """The URLs given, or a SQLite file and a PostgreSQL database made for this run and
    dropped after it."""
    if urls:
        yield list(urls)
        return
    name = f"timbra_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as folder:
            yield [f"sqlite:///{Path(folder) / 'close.db'}",
                   sa.engine.make_url(POSTGRES_ADMIN).set(database=name)
                   .render_as_string(False)]
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build(url: str, employees: int) -> Engine:
    """The university, `employees` people on full time, the office's user, March's stamps."""
    engine = people(url, employees)
    write_stamps(engine, _ids(engine), [(YEAR, MONTH)], seed=1)
    analyze(engine)
    return engine


def people(url: str, employees: int) -> Engine:
    """A database at the schema's head with the university, `employees` people on full
    time (numbered B000000…) and the office's user."""
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        ensure_institution(session, INSTITUTION, "Università")
        session.execute(insert(Employee), [
            {"institution_id": INSTITUTION, "number": f"B{n:06d}", "name": f"Dipendente {n}",
             "profile": "full_time", "part_time_percent": 100, "active": True}
            for n in range(employees)])
        session.execute(insert(User), [{
            "institution_id": INSTITUTION, "username": "bench.personale",
            "display_name": "Ufficio personale", "role": "office", "password_hash": "x",
            "must_change_password": False, "failed_logins": 0, "active": True,
            "created_at": CREATED}])
    return engine


def analyze(engine: Engine) -> None:
    """PostgreSQL's autovacuum analyzes a table after a bulk load within a minute; the
    bench does not wait for it. SQLite is left as a deployment leaves it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
            connection.commit()


# The year before the month (April 2025 to February 2026).
HISTORY = [(2025, m) for m in range(4, 13)] + [(2026, 1), (2026, 2)]


def add_history(engine: Engine, employees: int) -> None:
    """The stamps of the year before the month (`HISTORY`) for the first `employees`."""
    write_stamps(engine, _ids(engine)[:employees], HISTORY, seed=2)
    analyze(engine)


def _ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(Employee.id).order_by(Employee.id)))


def write_stamps(engine: Engine, ids: list[int], months: list[tuple[int, int]],
                 seed: int) -> int:
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    written = 0
    for year, month in months:
        days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)
                if date(year, month, d).isoweekday() <= 5]
        for employee_id in ids:
            for day in days:
                midnight = datetime.combine(day, time(), ZONE).astimezone(UTC)
                for s in synthetic_day(rng):
                    rows.append((INSTITUTION, "terminal", employee_id,
                                 midnight + timedelta(minutes=s.minute), CREATED, day,
                                 s.minute, s.direction, s.code, "", False))
            if len(rows) >= CHUNK:
                written += _write(engine, rows)
                rows = []
    return written + _write(engine, rows)


def _write(engine: Engine, rows: list[tuple[Any, ...]]) -> int:
    if not rows:
        return 0
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY stamps ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:  # SQLite keeps datetimes as text, naive UTC
            cursor.executemany(
                f"INSERT INTO stamps ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join('?' * len(COLUMNS))})",
                [(*r[:3], _text(r[3]), _text(r[4]), r[5].isoformat(), *r[6:10], 0)
                 for r in rows])
        connection.commit()
    finally:
        connection.close()
    return len(rows)


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
