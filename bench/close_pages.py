"""The close bench's reading side: the timecard page and its API timed over many
employees, first with the hours account carried from where it begins (no closings kept),
then once the recompute worker has kept each month's closing (`account_months`); the
forward recompute after a stamp 11 months back for one employee, against its months
evaluated without balances; and a late stamp followed until its day and its month are
current."""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from bench.close_data import CREATED, INSTITUTION, MONTH, YEAR, ZONE
from server.days.dirty import mark_dirty
from server.days.month import month_runs, months_between, person_months
from server.days.rules_in_force import RulesInForce
from server.days.worker import ACCOUNT_ROUND, Recomputer
from server.db.account_tables import AccountMonthRow
from server.db.models import DayResultRow, Employee, Stamp, User
from server.office.passwords import hash_password
from server.web.app import create_app
from server.web.timecard import month_view

PASSWORD = "bench-Password-2026"
SAMPLE = 200  # employees whose timecard is asked, once each per kind


def page_percentiles(engine: Engine, now: datetime, label: str = "") -> dict[str, float]:
    """p50/p95/p99 of GET /timecard/{id} and /api/v1/timecard/{id} for March, as the office
    asks them (the whole year's stamps before it are in the database); the p95s."""
    with Session(engine) as session, session.begin():
        session.execute(update(User).where(User.role == "office").values(
            password_hash=hash_password(PASSWORD), must_change_password=False))
        username = session.scalar(select(User.username).where(User.role == "office"))
        ids = list(session.scalars(select(Employee.id)))
    sample = random.Random(3).sample(ids, min(SAMPLE, len(ids)))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    with tempfile.TemporaryDirectory() as folder, TestClient(
            create_app(engine, data_dir=Path(folder), secret="bench-secret-" + "x" * 32),
            base_url="https://testserver.local") as client:
        client.get("/login")
        answer = client.post("/login", data={
            "username": username, "password": PASSWORD,
            "_csrf_token": client.cookies.get("timbra_csrf", "")}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        month = f"{YEAR:04d}-{MONTH:02d}"
        p95: dict[str, float] = {}
        for kind, path in (("page", "/timecard/{}"), ("api", "/api/v1/timecard/{}")):
            client.get(path.format(sample[0]) + f"?month={month}")  # templates, caches
            times = _timed(lambda e, p=path: _ok(client.get(p.format(e) + f"?month={month}")),
                           sample)
            print(f"{engine.dialect.name:<10} timecard {kind:<4}{label} over {len(times)} "
                  f"employees: p50 {_p(times, 50):.0f} ms p95 {_p(times, 95):.0f} ms "
                  f"p99 {_p(times, 99):.0f} ms", flush=True)
            p95[kind] = _p(times, 95)
    return p95


def service_p95(engine: Engine, label: str, size: int = SAMPLE) -> float:
    """The timecard as its route computes it (`month_view`, no HTTP), for `size` of the
    employees the pages ask: p50/p95/p99 printed, the p95 returned. No worker runs
    meanwhile, unlike under the web app (which keeps the account's closings at start)."""
    with Session(engine) as session:
        employees = {e.id: e for e in session.scalars(select(Employee))}
        sample = random.Random(3).sample(sorted(employees), min(size, len(employees)))

        def ask(employee_id: int) -> None:
            month_view(session, employees[employee_id], YEAR, MONTH)
            session.rollback()
        ask(sample[0])
        times = _timed(ask, sample)
    print(f"{engine.dialect.name:<10} timecard service{label} over {len(times)} employees: "
          f"p50 {_p(times, 50):.0f} ms p95 {_p(times, 95):.0f} ms "
          f"p99 {_p(times, 99):.0f} ms", flush=True)
    return _p(times, 95)


def fill_accounts_s(engine: Engine, now: datetime) -> float:
    """The recompute worker's rounds until every employee's account keeps the closing of
    the month before `now`'s: what it does once when an institution adopts timbra."""
    started = time.perf_counter()
    _work_off(engine, now)
    return time.perf_counter() - started


def months_s(engine: Engine, now: datetime, first: tuple[int, int]) -> float:
    """The baseline of the worker's fill: every employee's months from `first` to the one
    before `now`'s evaluated as the account evaluates them (`month_runs`, the year's
    openings, as many employees at a time as a worker's round), without balances."""
    before = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    with Session(engine) as session:
        employees = list(session.scalars(select(Employee).order_by(Employee.id)))
        rules = RulesInForce(session, [INSTITUTION])
        started = time.perf_counter()
        for start in range(0, len(employees), ACCOUNT_ROUND):
            month_runs(session, rules, employees[start:start + ACCOUNT_ROUND], first, before,
                       now=now, with_opening=True)
        return time.perf_counter() - started


def forward_s(engine: Engine, now: datetime) -> tuple[float, float]:
    """A stamp dated 11 months before `now`'s month for one employee with a year of stamps,
    stored as the ingest stores it, then the worker's rounds: seconds until its day and
    every later closing of that employee are kept again; and, as the baseline, seconds to
    evaluate the same months of that employee without balances (`month_runs`)."""
    day = date(now.year - 1, now.month + 1, 12) if now.month < 12 else date(now.year, 1, 12)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    with Session(engine) as session:
        employee = session.scalars(select(Employee).order_by(Employee.id)).first()
        assert employee is not None
        rules = RulesInForce(session, [INSTITUTION])
        before = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
        started = time.perf_counter()
        month_runs(session, rules, [employee], (day.year, day.month), before, now=now)
        baseline = time.perf_counter() - started
        kept_before = _kept(session, employee.id)
    moment = datetime.combine(day, datetime.min.time(), ZONE) + timedelta(hours=19)
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        session.execute(insert(Stamp).values(
            institution_id=INSTITUTION, source="terminal", employee_id=employee.id,
            terminal_time=moment.astimezone(UTC), received_at=CREATED, local_date=day,
            local_minute=19 * 60, direction="out", code=None, flags="late", void=False))
        mark_dirty(session, [(INSTITUTION, employee.id, day)], now)
    _work_off(engine, now)
    elapsed = time.perf_counter() - started
    with Session(engine) as session:
        kept_after = _kept(session, employee.id)
    months = months_between((day.year, day.month), before)
    assert all(m in kept_after for m in months), "a later closing not kept again"
    assert set(kept_after) >= set(kept_before), "closings lost"
    return elapsed, baseline


def _work_off(engine: Engine, now: datetime) -> None:
    worker = Recomputer(engine, lambda: now)
    deadline = time.monotonic() + 60
    while not worker.turn.holds():  # the web app's worker may still be at it
        assert time.monotonic() < deadline, "the recompute turn never came"
        time.sleep(0.05)
    try:
        while worker.run_once():
            pass
    finally:
        worker.turn.release()


def _kept(session: Session, employee_id: int) -> dict[tuple[int, int], int]:
    return {(r.year, r.month): r.balance for r in session.scalars(
        select(AccountMonthRow).where(AccountMonthRow.employee_id == employee_id))}


def _ok(answer: object) -> None:
    assert getattr(answer, "status_code", 0) == 200, getattr(answer, "text", answer)


def _timed(ask: Callable[[int], None], employees: list[int]) -> list[float]:
    times = []
    for employee_id in employees:
        started = time.perf_counter()
        ask(employee_id)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p(times: list[float], percent: int) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[percent - 1]


def late_stamp_s(engine: Engine) -> float:
    """A late exit of 10 March stored as the ingest stores it (the row and its dirty mark
    in one transaction), then the recompute worker's rounds: seconds until the day's
    stored result and the month as the pages compute it both count it. The worker's
    wait for a wake-up (at most its pause) is not counted."""
    day = date(YEAR, MONTH, 10)
    with Session(engine) as session:
        employee = session.scalars(select(Employee).order_by(Employee.id)).first()
        assert employee is not None
        before = _seen(session, employee, day)
    moment = datetime.combine(day, datetime.min.time(), ZONE) + timedelta(hours=19)
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        session.execute(insert(Stamp).values(
            institution_id=INSTITUTION, source="terminal", employee_id=employee.id,
            terminal_time=moment.astimezone(UTC), received_at=CREATED, local_date=day,
            local_minute=19 * 60, direction="out", code=None, flags="late", void=False))
        mark_dirty(session, [(INSTITUTION, employee.id, day)], datetime.now(UTC))
    worker = Recomputer(engine, lambda: datetime.now(UTC))
    while worker.run_once():
        pass
    with Session(engine) as session:
        stored = session.get(DayResultRow, (employee.id, day))
        after = _seen(session, employee, day)
    elapsed = time.perf_counter() - started
    assert stored is not None and stored.stamps_seen == before + 1, "day not recomputed"
    assert after == before + 1, "the month does not count the late stamp"
    return elapsed


def _seen(session: Session, employee: Employee, day: date) -> int:
    """The stamps in force the month as the pages show it counts on `day`."""
    months = person_months(session, RulesInForce(session, [INSTITUTION]), [employee], YEAR,
                           MONTH)
    return months[employee.id].seen.get(day, 0)
