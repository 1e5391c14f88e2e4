"""Day results kept current: re-evaluate the employee-days whose stamps changed.

Reading and computing are apart from writing (`evaluate_days`, then
`store_results`) so the service can compute outside the write transaction:
SQLite has one writer, and the stamps' commits must not wait for the engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from server.days.account_months import forget
from server.days.employment import contracts_of, employed_on
from server.days.facts import (
    STAMP_COLUMNS,
    STAMP_ORDER,
    EmployeeDay,
    FactRow,
    approved_rows,
    engine_inputs,
    engine_stamp,
    in_force,
    replaced_ids,
)
from server.days.rules_in_force import RulesInForce
from server.days.schedules import Key, carry_night_stamps, ends_by, load_schedules
from server.db.keys import employee_days, one_of
from server.db.models import DAY_RESULTS, Employee
from server.db.models import Stamp as StampRow
from server.engine import Request, Schedule, Stamp, evaluate_day

ONE_DAY = timedelta(days=1)


def evaluate_days(session: Session, days: Iterable[EmployeeDay],
                  now: datetime) -> list[dict[str, Any]]:
    """The day-result rows for these employee-days, read and computed, not yet written."""
    wanted: dict[int, set[date]] = defaultdict(set)
    institution_of: dict[int, str] = {}
    for institution_id, employee_id, day in days:
        wanted[employee_id].add(day)
        institution_of[employee_id] = institution_id
    if not wanted:
        return []
    employees = {row.id: row for row in session.execute(
        select(Employee.id, Employee.institution_id, Employee.number, Employee.profile,
               Employee.part_time_percent, Employee.active, Employee.deactivated_at).where(
            one_of(Employee.id, wanted)))}
    all_days = set().union(*wanted.values())
    rules = RulesInForce(session, set(institution_of.values()))
    contracts = contracts_of(session, list(employees.values()))
    schedules = load_schedules(session, list(employees.values()),
                               min(all_days) - ONE_DAY, max(all_days), contracts=contracts)
    rows, stamps, requests = _inputs(session, wanted, all_days)
    carry_night_stamps(stamps, schedules,
                       ends_by(lambda key: rules.on(institution_of[key[0]], key[1])))
    results = []
    for employee_id, days_wanted in sorted(wanted.items()):
        employee = employees.get(employee_id)
        if employee is None:
            continue
        for day in sorted(days_wanted):
            policy = rules.on(institution_of[employee_id], day)
            if policy is None or not employed_on(employee, day, ZoneInfo(policy.timezone),
                                                 contracts[employee_id]):
                continue  # not evaluated: `store_results` removes what was stored
            key = (employee_id, day)
            row = _evaluate(policy, schedules.get(key, employee.profile), key,
                            len(rows.get(key, ())), now, stamps.get(key, []),
                            requests.get(key, []))
            if row is not None:
                results.append(row)
    return results


def _inputs(session: Session, wanted: dict[int, set[date]], all_days: set[date],
            ) -> tuple[dict[Key, list[FactRow]], dict[Key, list[Stamp]],
                       dict[Key, list[Request]]]:
    """(stamp rows in force, engine stamps, requests) per employee-day; the stamps of the
    day after each day too, which a night shift may take."""
    read = all_days | {d + ONE_DAY for d in all_days}
    fact_rows = session.connection().execute(select(*STAMP_COLUMNS).where(
        one_of(StampRow.employee_id, wanted), one_of(StampRow.local_date, read))
        .order_by(*STAMP_ORDER)).all()
    replaced = replaced_ids(fact_rows)
    by_day: dict[Key, list[FactRow]] = defaultdict(list)
    for row in fact_rows:
        by_day[(row.employee_id, row.local_date)].append(row)
    rows = {key: in_force(found, replaced) for key, found in by_day.items()}
    # Approved requests reach the engine: justifications as requests, missed stamps
    # as declared stamps, overtime as the authorisation of its code.
    requests, declared = engine_inputs(approved_rows(session, wanted, days=read))
    stamps: dict[Key, list[Stamp]] = {
        key: [engine_stamp(r) for r in rows.get(key, ())] + declared.get(key, [])
        for key in set(rows) | set(declared)}
    return rows, stamps, requests


def _evaluate(policy: Any, schedule: str | Schedule, key: Key, seen: int, now: datetime,
              stamps: list[Stamp], requests: list[Request]) -> dict[str, Any] | None:
    try:
        result = evaluate_day(policy, schedule, key[1], stamps, requests)
    except LookupError:
        return None  # no rules in force that day, or a profile the rules lack
    return {"employee_id": key[0], "day": key[1], "worked": result.worked, "due": result.due,
            "balance": result.balance, "anomalies": len(result.anomalies),
            "data": result.to_json(explain=False), "stamps_seen": seen, "computed_at": now}


def store_results(session: Session, results: list[dict[str, Any]],
                  evaluated: Iterable[tuple[int, date]] = ()) -> int:
    """Replace the results of the employee-days `evaluated` (and of those in `results`):
    one of them with no result now (its employee left, the rules in force lack their
    profile) keeps no figure computed under what held before. Core statements, one
    delete per 500 days."""
    keys = sorted({(row["employee_id"], row["day"]) for row in results} | set(evaluated))
    for start in range(0, len(keys), 500):
        session.execute(delete(DAY_RESULTS).where(
            employee_days(DAY_RESULTS, keys[start:start + 500])))
    if results:
        session.execute(insert(DAY_RESULTS), results)
    return len(results)


def refresh_days(session: Session, days: Iterable[EmployeeDay], now: datetime) -> int:
    """Evaluate and store in the caller's transaction, so a page shows it at once (a
    decision, a correction, a close), forgetting the hours account's closings from the
    days' months on; returns how many were stored."""
    days = set(days)
    forget(session, [(employee_id, day) for _, employee_id, day in days], now)
    return store_results(session, evaluate_days(session, days, now),
                         {(employee_id, day) for _, employee_id, day in days})

