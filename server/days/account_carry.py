"""Where an employee's hours account begins and how one month is carried: the pieces the
account (`server.days.account`), its closed-month differences (`account_differences`) and
the leave it draws (`account_leave`) share.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days import employment
from server.days.account_months import latest, state_of
from server.days.month import PersonMonth, PolicySource, month_bounds
from server.db.account_tables import AccountOpening
from server.db.contract_tables import NO_START
from server.db.keys import one_of
from server.db.models import Employee, MonthClose, MonthCloseEntry
from server.db.models import Stamp as StampRow
from server.engine.account import AccountMonth, AccountState, Correction, carry_month
from server.policy.model import Policy

Month = tuple[int, int]
ONE_DAY = timedelta(days=1)


def first_account_month(policy: Policy) -> Month | None:
    for version in policy.versions:
        if version.account is not None:
            return (version.effective.year, version.effective.month)
    return None


def beginning_states(session: Session, employees: list[Employee], target: Month,
                     policies: Mapping[int, Policy], kept_before: Mapping[int, Month],
                     ) -> dict[int, tuple[Month, AccountState]]:
    """Where each employee's carry begins, and what the account holds then: the latest of
    a closing kept before their `kept_before` month (default `target`), an opening
    balance, the month after the latest closed month, else zero where it begins
    (`_beginnings`). Read for many employees in a few queries."""
    candidates: dict[int, list[tuple[Month, AccountState]]] = {e.id: [] for e in employees}
    ids = [e.id for e in employees]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for opening in session.scalars(select(AccountOpening).where(
                one_of(AccountOpening.employee_id, chunk),
                AccountOpening.starts <= date(*target, 1))):
            candidates[opening.employee_id].append((
                (opening.starts.year, opening.starts.month),
                AccountState.of_balance(opening.balance, opening.starts)))
        for key, year, month, balance, debts in session.execute(
                select(MonthCloseEntry.employee_id, MonthClose.year, MonthClose.month,
                       MonthCloseEntry.account_closing, MonthCloseEntry.account_debts)
                .join(MonthCloseEntry, MonthCloseEntry.month_close_id == MonthClose.id)
                .where(one_of(MonthCloseEntry.employee_id, chunk), MonthClose.state == "closed",
                       MonthCloseEntry.account_closing.is_not(None),
                       MonthClose.year * 12 + MonthClose.month < target[0] * 12 + target[1])):
            candidates[key].append((month_after((year, month)), state_of(balance, debts)))
    # Last: on a same month, an opening balance or a close the office set wins.
    bounds = {e.id: min(target, kept_before.get(e.id, target)) for e in employees}
    for key, (month, state) in latest(session, bounds).items():
        candidates[key].append((month_after(month), state))
    out = {key: max(found, key=lambda c: c[0])  # the latest; on a same month, the first
           for key, found in candidates.items() if found}
    fresh = [e for e in employees if e.id not in out]
    for key, month in _beginnings(session, fresh, target, policies).items():
        out[key] = month, AccountState()
    return out


def _beginnings(session: Session, employees: list[Employee], target: Month,
                policies: Mapping[int, Policy]) -> dict[int, Month]:
    """Where an account with nothing before it begins at zero: the first month with a stamp
    or the hiring, the first contract's start when on record (someone hired who has not
    stamped yet owes from their first day), not before the rules keep an account, nor
    after `target`."""
    if not employees:
        return {}
    # Each one's first day by the (employee, day) index, one entry each: a minimum over
    # the group read every stamp of the employees, years of them.
    first_day = (select(StampRow.local_date).where(StampRow.employee_id == Employee.id)
                 .order_by(StampRow.local_date).limit(1).scalar_subquery())
    first_stamps: dict[int, date] = {key: day for key, day in session.execute(
        select(Employee.id, first_day).where(one_of(Employee.id, [e.id for e in employees])))
        if day is not None}
    contracts = employment.contracts_of(session, employees)
    out: dict[int, Month] = {}
    for employee in employees:
        hired = min((c.start for c in contracts[employee.id]), default=NO_START)
        days = [d for d in (first_stamps.get(employee.id), hired) if d and d != NO_START]
        begins = min(((d.year, d.month) for d in days), default=target)
        first_rules = first_account_month(policies[employee.id]) or target
        out[employee.id] = min(max(begins, first_rules), target)
    return out


def beginning_of(session: Session, employee: Employee, target: Month,
                 policy: Policy) -> tuple[Month, AccountState]:
    """Where one employee's carry begins before `target`, and what the account holds then."""
    return beginning_states(session, [employee], target, {employee.id: policy}, {})[employee.id]


def carry(rules: PolicySource, pm: PersonMonth, opening: AccountState,
          correction: Correction | None = None) -> AccountMonth:
    result = pm.result
    policy = rules.on(pm.employee.institution_id, month_bounds(result.year, result.month)[1])
    assert policy is not None
    over = pm.today > month_bounds(result.year, result.month)[1]
    return carry_month(policy, result.profile, opening, result, complete=over,
                       corrections=() if correction is None else (correction,),
                       part_time=_part_time(pm))


def _part_time(pm: PersonMonth) -> int:
    """The contract's part-time percentage on the month's last day employed, as the month's
    schedules carry it (`server.days.schedules`: no schedule, the base profile at full
    time): the day of leave a debt not recovered is converted into is hers, not a full
    timer's (seed 003: «la compensazione con giorni di ferie»)."""
    first, last = month_bounds(pm.result.year, pm.result.month)
    if pm.last_day is not None:
        last = min(last, pm.last_day)
    while last >= first and last in pm.off:
        last -= ONE_DAY
    schedule = pm.schedules.get(last)
    return schedule.part_time if schedule is not None else 100


def month_before(month: Month) -> Month:
    year, number = month
    return (year - 1, 12) if number == 1 else (year, number - 1)


def month_after(month: Month) -> Month:
    year, number = month
    return (year + 1, 1) if number == 12 else (year, number + 1)
