"""An employee's month as the office services hand it out: `server.days.month` computes
it (the one computation), this module checks who may see it and words its errors.

The result carries worked, due, balance and its recovery deadline, the hours account
(opening, movements, closing) where the rules keep one, allowances used and
left (the year's earlier months give what was used before), overtime, meal vouchers,
anomalies with fix-by dates and flags (seed 003: more than 3 missed stamps in a month
are flagged); today in progress apart, days still to come not evaluated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from server.days.account import accounts_of
from server.days.leave import balances
from server.days.month import (
    MonthUnavailable,
    PersonMonth,
    PolicySource,
    month_bounds,
    person_months,
)
from server.days.rules_in_force import RulesInForce
from server.db.models import Employee, User
from server.engine import MonthResult
from server.engine.account import AccountMonth
from server.engine.leave import LeaveYear
from server.errors import NotAllowed, OfficeError
from server.i18n.current import N_
from server.office.people import employee_in_reach

# The hours account's movements as a person reads them (server/engine/account.py): the
# Riepiloghi list them, the reports give each its column.
MOVEMENT_LABELS = {
    "difference": N_("Difference from a closed month"),
    "month": N_("Balance of the month"),
    "compensate": N_("Compensated by the credit"),
    "debt": N_("Debt to recover"),
    "recover": N_("Debt recovered"),
    "deduct": N_("Deducted from pay"),
    "leave": N_("Compensated with leave"),
    "anomaly": N_("Not recovered: to the office"),
    "lapse": N_("Credit over the carry limit"),
    "expire": N_("Credit expired at the year end"),
}


@dataclass
class MonthSummary:
    month: PersonMonth
    # Leave in days (seed 004 Art. 9.2: "i giorni/ore di ferie, festività soppresse,
    # permessi retribuiti"), on the month's last day, or today in the current month.
    leave: list[LeaveYear] = field(default_factory=list)
    account: AccountMonth | None = None  # the hours account, when the rules keep one

    @property
    def employee(self) -> Employee:
        return self.month.employee

    @property
    def result(self) -> MonthResult:
        return self.month.result

    @property
    def pending_requests(self) -> int:
        return self.month.pending_requests


def month_summary(session: Session, actor: User, employee_id: int, year: int, month: int,
                  *, now: datetime | None = None) -> MonthSummary:
    """One employee's month; an employee sees their own, managers and office anyone's."""
    employee = employee_in_reach(session, actor, employee_id)
    if actor.employee_id != employee.id and actor.role not in ("manager", "office"):
        raise NotAllowed("Puoi vedere solo il tuo cartellino", "You can only see your timecard")
    rules = RulesInForce(session, [employee.institution_id])
    person = months_of(session, rules, [employee], year, month, now=now, with_opening=True,
                       shown=True)[employee.id]
    return MonthSummary(person, month_leave(session, rules, [person], now=now)[employee.id],
                        month_account(session, rules, person, now=now))


def leave_day(person: PersonMonth, year: int, month: int) -> date:
    """The day a month's leave balances are read on: today in the current month, the
    month's last day once it is over, its first day before it starts."""
    first, last = month_bounds(year, month)
    return min(last, max(first, person.today))


def month_leave(session: Session, rules: PolicySource, people: Collection[PersonMonth], *,
                now: datetime | None = None) -> dict[int, list[LeaveYear]]:
    """Each computed month's leave in days, read on its `leave_day` (`server.days.leave`):
    what the Riepiloghi, the PDF and the reports show."""
    by_day: dict[date, list[Employee]] = defaultdict(list)
    for person in people:
        by_day[leave_day(person, person.result.year, person.result.month)].append(
            person.employee)
    out: dict[int, list[LeaveYear]] = {}
    for day, employees in by_day.items():
        out.update(balances(session, rules, employees, day, now=now))
    return out


def month_account(session: Session, rules: PolicySource, person: PersonMonth, *,
                  now: datetime | None = None) -> AccountMonth | None:
    """The hours account of a computed month (`server.days.account`), errors worded."""
    return month_accounts(session, rules, [person], now=now)[person.employee.id]


def month_accounts(session: Session, rules: PolicySource, people: Collection[PersonMonth], *,
                   now: datetime | None = None) -> dict[int, AccountMonth | None]:
    """The hours accounts of several computed months (the same month), errors worded."""
    try:
        return accounts_of(session, rules, people, now=now)
    except MonthUnavailable as error:
        raise OfficeError(error.italian, error.english) from None


def months_of(session: Session, rules: PolicySource, employees: Collection[Employee],
              year: int, month: int, *, now: datetime | None = None,
              with_opening: bool = False, shown: bool = False) -> dict[int, PersonMonth]:
    """`server.days.month.person_months`, its errors worded for the office."""
    try:
        return person_months(session, rules, employees, year, month, now=now,
                             with_opening=with_opening, shown=shown)
    except MonthUnavailable as error:
        raise OfficeError(error.italian, error.english) from None


def evaluate_months(session: Session, rules: PolicySource, employees: Collection[Employee],
                    year: int, month: int, *, now: datetime | None = None,
                    ) -> dict[int, MonthResult]:
    """Each employee's month figures (reports, flags, dry run, month close)."""
    return {k: v.result for k, v in months_of(session, rules, employees, year, month,
                                              now=now).items()}
