"""The month close killed with SIGKILL midway, on PostgreSQL, then resumed.

1,500 employees (a large university's staff), bulk-inserted; `timbra close` runs in a
child process and is killed once some batches are committed; before the resume the
office deactivates someone not yet evaluated. What the office checks afterwards: the
month is closed, everyone active when the close began was evaluated exactly once (the
entry's own counter, committed with its figures) and has their figures, the deactivated
employee included, since they worked part of the month.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fault_harness import ROOT, wait_for
from sqlalchemy.orm import Session

from server.db.directory import ensure_institution
from server.db.models import (
    AuditEntry,
    DayResultRow,
    Employee,
    MonthClose,
    MonthCloseEntry,
    Stamp,
    User,
)

pytestmark = pytest.mark.faults

EMPLOYEES = 1_500
BATCH = 50
MONTH = "2026-04"
WORKED_DAY = date(2026, 4, 7)  # everyone stamps 07:30-14:42 that Tuesday: 7h12 worked


def seed(engine: sa.Engine) -> None:
    """The school with EMPLOYEES people, one stamped day each, and the office's user."""
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        ensure_institution(session, "school", "Liceo")
        session.execute(sa.insert(Employee), [
            {"institution_id": "school", "number": f"M{n:05d}", "name": f"Dipendente {n}",
             "profile": "full_time", "part_time_percent": 100, "active": True}
            for n in range(EMPLOYEES)])
        session.execute(sa.insert(User), [{
            "institution_id": "school", "username": "school.personale",
            "display_name": "Ufficio personale", "role": "office", "password_hash": "x",
            "must_change_password": False, "failed_logins": 0, "active": True,
            "created_at": created}])
        ids = list(session.scalars(sa.select(Employee.id)))
        # 07:30 and 14:42 in Rome (summer time) are 05:30 and 12:42 UTC.
        session.execute(sa.insert(Stamp), [
            {"institution_id": "school", "source": "terminal", "employee_id": e,
             "terminal_time": datetime(2026, 4, 7, hour, minute, tzinfo=UTC),
             "received_at": created, "local_date": WORKED_DAY, "local_minute": local,
             "direction": direction, "flags": "", "void": False,
             "terminal_stamp_id": f"{e}-{direction}"}
            for e in ids for hour, minute, local, direction in (
                (5, 30, 450, "in"), (12, 42, 882, "out"))])


def start_close(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TIMBRA_DATABASE_URL": url}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "server.cli.main", "close", "--institution", "school",
             "--month", MONTH, "--as", "school.personale", "--batch", str(BATCH),
             "--reason", "assenze di aprile non giustificate: chiusura per le paghe"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def done_entries(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(MonthCloseEntry)
                                 .where(MonthCloseEntry.done.is_(True))) or 0


# On PostgreSQL only: the conftest's private database (`_postgres_database`).
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_close_killed_midway_resumes_and_evaluates_everyone_exactly_once(
        db_url: str, db_engine: sa.Engine, tmp_path: Path) -> None:
    started, engine = time.monotonic(), db_engine
    seed(engine)
    log = tmp_path / "close.log"
    first = start_close(db_url, log)
    try:
        wait_for(lambda: done_entries(engine) >= 4 * BATCH or first.poll() is not None,
                 60, "some batches of the close to be committed")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed_at = done_entries(engine)
    assert BATCH <= killed_at < EMPLOYEES, log.read_text()[-2000:]
    print(f"killed with {killed_at} of {EMPLOYEES} evaluated")
    with Session(engine) as session, session.begin():
        close = session.scalar(sa.select(MonthClose))
        assert close is not None and close.state == "closing"  # locked, not closed
        # Before the resume the office deactivates the next employee the killed run had
        # not reached, and one it had (who would shift a page counted from the start).
        leavers = [session.scalar(
            sa.select(Employee).join(MonthCloseEntry,
                                     MonthCloseEntry.employee_id == Employee.id)
            .where(MonthCloseEntry.done.is_(done)).order_by(Employee.id)) for done in
            (False, True)]
        for leaver in leavers:
            assert leaver is not None
            leaver.active, leaver.deactivated_at = False, datetime.now(UTC)
        leaver_ids = [leaver.id for leaver in leavers if leaver is not None]
    second = start_close(db_url, log)
    assert second.wait(120) == 0, log.read_text()[-2000:]
    with Session(engine) as session:
        close = session.scalar(sa.select(MonthClose))
        assert close is not None
        assert (close.state, close.done, close.total) == ("closed", EMPLOYEES, EMPLOYEES)
        entries = session.execute(sa.select(
            MonthCloseEntry.employee_id, MonthCloseEntry.evaluations,
            MonthCloseEntry.worked, MonthCloseEntry.due,
            MonthCloseEntry.anomalies)).all()
        everyone = set(session.scalars(sa.select(Employee.id)))
        leaver_days = session.scalar(sa.select(sa.func.count()).select_from(DayResultRow)
                                     .where(DayResultRow.employee_id.in_(leaver_ids)))
        closed_audits = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action == "month_closed"))
    # Every employee of the snapshot, once: none skipped, none evaluated twice.
    assert {e for e, *_ in entries} == everyone and len(entries) == EMPLOYEES
    assert {evaluations for _, evaluations, *_ in entries} == {1}
    # Figures for all: the stamped Tuesday worked, April's due, unstamped days open.
    assert {(worked, (due or 0) > 432, (anomalies or 0) > 0)
            for _, _, worked, due, anomalies in entries} == {(432, True, True)}
    assert leaver_days == 2 * 30 and closed_audits == 1  # April's days, stored for both
    assert time.monotonic() - started < 60, "the fault test must stay under a minute"
