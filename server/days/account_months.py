"""The hours account's closing of each month that is over, kept between reads
(`account_months`): a page carries from the latest one, not from January.

A fact dated in a month (a stamp, a correction, a decision, a change of contract, schedule
or rota, an opening balance, rules in force from a date) forgets the employee's closings
from that month on, in the fact's own transaction (`forget`): a kept closing is never
older than the facts it was computed from. The recompute worker computes them again
forward (`server.days.account_refresh`); a page read in between carries the forgotten
months itself (`server.days.account`), so the figure is the same on every page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from server.db.account_tables import AccountMonthRow
from server.db.keys import one_of
from server.db.models import Employee
from server.engine.account import AccountState, Debt

Month = tuple[int, int]


def state_of(balance: int, debts: Sequence[Any] | None) -> AccountState:
    """A kept closing (balance, its debts as JSON) as the account holds it."""
    owed = tuple(Debt.from_json(d) for d in debts or ())
    return AccountState(balance + sum(d.minutes for d in owed), owed)


def forget(session: Session, days: Iterable[tuple[int, date]],
           now: datetime | None = None) -> None:
    """Forget each employee's closings from the month of their earliest day given on.
    Given `now`, days of the month under way are passed over: no month from theirs on is
    over anywhere yet, so none has a closing kept (the ingest's stamps cost no query)."""
    under_way = date.max if now is None else (now + timedelta(days=1)).date().replace(day=1)
    earliest: dict[int, date] = {}
    for employee_id, day in days:
        if day >= under_way:
            continue
        if employee_id not in earliest or day < earliest[employee_id]:
            earliest[employee_id] = day
    by_month: dict[Month, list[int]] = {}
    for employee_id, day in earliest.items():
        by_month.setdefault((day.year, day.month), []).append(employee_id)
    for month, ids in by_month.items():
        for start in range(0, len(ids), 500):
            session.execute(delete(AccountMonthRow).where(
                one_of(AccountMonthRow.employee_id, ids[start:start + 500]), _from(month)))


def forget_institution(session: Session, institution_id: str, day: date) -> None:
    """Forget every closing of the institution's employees from `day`'s month on (rules in
    force from that day)."""
    session.execute(delete(AccountMonthRow).where(
        AccountMonthRow.employee_id.in_(select(Employee.id).where(
            Employee.institution_id == institution_id)), _from((day.year, day.month))))


def _from(month: Month) -> Any:
    year, number = month
    return or_(AccountMonthRow.year > year,
               and_(AccountMonthRow.year == year, AccountMonthRow.month >= number))


def latest(session: Session,
           before: Mapping[int, Month]) -> dict[int, tuple[Month, AccountState]]:
    """Each employee's latest kept closing of a month before theirs in `before`, read for
    500 employees a query."""
    out: dict[int, tuple[Month, AccountState]] = {}
    ids = sorted(before)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        bound = max(before[key] for key in chunk)
        found: dict[int, tuple[Month, list[Any]]] = {}
        for key, year, month, balance, debts in session.execute(
                select(AccountMonthRow.employee_id, AccountMonthRow.year, AccountMonthRow.month,
                       AccountMonthRow.balance, AccountMonthRow.debts)
                .where(one_of(AccountMonthRow.employee_id, chunk), ~_from(bound))):
            if (year, month) < before[key] and (key not in found
                                                or (year, month) > found[key][0]):
                found[key] = ((year, month), [balance, debts])
        out |= {key: (month, state_of(*row)) for key, (month, row) in found.items()}
    return out


def keep(session: Session, closings: dict[int, list[tuple[Month, AccountState]]],
         now: datetime) -> int:
    """Keep these closings, replacing what was kept for the same months; returns how many."""
    rows = [{"employee_id": key, "year": year, "month": month, "balance": state.balance,
             "debts": [d.to_json() for d in state.debts], "computed_at": now}
            for key, months in closings.items() for (year, month), state in months]
    if not rows:
        return 0
    # What was kept from each employee's first month computed on: one delete per month.
    forget(session, [(key, date(*months[0][0], 1)) for key, months in closings.items()
                     if months])
    session.execute(insert(AccountMonthRow), rows)
    return len(rows)
