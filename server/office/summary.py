"""An employee's month from the database: the engine's month over the facts.

Stamps in force plus approved requests go through `evaluate_month` with the
rule file in force that month; the result carries worked, due, balance and its
recovery deadline, allowances used and left (the year's earlier months give
what was used before), overtime, meal vouchers, anomalies with fix-by dates
and flags (seed 003: more than 3 missed stamps in a month are flagged).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Employee, User
from server.db.models import Request as RequestRow
from server.db.models import Stamp as StampRow
from server.engine import MonthResult, Request, Stamp, evaluate_month
from server.engine.month import Opening
from server.ingest.recompute import COLUMNS, in_force
from server.office.engine_inputs import approved_rows, engine_inputs
from server.office.errors import NotAllowed, OfficeError
from server.office.people import employee_in_reach
from server.office.rules_in_force import RulesInForce
from server.policy.model import Policy

Key = tuple[int, date]


@dataclass
class MonthSummary:
    employee: Employee
    result: MonthResult
    pending_requests: int = 0
    flags: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = self.result.to_json()
        data["flags"] = self.flags
        return {"employee": {"id": self.employee.id, "number": self.employee.number,
                             "name": self.employee.name, "unit": self.employee.unit},
                "pending_requests": self.pending_requests, **data}


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def month_summary(session: Session, actor: User, employee_id: int, year: int,
                  month: int) -> MonthSummary:
    """One employee's month; an employee sees their own, managers and office anyone's."""
    employee = employee_in_reach(session, actor, employee_id)
    if actor.employee_id != employee.id and actor.role not in ("manager", "office"):
        raise NotAllowed("Puoi vedere solo il tuo cartellino", "You can only see your timecard")
    rules = RulesInForce(session, [employee.institution_id])
    results = evaluate_months(session, rules, [employee], year, month, with_opening=True)
    pending = len(list(session.scalars(select(RequestRow.id).where(
        RequestRow.employee_id == employee.id, RequestRow.state == "pending",
        RequestRow.day.between(*month_bounds(year, month))))))
    result = results[employee.id]
    return MonthSummary(employee, result, pending, [f.to_json() for f in result.flags])


class PolicySource(Protocol):
    def on(self, institution_id: str, day: date) -> Policy | None: ...


def evaluate_months(session: Session, rules: PolicySource, employees: Collection[Employee],
                    year: int, month: int, *, with_opening: bool = False,
                    ) -> dict[int, MonthResult]:
    """The month of each employee, read in three queries whatever their number."""
    if not employees:
        return {}
    first, last = month_bounds(year, month)
    start = date(year, 1, 1) if with_opening else first
    ids = [e.id for e in employees]
    stamps, requests = read_facts(session, ids, start, last)
    out: dict[int, MonthResult] = {}
    for employee in employees:
        policy = rules.on(employee.institution_id, first)
        if policy is None:
            raise OfficeError(f"Nessuna regola per {employee.institution_id}",
                              f"No rules for {employee.institution_id}")
        opening = None
        if with_opening:
            used: dict[str, int] = defaultdict(int)
            for earlier in range(1, month):
                before = _month(rules.on(employee.institution_id, date(year, earlier, 1))
                                or policy, employee, year, earlier, stamps, requests)
                for allowance in before.allowances:
                    used[allowance.name] += allowance.used
            opening = Opening(allowance_used=dict(used))
        out[employee.id] = _month(policy, employee, year, month, stamps, requests, opening)
    return out


def read_facts(session: Session, employee_ids: list[int], first: date, last: date,
               ) -> tuple[dict[Key, list[Stamp]], dict[Key, list[Request]]]:
    """Stamps in force (declared ones included) and approved requests per employee-day."""
    rows = list(session.execute(select(*COLUMNS).where(
        StampRow.employee_id.in_(employee_ids), StampRow.local_date.between(first, last))))
    replaced = {r for r in session.scalars(select(StampRow.replaces_id).where(
        StampRow.employee_id.in_(employee_ids), StampRow.local_date.between(first, last)))
        if r is not None}
    stamps: dict[Key, list[Stamp]] = defaultdict(list)
    for r in in_force(rows, replaced):
        stamps[(r.employee_id, r.local_date)].append(
            Stamp(r.local_minute, "in" if r.direction == "in" else
                  "out" if r.direction == "out" else None, r.code, r.source))
    requests, declared = engine_inputs(approved_rows(session, employee_ids,
                                                     between=(first, last)))
    for key, extra in declared.items():
        stamps[key].extend(extra)
    return stamps, requests


def _month(policy: Policy, employee: Employee, year: int, month: int,
           stamps: dict[Key, list[Stamp]], requests: dict[Key, list[Request]],
           opening: Opening | None = None) -> MonthResult:
    last = month_bounds(year, month)[1]
    days = [date(year, month, d) for d in range(1, last.day + 1)]
    try:
        return evaluate_month(
            policy, employee.profile, year, month,
            {d: stamps[(employee.id, d)] for d in days if (employee.id, d) in stamps},
            {d: requests[(employee.id, d)] for d in days if (employee.id, d) in requests},
            opening)
    except LookupError:
        raise OfficeError(
            f"{employee.name}: profilo '{employee.profile}' o regole mancanti nel "
            f"{month:02d}/{year}",
            f"{employee.name}: profile '{employee.profile}' or rules missing in "
            f"{year}-{month:02d}") from None
