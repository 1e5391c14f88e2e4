"""Day results kept current: re-evaluate the employee-days whose stamps changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from server.db.models import DayResultRow, Employee
from server.db.models import Stamp as StampRow
from server.engine import Stamp, evaluate_day
from server.engine.inputs import Direction
from server.ingest.lookup import Lookup
from server.ingest.store import EmployeeDay


def stamps_in_force(session: Session, employee_id: int, day: object) -> list[StampRow]:
    """The day's stamps that no correction replaces and that are not void, in time order."""
    newer = aliased(StampRow)
    replaced = select(newer.id).where(newer.replaces_id == StampRow.id).exists()
    return list(session.scalars(
        select(StampRow)
        .where(StampRow.employee_id == employee_id, StampRow.local_date == day,
               StampRow.void.is_(False), ~replaced)
        .order_by(StampRow.terminal_time, StampRow.id)))


def recompute(session: Session, lookup: Lookup, days: Iterable[EmployeeDay],
              now: datetime) -> int:
    """Evaluate and store each employee-day; returns how many were stored."""
    count = 0
    for institution_id, employee_id, day in sorted(set(days)):
        policy = lookup.policy(institution_id)
        employee = session.get(Employee, employee_id)
        if policy is None or employee is None:
            continue
        rows = stamps_in_force(session, employee_id, day)
        stamps = [Stamp(r.local_minute, _direction(r.direction), r.code, r.source) for r in rows]
        try:
            result = evaluate_day(policy, employee.profile, day, stamps, [])
        except LookupError:
            continue  # no rules in force that day, or a profile the rules lack
        session.execute(delete(DayResultRow).where(DayResultRow.employee_id == employee_id,
                                                   DayResultRow.day == day))
        session.add(DayResultRow(
            employee_id=employee_id, day=day, worked=result.worked, due=result.due,
            balance=result.balance, anomalies=len(result.anomalies), data=result.to_json(),
            stamps_seen=len(rows), computed_at=now))
        count += 1
    return count


def _direction(text: str | None) -> Direction | None:
    if text == "in":
        return "in"
    if text == "out":
        return "out"
    return None
