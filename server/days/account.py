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

`leave_draws` gives the leave balances (`server.days.leave`) the days the account drew
(`not_recovered use leave NAME`): as the close kept them for a closed month, carried as
above for the months after it that are over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from server.days import employment
from server.days.account_months import latest, state_of
from server.days.month import PersonMonth, PolicySource, month_bounds, month_runs
from server.db.account_tables import AccountOpening
from server.db.contract_tables import NO_START, ContractRow
from server.db.models import MONTH_CLOSE_ENTRIES, Employee, MonthClose, MonthCloseEntry
from server.db.models import Stamp as StampRow
from server.engine.account import (
    AccountMonth,
    AccountState,
    Correction,
    Movement,
    carry_month,
)
from server.engine.leave import Draw
from server.engine.results import Explain
from server.policy.model import Policy

Month = tuple[int, int]
ONE_DAY = timedelta(days=1)
_CHANGES_BACK = 24  # months: how far back a change to a closed month is still carried


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
    employees = [c.employee for c in todo.values()]
    states = _starts(session, employees, target, policies, {})
    starts = {key: start for key, (start, _) in states.items()}
    changed = closed_differences(session, rules, employees, starts, target, now=now)
    for key, months in _carried(session, rules, employees, states, target, now,
                                changed).items():
        if months:
            states[key] = (target, months[-1][1])  # the month before's, over or not
    frozen_of = _frozen(session, employees, target)
    for key, current in todo.items():
        account = _carry(rules, current, states[key][1],
                         changed.get(key) if starts[key] == target else None)
        frozen = frozen_of.get(key)
        if frozen is not None:
            account.closing, account.frozen = frozen, True
        out[key] = account
    return out


def leave_draws(session: Session, rules: PolicySource, employees: Iterable[Employee],
                on: date, *, now: datetime | None = None) -> dict[int, list[Draw]]:
    """The leave the account drew in `on`'s year by `on`, each on the last day of the month
    that settled it; nothing for those whose rules never draw leave, without a query."""
    now = now or datetime.now(UTC)
    out: dict[int, list[Draw]] = {}
    todo: dict[int, tuple[Employee, Month]] = {}
    for employee in employees:
        out[employee.id] = []
        policy = rules.on(employee.institution_id, on)
        if policy is None or not any(v.account is not None and v.account.not_recovered
                                     and v.account.not_recovered.kind == "leave"
                                     for v in policy.versions):
            continue
        today = now.astimezone(ZoneInfo(policy.timezone)).date()
        # The last month that is over: its settlements are in.
        through = min((on.year, on.month), _previous((today.year, today.month)))
        if through >= (on.year, 1):
            todo[employee.id] = (employee, through)
    if not todo:
        return out
    for key, year, month, kept in session.execute(
            select(MonthCloseEntry.employee_id, MonthClose.year, MonthClose.month,
                   MonthCloseEntry.account_leave)
            .join(MonthClose, MonthClose.id == MonthCloseEntry.month_close_id)
            .where(MonthCloseEntry.employee_id.in_(list(todo)), MonthClose.state == "closed",
                   MonthClose.year == on.year, MonthClose.month <= on.month,
                   MonthCloseEntry.account_leave.is_not(None))):
        last = month_bounds(year, month)[1]
        out[key] += [Draw(last, "", None, d["leave"], int(d["halves"]),
                          Explain(**{**d["explain"], "args": tuple(d["explain"]["args"])}))
                     for d in kept]
    starts: dict[int, tuple[Month, AccountState]] = {}
    for key, (employee, through) in todo.items():
        policy = rules.on(employee.institution_id, on)
        assert policy is not None
        starts[key] = _start(session, employee, _next(through), policy)
    earlier = [employee for key, (employee, through) in todo.items()
               if starts[key][0] <= through]
    if not earlier:
        return out
    first = min(starts[e.id][0] for e in earlier)
    last_month = max(todo[e.id][1] for e in earlier)
    for key, runs in month_runs(session, rules, earlier, first, last_month, now=now).items():
        start, state = starts[key]
        for pm in runs:
            month_of = (pm.result.year, pm.result.month)
            if not start <= month_of <= todo[key][1]:
                continue
            account = _carry(rules, pm, state)
            state = account.closing
            if month_of[0] == on.year:
                last = month_bounds(*month_of)[1]
                out[key] += [Draw(last, "", None, m.leave, m.halves, m.explain)
                             for m in account.movements if m.leave is not None]
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
        if policy is None or _first_account_month(policy) is None:
            continue
        wanted.append(employee)
        policies[employee.id] = policy
    states = _starts(session, wanted, target, policies, since)
    starts = {key: start for key, (start, _) in states.items()}
    changed = closed_differences(session, rules, wanted, starts, target, now=now)
    out: dict[int, list[tuple[Month, AccountState]]] = {}
    before = _previous(target)
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
    before = _previous(target)
    earlier = [e for e in employees if states[e.id][0] <= before]
    first = min((states[e.id][0] for e in earlier), default=target)
    for key, runs in month_runs(session, rules, earlier, first, before, now=now,
                                with_opening=True).items():
        start, state = states[key]
        for pm in runs:
            month = (pm.result.year, pm.result.month)
            if month >= start:
                account = _carry(rules, pm, state,
                                 changed.get(key) if month == start else None)
                state = account.closing
                out[key].append((month, state, account.complete))
    return out


def _carry(rules: PolicySource, pm: PersonMonth, opening: AccountState,
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
    balance, the month after the latest closed month, else zero where it begins
    (`_beginnings`). Read for many employees in a few queries."""
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
    out = {key: max(found, key=lambda c: c[0])  # the latest; on a same month, the first
           for key, found in candidates.items() if found}
    fresh = [e for e in employees if e.id not in out]
    for key, month in _beginnings(session, fresh, target, policies).items():
        out[key] = month, AccountState()
    return out


def _beginnings(session: Session, employees: list[Employee], target: Month,
                policies: Mapping[int, Policy]) -> dict[int, Month]:
    """Where an account with nothing before it begins at zero: the first month with a stamp
    or under a contract on record (someone hired who has not stamped yet owes from their
    first day), not before the rules keep an account, nor after `target`."""
    if not employees:
        return {}
    first_stamps: dict[int, date] = {key: day for key, day in session.execute(
        select(StampRow.employee_id, func.min(StampRow.local_date))
        .where(StampRow.employee_id.in_([e.id for e in employees]))
        .group_by(StampRow.employee_id))}
    contracts = employment.contracts_of(session, employees)
    out: dict[int, Month] = {}
    for employee in employees:
        starts = [c.start for c in contracts[employee.id] if c.start != NO_START]
        days = [d for d in (first_stamps.get(employee.id), min(starts, default=None)) if d]
        begins = min(((d.year, d.month) for d in days), default=target)
        first_rules = _first_account_month(policies[employee.id]) or target
        out[employee.id] = min(max(begins, first_rules), target)
    return out


def _start(session: Session, employee: Employee, target: Month,
           policy: Policy) -> tuple[Month, AccountState]:
    """Where one employee's carry begins before `target`, and what the account holds then."""
    return _starts(session, [employee], target, {employee.id: policy}, {})[employee.id]


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
    frozen = [{"close_id": close_id, "entry_employee": key,
               "closing": account.closing.balance,
               "debts": [d.to_json() for d in account.closing.debts],
               "leave": [_leave_kept(m) for m in account.movements if m.leave is not None]}
              for key, account in accounts_of(session, rules, months, now=now).items()
              if account is not None]
    if frozen:  # one statement for the close's step, not one per employee
        entries = MONTH_CLOSE_ENTRIES.c
        session.execute(update(MONTH_CLOSE_ENTRIES).where(
            entries.month_close_id == bindparam("close_id"),
            entries.employee_id == bindparam("entry_employee"),
        ).values(account_closing=bindparam("closing"), account_debts=bindparam("debts"),
                 account_leave=bindparam("leave")),
            frozen)


def closed_differences(session: Session, rules: PolicySource, employees: Iterable[Employee],
                       starts: dict[int, Month], target: Month, *,
                       now: datetime | None = None) -> dict[int, Correction]:
    """For those whose carry starts after a closed month (`starts`, from `_start`): what the
    closed months, computed again, now differ by from the latest close's frozen balance.
    A closed month stays as its close froze it; the first open month takes the difference.

    Computed again only from the earliest closed month something changed in after its
    close: a stamp received after it (a terminal's late stamp: stamps are never lost), a
    contract written after it that covers any of its days (a change dated in the past), a
    month reopened before a later close, or closed again after a later close. Carried again
    from the close or opening before that month, the latest closed month's balance is
    compared with its frozen one: a difference already carried into a later close is in
    that close's frozen balance, so it is never carried twice. Closed months more than
    `_CHANGES_BACK` months back are not looked at again."""
    frozen: dict[int, dict[Month, tuple[datetime, AccountState]]] = {}
    closes: dict[tuple[str, Month], datetime] = {}
    people = {e.id: e for e in employees if e.id in starts}
    index = target[0] * 12 + target[1]
    for key, institution, year, month, closed_at, balance, debts in session.execute(
            select(MonthCloseEntry.employee_id, MonthClose.institution_id, MonthClose.year,
                   MonthClose.month, MonthClose.closed_at, MonthCloseEntry.account_closing,
                   MonthCloseEntry.account_debts)
            .join(MonthClose, MonthClose.id == MonthCloseEntry.month_close_id)
            .where(MonthCloseEntry.employee_id.in_(list(people)), MonthClose.state == "closed",
                   MonthCloseEntry.account_closing.is_not(None),
                   MonthClose.year * 12 + MonthClose.month < index,
                   MonthClose.year * 12 + MonthClose.month >= index - _CHANGES_BACK)):
        if closed_at is not None:
            frozen.setdefault(key, {})[(year, month)] = (closed_at, state_of(balance, debts))
            closes[(institution, (year, month))] = closed_at
    # Only whose carry starts from the latest close: a later opening balance replaces it.
    frozen = {k: v for k, v in frozen.items() if starts[k] == _next(max(v))}
    if not frozen:
        return {}
    earliest = min(at for months in frozen.values() for at, _ in months.values())
    since: dict[int, Month] = {}

    def changed(key: int, day: date, after: datetime, until: date | None = None) -> None:
        """Note the earliest closed month from `day` (to `until`) closed before `after`."""
        for month, (closed_at, _) in frozen[key].items():
            first, last = month_bounds(*month)
            if closed_at < after and last >= day and (until is None or first <= until):
                since[key] = min(since.get(key, month), month)

    # The stamps dated in a closed month and received after its close: few, whatever the
    # number of stamps.
    late = [and_(StampRow.institution_id == institution,
                 StampRow.local_date.between(*month_bounds(*month)),
                 StampRow.received_at > closed_at)
            for (institution, month), closed_at in closes.items()]
    for key, day, received in session.execute(
            select(StampRow.employee_id, StampRow.local_date, StampRow.received_at).where(
                StampRow.employee_id.in_(list(frozen)), or_(*late))):
        if (day.year, day.month) in frozen[key]:
            changed(key, day, received, day)
    for key, starts_on, ends_on, set_at in session.execute(
            select(ContractRow.employee_id, ContractRow.starts, ContractRow.ends,
                   ContractRow.set_at).where(ContractRow.employee_id.in_(list(frozen)),
                                             ContractRow.set_at > earliest)):
        changed(key, starts_on, set_at, ends_on)
    reopened = session.execute(select(MonthClose.institution_id, MonthClose.year,
                                      MonthClose.month).where(
        MonthClose.institution_id.in_({people[k].institution_id for k in frozen}),
        MonthClose.state == "reopened")).all()
    for key, months in frozen.items():
        latest = max(months)
        # A month closed again after a later month's close: the later one carried from
        # what the earlier close had frozen before.
        for month, (closed_at, _) in months.items():
            if any(other > month and at < closed_at for other, (at, _) in months.items()):
                since[key] = min(since.get(key, month), month)
        for institution, year, month in reopened:
            if institution == people[key].institution_id and (year, month) < latest:
                since[key] = min(since.get(key, (year, month)), (year, month))
    out: dict[int, Correction] = {}
    for key, month in since.items():
        employee, latest = people[key], max(frozen[key])
        policy = rules.on(employee.institution_id, month_bounds(*latest)[1])
        assert policy is not None
        start, state = _start(session, employee, month, policy)
        for pm in month_runs(session, rules, [employee], start, latest, now=now)[key]:
            state = _carry(rules, pm, state).closing
        difference = state.balance - frozen[key][latest][1].balance
        if difference:
            out[key] = Correction(month[0], month[1], difference)
    return out
