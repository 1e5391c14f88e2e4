"""The hours account of the month a person sees: the months before it carried in order.

`account_of(session, rules, person_month)` gives the `AccountMonth` of a month that
`server.days.month.person_months` computed (the one computation: the account reads its
result, never a second one). The carry starts from the latest of:
- an opening balance imported on a start date (`account_openings`, for adoption);
- the month after the latest closed month whose closing balance the close froze
  (`month_close_entries.account_closing`, with its debts and their dates);
- the month after the latest closing the recompute worker kept (`account_months`, which
  a fact dated in a month forgets from that month on: `server.days.account_months`);
- else at zero, on the first month the employee has a stamp and the rules keep an account.
Each month in between (none, once the worker is current) is computed by the one loop
that computes every month (`month_runs`: the facts of the whole run read once), in
order, and carried by the pure ledger (`server.engine.account.carry_month`). A closed
month shows its frozen closing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.days.account_months import latest, state_of
from server.days.month import PersonMonth, PolicySource, month_bounds, month_runs
from server.db.account_tables import AccountOpening
from server.db.models import Employee, MonthClose, MonthCloseEntry
from server.db.models import Stamp as StampRow
from server.engine.account import AccountMonth, AccountState, carry_month
from server.policy.model import Policy

Month = tuple[int, int]


def account_of(session: Session, rules: PolicySource, current: PersonMonth, *,
               now: datetime | None = None) -> AccountMonth | None:
    """The account of `current`'s month; None when the rules in force keep none."""
    return accounts_of(session, rules, [current], now=now)[current.employee.id]


def accounts_of(session: Session, rules: PolicySource, currents: Iterable[PersonMonth], *,
                now: datetime | None = None) -> dict[int, AccountMonth | None]:
    """The accounts of several employees' same month: the months before it are computed
    for all of them at once, a month at a time (`person_months` reads them in a few
    queries whatever their number)."""
    out: dict[int, AccountMonth | None] = {}
    policies: dict[int, Policy] = {}
    todo: dict[int, PersonMonth] = {}
    for current in currents:
        employee, result = current.employee, current.result
        target = (result.year, result.month)
        policy = rules.on(employee.institution_id, month_bounds(*target)[1])
        out[employee.id] = None
        if policy is None or _first_account_month(policy) is None:
            continue
        policies[employee.id] = policy
        todo[employee.id] = current
    if not todo:
        return out
    any_current = next(iter(todo.values()))
    target = (any_current.result.year, any_current.result.month)
    states = _starts(session, [c.employee for c in todo.values()], target, policies, {})
    for key, months in _carried(session, rules, [c.employee for c in todo.values()], states,
                                target, now).items():
        if months:
            states[key] = (target, months[-1][1])  # the month before's, over or not
    frozen_of = _frozen(session, [c.employee for c in todo.values()], target)
    for key, current in todo.items():
        account = _carry(rules, current, states[key][1])
        frozen = frozen_of.get(key)
        if frozen is not None:
            account.closing, account.frozen = frozen, True
        out[key] = account
    return out


def closings(session: Session, rules: PolicySource, employees: Iterable[Employee],
             target: Month, *, now: datetime, since: Mapping[int, Month],
             ) -> dict[int, list[tuple[Month, AccountState]]]:
    """The closings of the months before `target` that are over, carried from where each
    employee's account begins (a kept closing before `since`, the month of a fact that
    changed, counts as a beginning): what the recompute worker keeps (`account_months`).
    Employees whose rules keep no account are left out."""
    wanted: list[Employee] = []
    policies: dict[int, Policy] = {}
    for employee in employees:
        policy = rules.on(employee.institution_id, month_bounds(*target)[1])
        if policy is None or _first_account_month(policy) is None:
            continue
        wanted.append(employee)
        policies[employee.id] = policy
    states = _starts(session, wanted, target, policies, since)
    out: dict[int, list[tuple[Month, AccountState]]] = {}
    before = _previous(target)
    for key, months in _carried(session, rules, wanted, states, target, now).items():
        out[key] = [(month, state) for month, state, over in months if over]
        if not months:  # nothing to carry: the month before closes as the account opens
            out[key].append((before, states[key][1]))
    return out


def _carried(session: Session, rules: PolicySource, employees: list[Employee],
             states: dict[int, tuple[Month, AccountState]], target: Month,
             now: datetime | None) -> dict[int, list[tuple[Month, AccountState, bool]]]:
    """Each employee's months from where their account begins (`states`) to the one before
    `target`, computed as every page computes them (`month_runs`, the facts of the whole
    run read once) and carried in order: their closings, and whether the month is over."""
    out: dict[int, list[tuple[Month, AccountState, bool]]] = {e.id: [] for e in employees}
    before = _previous(target)
    earlier = [e for e in employees if states[e.id][0] <= before]
    first = min((states[e.id][0] for e in earlier), default=target)
    for key, runs in month_runs(session, rules, earlier, first, before, now=now,
                                with_opening=True).items():
        start, state = states[key]
        for pm in runs:
            month = (pm.result.year, pm.result.month)
            if month >= start:
                account = _carry(rules, pm, state)
                state = account.closing
                out[key].append((month, state, account.complete))
    return out


def _carry(rules: PolicySource, pm: PersonMonth, opening: AccountState) -> AccountMonth:
    result = pm.result
    policy = rules.on(pm.employee.institution_id, month_bounds(result.year, result.month)[1])
    assert policy is not None
    over = pm.today > month_bounds(result.year, result.month)[1]
    return carry_month(policy, result.profile, opening, result, complete=over)


def _first_account_month(policy: Policy) -> Month | None:
    for version in policy.versions:
        if version.account is not None:
            return (version.effective.year, version.effective.month)
    return None


def _starts(session: Session, employees: list[Employee], target: Month,
            policies: Mapping[int, Policy], kept_before: Mapping[int, Month],
            ) -> dict[int, tuple[Month, AccountState]]:
    """Where each employee's carry begins, and what the account holds then: the latest of
    a closing kept before their `kept_before` month (default `target`), an opening
    balance, the month after the latest closed month, else zero on the first stamped
    month. Read for many employees in a few queries."""
    candidates: dict[int, list[tuple[Month, AccountState]]] = {e.id: [] for e in employees}
    ids = [e.id for e in employees]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for opening in session.scalars(select(AccountOpening).where(
                AccountOpening.employee_id.in_(chunk),
                AccountOpening.starts <= date(*target, 1))):
            candidates[opening.employee_id].append((
                (opening.starts.year, opening.starts.month),
                AccountState.of_balance(opening.balance, opening.starts)))
        for key, year, month, balance, debts in session.execute(
                select(MonthCloseEntry.employee_id, MonthClose.year, MonthClose.month,
                       MonthCloseEntry.account_closing, MonthCloseEntry.account_debts)
                .join(MonthCloseEntry, MonthCloseEntry.month_close_id == MonthClose.id)
                .where(MonthCloseEntry.employee_id.in_(chunk), MonthClose.state == "closed",
                       MonthCloseEntry.account_closing.is_not(None),
                       MonthClose.year * 12 + MonthClose.month < target[0] * 12 + target[1])):
            candidates[key].append((_next((year, month)), state_of(balance, debts)))
    # Last: on a same month, an opening balance or a close the office set wins.
    bounds = {e.id: min(target, kept_before.get(e.id, target)) for e in employees}
    for key, (month, state) in latest(session, bounds).items():
        candidates[key].append((_next(month), state))
    out: dict[int, tuple[Month, AccountState]] = {}
    for employee in employees:
        found = candidates[employee.id]
        if found:  # the latest beginning; on a same month, the first found
            out[employee.id] = max(found, key=lambda c: c[0])
            continue
        first_rules = _first_account_month(policies[employee.id]) or target
        first_stamp = session.scalar(select(func.min(StampRow.local_date)).where(
            StampRow.employee_id == employee.id))
        stamped = (first_stamp.year, first_stamp.month) if first_stamp else target
        out[employee.id] = min(max(stamped, first_rules), target), AccountState()
    return out


def _frozen(session: Session, employees: list[Employee],
            target: Month) -> dict[int, AccountState]:
    """The closings the close of `target` froze, for those of these employees it has."""
    out: dict[int, AccountState] = {}
    for start in range(0, len(employees), 500):
        chunk = employees[start:start + 500]
        for key, balance, debts in session.execute(
                select(MonthCloseEntry.employee_id, MonthCloseEntry.account_closing,
                       MonthCloseEntry.account_debts)
                .join(MonthClose, MonthClose.id == MonthCloseEntry.month_close_id)
                .where(MonthCloseEntry.employee_id.in_([e.id for e in chunk]),
                       MonthClose.state == "closed",
                       MonthClose.institution_id.in_({e.institution_id for e in chunk}),
                       MonthClose.year == target[0], MonthClose.month == target[1],
                       MonthCloseEntry.account_closing.is_not(None))):
            out[key] = state_of(balance, debts)
    return out


def _previous(month: Month) -> Month:
    year, number = month
    return (year - 1, 12) if number == 1 else (year, number - 1)


def _next(month: Month) -> Month:
    year, number = month
    return (year + 1, 1) if number == 12 else (year, number + 1)


def freeze_accounts(session: Session, rules: PolicySource, close_id: int,
                    months: Iterable[PersonMonth], now: datetime) -> None:
    """The month close keeps each employee's closing balance (with its debts' dates): the
    next months carry from it, whatever changes later in the closed month's facts."""
    for key, account in accounts_of(session, rules, months, now=now).items():
        if account is None:
            continue
        session.execute(update(MonthCloseEntry).where(
            MonthCloseEntry.month_close_id == close_id, MonthCloseEntry.employee_id == key,
        ).values(account_closing=account.closing.balance,
                 account_debts=[d.to_json() for d in account.closing.debts])
            .execution_options(synchronize_session=False))
