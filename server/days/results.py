"""Day results kept current: re-evaluate the employee-days whose stamps changed.

Reading and computing are apart from writing (`evaluate_days`, then
`store_results`) so the service can compute outside the write transaction:
SQLite has one writer, and the stamps' commits must not wait for the engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from server.days.employment import employed_on
from server.days.facts import (
    STAMP_COLUMNS,
    EmployeeDay,
    FactRow,
    approved_rows,
    engine_inputs,
    engine_stamp,
    in_force,
    replaced_ids,
)
from server.days.rules_in_force import RulesInForce
from server.db.keys import employee_days
from server.db.models import DAY_RESULTS, Employee
from server.db.models import Stamp as StampRow
from server.engine import Request, Stamp, evaluate_day


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
        select(Employee.id, Employee.profile, Employee.active, Employee.deactivated_at)
        .where(Employee.id.in_(wanted)))}
    all_days = set().union(*wanted.values())
    stamps = list(session.execute(select(*STAMP_COLUMNS).where(
        StampRow.employee_id.in_(wanted), StampRow.local_date.in_(all_days))))
    replaced = replaced_ids(stamps)
    by_day: dict[tuple[int, date], list[FactRow]] = defaultdict(list)
    for stamp in stamps:
        by_day[(stamp.employee_id, stamp.local_date)].append(stamp)
    # Approved requests reach the engine: justifications as requests, missed stamps
    # as declared stamps, overtime as the authorisation of its code.
    requests, declared = engine_inputs(approved_rows(session, wanted, days=all_days))
    rules = RulesInForce(session, set(institution_of.values()))
    results = []
    for employee_id, days_wanted in sorted(wanted.items()):
        employee = employees.get(employee_id)
        if employee is None:
            continue
        for day in sorted(days_wanted):
            policy = rules.on(institution_of[employee_id], day)
            if policy is None or not employed_on(employee, day, ZoneInfo(policy.timezone)):
                continue  # not evaluated: `store_results` removes what was stored
            key = (employee_id, day)
            row = _evaluate(policy, employee.profile, employee_id, day,
                            in_force(by_day[key], replaced), now,
                            declared.get(key, []), requests.get(key, []))
            if row is not None:
                results.append(row)
    return results


def _evaluate(policy: Any, profile: str, employee_id: int, day: date,
              rows: list[FactRow], now: datetime, declared: list[Stamp] | None = None,
              requests: list[Request] | None = None) -> dict[str, Any] | None:
    stamps = [engine_stamp(r) for r in rows]
    stamps += declared or []
    try:
        result = evaluate_day(policy, profile, day, stamps, requests or [])
    except LookupError:
        return None  # no rules in force that day, or a profile the rules lack
    return {"employee_id": employee_id, "day": day, "worked": result.worked, "due": result.due,
            "balance": result.balance, "anomalies": len(result.anomalies),
            "data": result.to_json(), "stamps_seen": len(rows), "computed_at": now}


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
    decision, a correction, a close); returns how many were stored."""
    days = set(days)
    return store_results(session, evaluate_days(session, days, now),
                         {(employee_id, day) for _, employee_id, day in days})

