"""The month a person sees: the one computation every page, API, report and the month
close read.

For each employee: the stamps in force (corrections applied, approved missed stamps
included) and the approved requests, evaluated by the engine with the rules in force on
each day. Days that have not happened yet are not evaluated: no absence, no anomaly and
no due in the month-to-date figures; the month's whole due is `result.due_in_month`.
Today is "in progress": evaluated apart (`in_progress`), counted once it is over. Days
outside the employee's contracts or after their deactivation (`server.days.employment`)
are not due either, and not evaluated.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.days import employment
from server.days.allowance_openings import opened_of, with_openings
from server.days.facts import Facts, ShownStamp, load_facts
from server.days.schedules import Key, carry_night_stamps, ends_by, load_schedules
from server.days.unit_budgets import share_budgets, unit_peers
from server.db.keys import one_of
from server.db.models import Employee
from server.db.models import Request as RequestRow
from server.engine import (
    DayResult,
    MonthResult,
    Request,
    Schedule,
    Stamp,
    evaluate_day,
    evaluate_month,
)
from server.engine.budgets import has_unit_budgets
from server.engine.limits import has_year_limits
from server.engine.month import Opening
from server.engine.windows import has_windows
from server.policy.model import Policy

Month = tuple[int, int]  # year, month


class PolicySource(Protocol):
    def on(self, institution_id: str, day: date) -> Policy | None: ...


class MonthUnavailable(LookupError):
    """No rules in force, or the employee's profile missing from them."""

    def __init__(self, italian: str, english: str) -> None:
        super().__init__(english)
        self.italian, self.english = italian, english


@dataclass(frozen=True)
class DayInputs:
    """What the engine was fed for one day: the same stamps, requests, schedule and rules,
    for a computation that asks the engine about that day again ("if I leave now")."""

    policy: Policy
    schedule: str | Schedule
    stamps: tuple[Stamp, ...]
    requests: tuple[Request, ...]


@dataclass
class PersonMonth:
    employee: Employee
    result: MonthResult  # the days up to `result.through`, summed
    today: date  # the institution's local date when computed
    in_progress: DayResult | None = None  # today, when it falls in the month
    last_day: date | None = None  # a deactivated employee's last day
    shown: dict[date, list[ShownStamp]] = field(default_factory=dict)
    pending_requests: int = 0
    schedules: dict[date, Schedule] = field(default_factory=dict)  # days off the base profile
    seen: dict[date, int] = field(default_factory=dict)  # stamps in force per day
    off: frozenset[date] = frozenset()  # the month's days not employed
    today_inputs: DayInputs | None = None  # what `in_progress` was computed from

    def state_of(self, day: date) -> str:
        """past (evaluated), today (in progress), future, or gone (not employed: outside
        the contracts, or after deactivation)."""
        if day in self.off or (self.last_day is not None and day > self.last_day):
            return "gone"
        if day == self.today:
            return "today"
        return "future" if day > self.today else "past"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def person_months(session: Session, rules: PolicySource, employees: Collection[Employee],
                  year: int, month: int, *, now: datetime | None = None,
                  with_opening: bool = False, shown: bool = False,
                  ) -> dict[int, PersonMonth]:
    """The month of each employee, read in a few queries whatever their number: one month
    of `month_runs`.

    `with_opening` also evaluates the year's earlier months (allowances used before); rules
    with a yearly limit always do, or the limit would count from this month only;
    `shown` keeps every stamp as the timecard shows it; both cost more reading."""
    runs = month_runs(session, rules, employees, (year, month), (year, month), now=now,
                      with_opening=with_opening, shown=shown)
    return {key: months[0] for key, months in runs.items()}


def _inputs(session: Session, rules: PolicySource, employees: Collection[Employee],
            start: date, last: date, shown: bool,
            ) -> tuple[Facts, employment.Contracts, dict[Key, Schedule]]:
    """The stamps, requests, contracts and schedules from `start` to `last`, read at once."""
    # The next morning's stamps of a night shift belong to the day it starts: one day more
    # of stamps read, one day before of schedules (its shift takes the 1st's morning).
    facts = load_facts(session, [e.id for e in employees], start, last + timedelta(days=1),
                       shown=shown)
    contracts = employment.contracts_of(session, employees)
    schedules = load_schedules(session, employees, start - timedelta(days=1), last,
                               contracts=contracts)
    institution_of = {e.id: e.institution_id for e in employees}
    ends = ends_by(lambda key: rules.on(institution_of[key[0]], key[1]))
    carry_night_stamps(facts.stamps, schedules, ends)
    carry_night_stamps(facts.shown, schedules, ends)  # the timecard shows them there too
    facts.opened = opened_of(session, [e.id for e in employees])
    return facts, contracts, schedules


def month_runs(session: Session, rules: PolicySource, employees: Collection[Employee],
               first: Month, last: Month, *, now: datetime | None = None,
               with_opening: bool = False, shown: bool = False,
               ) -> dict[int, list[PersonMonth]]:
    """Each employee's months from `first` to `last` (inclusive), in order: the one loop
    behind every page, the API, the month close and the hours account's earlier months.

    The facts of the whole run are read at once. Each month is computed alike: from the
    year's earlier months when `with_opening` asks, or the rules have a yearly limit, a
    window or a unit's overtime budget (each month then opens with what the months before
    it in its year used: allowances, codes and overtime counted against yearly limits, the
    days a window reaches back to); a unit's budget is shared among its employees (the
    other employees of the unit are read too); days outside the contracts are not due.
    `shown` keeps every stamp as the timecard shows it and counts pending requests."""
    if not employees or first > last:
        return {e.id: [] for e in employees}
    now = now or datetime.now(UTC)
    run_first, end = month_bounds(*first)[0], month_bounds(*last)[1]
    asked = list(employees)
    budgets = any(has_unit_budgets(_policy(rules, e, run_first)) for e in asked)
    # A unit's budget is shared: its other employees' year counts too.
    everyone = [*asked, *unit_peers(session, asked)] if budgets else asked
    yearly = with_opening or budgets or any(
        has_year_limits(policy) or has_windows(policy)
        for policy in (_policy(rules, e, run_first) for e in everyone))
    start = date(first[0], 1, 1) if yearly else run_first
    facts, contracts, schedules = _inputs(session, rules, everyone, start, end, shown)
    pending = _pending(session, [e.id for e in asked], run_first, end) if shown else {}
    wanted = {e.id for e in asked}
    results: dict[int, dict[Month, MonthResult]] = {}
    out: dict[int, list[PersonMonth]] = {}
    for employee in everyone:
        policy = _policy(rules, employee, run_first)
        zone = ZoneInfo(policy.timezone)
        today = now.astimezone(zone).date()
        last_day = employment.last_day(employee, zone)
        off = employment.days_off(employee, contracts[employee.id], zone, start, end)
        results[employee.id] = _run(rules, employee, policy, (start.year, start.month), first,
                                    last, facts, schedules, today, last_day, off, yearly)
        if employee.id not in wanted:
            continue
        out[employee.id] = [
            _person_month(employee, result, today, last_day, facts, schedules, off, policy,
                          pending.get((employee.id, (result.year, result.month)), 0))
            for key, result in results[employee.id].items() if key >= first]
    if budgets:
        # Latest month first: each month's cut is reckoned on the months before it as
        # worked, before their own cuts change what they paid.
        for month in reversed(months_between(first, last)):
            year_months = {key: [r for (y, m), r in runs.items() if y == month[0]
                                 and m <= month[1]] for key, runs in results.items()}
            share_budgets(partial(_policy_on, rules, month_bounds(*month)[0]),
                          month_bounds(*month)[1], everyone, year_months,
                          [results[e.id][month] for e in asked], asked)
    return {e.id: out[e.id] for e in asked}


def _run(rules: PolicySource, employee: Employee, policy: Policy, start: Month,
         first: Month, last: Month, facts: Facts, schedules: dict[Key, Schedule],
         today: date, last_day: date | None, off: frozenset[date],
         yearly: bool) -> dict[Month, MonthResult]:
    """The employee's months from `start` to `last`, each opened by the year's months
    before it (when `yearly`): the months before `first` are evaluated for that only."""
    months: dict[Month, MonthResult] = {}
    used: dict[str, int] = defaultdict(int)
    code_used: dict[str, int] = defaultdict(int)
    overtime_used = 0
    days: tuple[DayResult, ...] = ()  # the month before's, for a window reaching back
    for year, month in months_between(start, last):
        if month == 1:  # yearly limits and allowances start again
            used, code_used, overtime_used, days = defaultdict(int), defaultdict(int), 0, ()
        first_day, month_last = month_bounds(year, month)
        on = (_policy(rules, employee, first_day) if (year, month) >= first
              else rules.on(employee.institution_id, first_day) or policy)
        # What the year used before timbra (allowance openings) counts as well.
        opening = with_openings(Opening(allowance_used=dict(used), code_used=dict(code_used),
                                        overtime_used=overtime_used, earlier_days=days),
                                facts.opened.get(employee.id, []), year, month) if yearly else None
        result = _month(on, employee, year, month, facts, schedules, opening,
                        month_through(today, last_day, month_last), off)
        months[(year, month)] = result
        # Each month counts against yearly limits what the months before it left.
        for allowance in result.allowances:
            used[allowance.name] += allowance.used
        for code, minutes in result.by_code.items():
            code_used[code] += minutes - result.over_cap.get(code, 0)
        overtime_used += result.overtime_paid + result.overtime_banked
        days = tuple(result.days)
    return months


def _person_month(employee: Employee, result: MonthResult, today: date,
                  last_day: date | None, facts: Facts, schedules: dict[Key, Schedule],
                  off: frozenset[date], policy: Policy, pending: int) -> PersonMonth:
    first, last = month_bounds(result.year, result.month)
    days = _days(first, last)
    key = employee.id
    progress = inputs = None
    if first <= today <= last and today not in off:
        inputs = _today_inputs(policy, employee, today, facts, schedules)
        progress = _day(inputs, employee, today)
    return PersonMonth(
        employee, result, today, progress, last_day,
        {d: facts.shown[(key, d)] for d in days if (key, d) in facts.shown}, pending,
        {d: schedules[(key, d)] for d in days if (key, d) in schedules},
        seen={d: facts.seen[(key, d)] for d in days if (key, d) in facts.seen},
        off=frozenset(d for d in off if first <= d <= last), today_inputs=inputs)


def months_between(first: Month, last: Month) -> list[Month]:
    """The months from `first` to `last`, both included, in order."""
    out = []
    year, month = first
    while (year, month) <= last:
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_through(today: date, last_day: date | None, month_last: date) -> date:
    """The last day that counts: yesterday, the month's end or the last day employed."""
    through = min(month_last, today - timedelta(days=1))
    return min(through, last_day) if last_day is not None else through


def _policy_on(rules: PolicySource, day: date, employee: Employee) -> Policy:
    return _policy(rules, employee, day)


def _policy(rules: PolicySource, employee: Employee, day: date) -> Policy:
    policy = rules.on(employee.institution_id, day)
    if policy is None:
        raise MonthUnavailable(f"Nessuna regola per {employee.institution_id}",
                               f"No rules for {employee.institution_id}")
    return policy


def _month(policy: Policy, employee: Employee, year: int, month: int, facts: Facts,
           schedules: dict[Key, Schedule], opening: Opening | None, through: date,
           off: frozenset[date]) -> MonthResult:
    whole = _days(*month_bounds(year, month))
    days = [d for d in whole if d <= through]
    key = employee.id
    own = {d: schedules[(key, d)] for d in whole if (key, d) in schedules}
    # The month's own rules (monte ore, allowances) follow the profile of its last day, as
    # they follow the rules in force on it; the days keep each their own schedule.
    profile = own[whole[-1]].profile if whole[-1] in own else employee.profile
    if profile != employee.profile:
        own = {d: own.get(d) or Schedule(employee.profile) for d in whole}
    try:
        return evaluate_month(
            policy, profile, year, month,
            {d: facts.stamps[(key, d)] for d in days if (key, d) in facts.stamps},
            {d: facts.requests[(key, d)] for d in days if (key, d) in facts.requests},
            opening, through=through, schedules=own, off=off)
    except LookupError:
        raise _missing(employee, year, month) from None


def _today_inputs(policy: Policy, employee: Employee, day: date, facts: Facts,
                  schedules: dict[Key, Schedule]) -> DayInputs:
    key = (employee.id, day)
    return DayInputs(policy, schedules.get(key, employee.profile),
                     tuple(facts.stamps.get(key, ())), tuple(facts.requests.get(key, ())))


def _day(inputs: DayInputs, employee: Employee, day: date) -> DayResult:
    try:
        return evaluate_day(inputs.policy, inputs.schedule, day, inputs.stamps,
                            inputs.requests)
    except LookupError:
        raise _missing(employee, day.year, day.month) from None


def _missing(employee: Employee, year: int, month: int) -> MonthUnavailable:
    return MonthUnavailable(
        f"{employee.name}: profilo '{employee.profile}' o regole mancanti nel "
        f"{month:02d}/{year}",
        f"{employee.name}: profile '{employee.profile}' or rules missing in "
        f"{year}-{month:02d}")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _pending(session: Session, ids: list[int], first: date,
             last: date) -> dict[tuple[int, Month], int]:
    """The pending requests of each employee's month."""
    out: dict[tuple[int, Month], int] = defaultdict(int)
    for employee_id, day, count in session.execute(
            select(RequestRow.employee_id, RequestRow.day, func.count()).where(
                one_of(RequestRow.employee_id, ids), RequestRow.state == "pending",
                RequestRow.day.between(first, last))
            .group_by(RequestRow.employee_id, RequestRow.day)):
        out[(employee_id, (day.year, day.month))] += count
    return out
