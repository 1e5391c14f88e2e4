"""The hours account of the month a person sees: the months before it carried in order.

`account_of(session, rules, person_month)` gives the `AccountMonth` of a month that
`server.days.month.person_months` computed (the one computation: the account reads its
result, never a second one). The carry starts from the latest of:
- an opening balance imported on a start date (`account_openings`, for adoption);
- the month after the latest closed month whose closing balance the close froze
  (`month_close_entries.account_closing`, with its debts and their dates);
- the month after the latest closing the recompute worker kept (`account_months`, which
  a fact dated in a month forgets from that month on: `server.days.account_months`);
- else at zero, from the first month with a stamp or under a contract on record, once the
  rules keep an account (`server.days.account_carry`, which also carries one month).
Each month in between (none, once the worker is current) is computed by the one loop
that computes every month (`month_runs`: the facts of the whole run read once), in
order, and carried by the pure ledger (`server.engine.account.carry_month`). A closed
month shows its frozen closing.

A closed month changed after its close carries its difference into the first open month
(`server.days.account_differences`); the leave days the account drew are read by
`server.days.account_leave`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.account_carry import beginning_states, carry, first_account_month, month_before
from server.days.account_differences import closed_differences
from server.days.account_months import state_of
from server.days.month import PersonMonth, PolicySource, month_bounds, month_runs
from server.db.keys import one_of
from server.db.models import Employee, MonthClose, MonthCloseEntry
from server.engine.account import (
    AccountMonth,
    AccountState,
    Correction,
    Movement,
)
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
        if policy is None or first_account_month(policy) is None:
            continue
        policies[employee.id] = policy
        todo[employee.id] = current
    if not todo:
        return out
    any_current = next(iter(todo.values()))
    target = (any_current.result.year, any_current.result.month)
    employees = [c.employee for c in todo.values()]
    states = beginning_states(session, employees, target, policies, {})
    starts = {key: start for key, (start, _) in states.items()}
    changed = closed_differences(session, rules, employees, starts, target, now=now)
    for key, months in _carried(session, rules, employees, states, target, now,
                                changed).items():
        if months:
            states[key] = (target, months[-1][1])  # the month before's, over or not
    frozen_of = _frozen(session, employees, target)
    for key, current in todo.items():
        account = carry(rules, current, states[key][1],
                        changed.get(key) if starts[key] == target else None)
        frozen = frozen_of.get(key)
        if frozen is not None:
            account.closing, account.frozen = frozen, True
        out[key] = account
    return out


def _leave_kept(movement: Movement) -> dict[str, Any]:
    """A leave draw as the close keeps it (`leave_draws` reads it back)."""
    return {"leave": movement.leave, "halves": movement.halves,
            "explain": movement.explain.to_json()}


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
        if policy is None or first_account_month(policy) is None:
            continue
        wanted.append(employee)
        policies[employee.id] = policy
    states = beginning_states(session, wanted, target, policies, since)
    starts = {key: start for key, (start, _) in states.items()}
    changed = closed_differences(session, rules, wanted, starts, target, now=now)
    out: dict[int, list[tuple[Month, AccountState]]] = {}
    before = month_before(target)
    for key, months in _carried(session, rules, wanted, states, target, now,
                                changed).items():
        out[key] = [(month, state) for month, state, over in months if over]
        if not months:  # nothing to carry: the month before closes as the account opens
            out[key].append((before, states[key][1]))
    return out


def _carried(session: Session, rules: PolicySource, employees: list[Employee],
             states: dict[int, tuple[Month, AccountState]], target: Month,
             now: datetime | None, changed: Mapping[int, Correction],
             ) -> dict[int, list[tuple[Month, AccountState, bool]]]:
    """Each employee's months from where their account begins (`states`) to the one before
    `target`, computed as every page computes them (`month_runs`, the facts of the whole
    run read once) and carried in order: their closings, and whether the month is over.
    A closed month's `changed` difference enters the first month carried."""
    out: dict[int, list[tuple[Month, AccountState, bool]]] = {e.id: [] for e in employees}
    before = month_before(target)
    earlier = [e for e in employees if states[e.id][0] <= before]
    first = min((states[e.id][0] for e in earlier), default=target)
    for key, runs in month_runs(session, rules, earlier, first, before, now=now,
                                with_opening=True).items():
        start, state = states[key]
        for pm in runs:
            month = (pm.result.year, pm.result.month)
            if month >= start:
                account = carry(rules, pm, state,
                                changed.get(key) if month == start else None)
                state = account.closing
                out[key].append((month, state, account.complete))
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
                .where(one_of(MonthCloseEntry.employee_id, [e.id for e in chunk]),
                       MonthClose.state == "closed",
                       MonthClose.institution_id.in_({e.institution_id for e in chunk}),
                       MonthClose.year == target[0], MonthClose.month == target[1],
                       MonthCloseEntry.account_closing.is_not(None))):
            out[key] = state_of(balance, debts)
    return out


def frozen_accounts(session: Session, rules: PolicySource, months: Iterable[PersonMonth],
                    now: datetime) -> dict[int, dict[str, Any]]:
    """What the month close keeps of each employee's account, as the columns of their
    entry: the closing balance with its debts' dates (the next months carry from it,
    whatever changes later in the closed month's facts) and the leave days the account
    drew. Employees whose rules keep no account keep none (None, stored as SQL NULL)."""
    return {key: {"account_closing": None, "account_debts": None, "account_leave": None}
            if account is None else
            {"account_closing": account.closing.balance,
             "account_debts": [d.to_json() for d in account.closing.debts],
             "account_leave": [_leave_kept(m) for m in account.movements
                               if m.leave is not None]}
            for key, account in accounts_of(session, rules, months, now=now).items()}


