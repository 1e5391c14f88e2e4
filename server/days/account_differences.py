"""What closed months, computed again, now differ by from what their close froze: a closed
month stays as its close froze it, and the first open month carries the difference
(`server.days.account` asks for it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from server.days.account_carry import beginning_of, carry, month_after
from server.days.account_months import state_of
from server.days.month import PolicySource, month_bounds, month_runs
from server.db.contract_tables import ContractRow
from server.db.keys import one_of
from server.db.models import Employee, MonthClose, MonthCloseEntry
from server.db.models import Stamp as StampRow
from server.engine.account import AccountState, Correction

Month = tuple[int, int]
_CHANGES_BACK = 24  # months: how far back a change to a closed month is still carried


Frozen = dict[int, dict[Month, tuple[datetime, AccountState]]]


def closed_differences(session: Session, rules: PolicySource, employees: Iterable[Employee],
                       starts: dict[int, Month], target: Month, *,
                       now: datetime | None = None) -> dict[int, Correction]:
    """For those whose carry starts after a closed month (`starts`, from `beginning_states`):
    what the closed months, computed again, now differ by from the latest close's frozen
    balance. A closed month stays as its close froze it; the first open month takes the
    difference.

    Computed again only from the earliest closed month something changed in after its
    close (`_changed_since`). Carried again from the close or opening before that month,
    the latest closed month's balance is compared with its frozen one: a difference
    already carried into a later close is in that close's frozen balance, so it is never
    carried twice. Closed months more than `_CHANGES_BACK` months back are not looked at
    again."""
    people = {e.id: e for e in employees if e.id in starts}
    frozen, closes = _frozen_closes(session, list(people), target)
    # Only whose carry starts from the latest close: a later opening balance replaces it.
    frozen = {k: v for k, v in frozen.items() if starts[k] == month_after(max(v))}
    if not frozen:
        return {}
    out: dict[int, Correction] = {}
    for key, month in _changed_since(session, people, frozen, closes).items():
        employee, latest = people[key], max(frozen[key])
        policy = rules.on(employee.institution_id, month_bounds(*latest)[1])
        assert policy is not None
        start, state = beginning_of(session, employee, month, policy)
        for pm in month_runs(session, rules, [employee], start, latest, now=now)[key]:
            state = carry(rules, pm, state).closing
        difference = state.balance - frozen[key][latest][1].balance
        if difference:
            out[key] = Correction(month[0], month[1], difference)
    return out


def _frozen_closes(session: Session, ids: list[int], target: Month,
                   ) -> tuple[Frozen, dict[tuple[str, Month], datetime]]:
    """The closed months before `target` (up to `_CHANGES_BACK` back) each employee's
    account was frozen in, with when; and when each institution's month was closed."""
    frozen: Frozen = {}
    closes: dict[tuple[str, Month], datetime] = {}
    index = target[0] * 12 + target[1]
    for key, institution, year, month, closed_at, balance, debts in session.execute(
            select(MonthCloseEntry.employee_id, MonthClose.institution_id, MonthClose.year,
                   MonthClose.month, MonthClose.closed_at, MonthCloseEntry.account_closing,
                   MonthCloseEntry.account_debts)
            .join(MonthClose, MonthClose.id == MonthCloseEntry.month_close_id)
            .where(one_of(MonthCloseEntry.employee_id, ids), MonthClose.state == "closed",
                   MonthCloseEntry.account_closing.is_not(None),
                   MonthClose.year * 12 + MonthClose.month < index,
                   MonthClose.year * 12 + MonthClose.month >= index - _CHANGES_BACK)):
        if closed_at is not None:
            frozen.setdefault(key, {})[(year, month)] = (closed_at, state_of(balance, debts))
            closes[(institution, (year, month))] = closed_at
    return frozen, closes


def _changed_since(session: Session, people: dict[int, Employee], frozen: Frozen,
                   closes: dict[tuple[str, Month], datetime]) -> dict[int, Month]:
    """Each employee's earliest closed month something changed in after its close: a stamp
    received after it (a terminal's late stamp: stamps are never lost), a contract written
    after it that covers any of its days (a change dated in the past), a month reopened
    before a later close, or closed again after a later close."""
    since: dict[int, Month] = {}

    def changed(key: int, day: date, after: datetime, until: date | None = None) -> None:
        """Note the earliest closed month from `day` (to `until`) closed before `after`."""
        for month, (closed_at, _) in frozen[key].items():
            first, last = month_bounds(*month)
            if closed_at < after and last >= day and (until is None or first <= until):
                since[key] = min(since.get(key, month), month)

    # The stamps dated in a closed month and received after its close: few, whatever the
    # number of stamps. By month, not by institution: SQLite otherwise reads them by the
    # (institution, terminal, seq) key, every stamp of the institution; the (employee,
    # day) index bounded by the months' span reads only theirs.
    first_close: dict[Month, datetime] = {}
    for (_, month), closed_at in closes.items():
        first_close[month] = min(closed_at, first_close.get(month, closed_at))
    spans = {month: month_bounds(*month) for month in first_close}
    late = [and_(StampRow.local_date.between(*spans[month]), StampRow.received_at > at)
            for month, at in first_close.items()]
    for key, institution, day, received in session.execute(
            select(StampRow.employee_id, StampRow.institution_id, StampRow.local_date,
                   StampRow.received_at).where(
                one_of(StampRow.employee_id, list(frozen)),
                StampRow.local_date.between(min(s[0] for s in spans.values()),
                                            max(s[1] for s in spans.values())),
                or_(*late))):
        closed = closes.get((institution, (day.year, day.month)))
        if closed is not None and received > closed and (day.year, day.month) in frozen[key]:
            changed(key, day, received, day)
    earliest = min(at for months in frozen.values() for at, _ in months.values())
    for key, starts_on, ends_on, set_at in session.execute(
            select(ContractRow.employee_id, ContractRow.starts, ContractRow.ends,
                   ContractRow.set_at).where(one_of(ContractRow.employee_id, list(frozen)),
                                             ContractRow.set_at > earliest)):
        changed(key, starts_on, set_at, ends_on)
    _closed_again(session, people, frozen, since)
    return since


def _closed_again(session: Session, people: dict[int, Employee], frozen: Frozen,
                  since: dict[int, Month]) -> None:
    """Months reopened before a later close, or closed again after one: the later close
    carried from what the earlier one had frozen before."""
    reopened = session.execute(select(MonthClose.institution_id, MonthClose.year,
                                      MonthClose.month).where(
        MonthClose.institution_id.in_({people[k].institution_id for k in frozen}),
        MonthClose.state == "reopened")).all()
    for key, months in frozen.items():
        latest = max(months)
        for month, (closed_at, _) in months.items():
            if any(other > month and at < closed_at for other, (at, _) in months.items()):
                since[key] = min(since.get(key, month), month)
        for institution, year, number in reopened:
            if institution == people[key].institution_id and (year, number) < latest:
                since[key] = min(since.get(key, (year, number)), (year, number))
