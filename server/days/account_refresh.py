"""The recompute worker's side of the hours account: the closings of the months that are
over computed forward and kept (`server.days.account_months`), for the employees whose
facts changed (from the month of the change) and for those with none kept yet."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from server.days.account import closings
from server.days.account_months import Month
from server.days.rules_in_force import RulesInForce
from server.db.account_tables import AccountMonthRow
from server.db.keys import one_of
from server.db.models import Employee
from server.engine.account import AccountState
from server.policy.model import Policy

Closings = dict[int, list[tuple[Month, AccountState]]]


def carry_forward(session: Session, since: Mapping[int, Month], now: datetime) -> Closings:
    """The closings of these employees' months that are over, from the month each changed
    (`since`) on: read and computed, not yet kept (`account_months.keep`). A change in the
    month under way touches no closing kept: most of the ingest's rounds cost nothing."""
    earliest = min(since.values(), default=None)
    if earliest is None or earliest >= (now.year, now.month):  # UTC: a day off at most
        return {}
    employees = list(session.scalars(select(Employee).where(one_of(Employee.id,
        [key for key, month in since.items() if month < (now.year, now.month)]))))
    return _computed(session, employees, since, now)


def missing(session: Session, now: datetime, limit: int) -> Closings:
    """Up to `limit` employees whose account keeps no closing of last month yet (an
    institution that has just adopted timbra, an employee just added): computed."""
    out: Closings = {}
    institutions = list(session.scalars(select(Employee.institution_id).distinct()))
    rules = RulesInForce(session, institutions)
    for institution_id in institutions:
        policy = rules.on(institution_id, now.date())
        if policy is None or not any(v.account for v in policy.versions):
            continue
        before = _previous(_month_of(policy, now))
        employees = list(session.scalars(select(Employee).where(
            Employee.institution_id == institution_id,
            ~exists().where(and_(AccountMonthRow.employee_id == Employee.id,
                                 AccountMonthRow.year == before[0],
                                 AccountMonthRow.month == before[1])))
            .order_by(Employee.id).limit(limit - len(out))))
        out |= _computed(session, employees, {}, now)
        if len(out) >= limit:
            break
    return out


def _computed(session: Session, employees: list[Employee], since: Mapping[int, Month],
              now: datetime) -> Closings:
    if not employees:
        return {}
    rules = RulesInForce(session, {e.institution_id for e in employees})
    by_target: dict[Month, list[Employee]] = {}
    for employee in employees:
        policy = rules.on(employee.institution_id, now.date())
        if policy is not None:
            by_target.setdefault(_month_of(policy, now), []).append(employee)
    out: Closings = {}
    for target, group in by_target.items():
        out |= closings(session, rules, group, target, now=now, since=since)
    return out


def _month_of(policy: Policy, now: datetime) -> Month:
    """The month under way where the institution is."""
    today = now.astimezone(ZoneInfo(policy.timezone)).date()
    return today.year, today.month


def _previous(month: Month) -> Month:
    year, number = month
    return (year - 1, 12) if number == 1 else (year, number - 1)
