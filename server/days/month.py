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
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.days import employment
from server.days.allowance_openings import opened_of, with_openings
from server.days.facts import Facts, ShownStamp, load_facts
from server.days.schedules import Key, carry_night_stamps, ends_by, load_schedules
from server.days.unit_budgets import share_budgets, unit_peers
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
    """The month of each employee, read in a few queries whatever their number.

    `with_opening` also evaluates the year's earlier months (allowances used before); rules
    with a yearly limit always do, or the limit would count from this month only;
    `shown` keeps every stamp as the timecard shows it; both cost more reading."""
    if not employees:
        return {}
    now = now or datetime.now(UTC)
    first, last = month_bounds(year, month)
    asked = list(employees)
    budgets = any(has_unit_budgets(_policy(rules, e, first)) for e in asked)
    if budgets:  # a unit's budget is shared: its other employees' year counts too
        employees = [*asked, *unit_peers(session, asked)]
    with_opening = with_opening or budgets or any(
        has_year_limits(policy) or has_windows(policy)
        for policy in (_policy(rules, e, first) for e in employees))
    start = date(year, 1, 1) if with_opening else first
    ids = [e.id for e in employees]
    facts, contracts, schedules = _inputs(session, rules, employees, start, last, shown)
    pending = _pending(session, ids, first, last) if shown else {}
    out: dict[int, PersonMonth] = {}
    year_months: dict[int, list[MonthResult]] = {}
    for employee in employees:
        policy = _policy(rules, employee, first)
        zone = ZoneInfo(policy.timezone)
        today = now.astimezone(zone).date()
        last_day = employment.last_day(employee, zone)
        off = employment.days_off(employee, contracts[employee.id], zone, start, last)
        opening, earlier = _opening(rules, employee, year, month, facts, schedules, today,
                                    last_day, policy, off) if with_opening else (None, [])
        result = _month(policy, employee, year, month, facts, schedules, opening,
                        month_through(today, last_day, last), off)
        year_months[employee.id] = [*earlier, result]
        progress = inputs = None
        if first <= today <= last and today not in off:
            inputs = _today_inputs(policy, employee, today, facts, schedules)
            progress = _day(inputs, employee, today)
        out[employee.id] = PersonMonth(
            employee, result, today, progress, last_day,
            {d: facts.shown[(employee.id, d)] for d in _days(first, last)
             if (employee.id, d) in facts.shown},
            pending.get(employee.id, 0),
            {d: schedules[(employee.id, d)] for d in _days(first, last)
             if (employee.id, d) in schedules},
            seen={d: facts.seen[(employee.id, d)] for d in _days(first, last)
                  if (employee.id, d) in facts.seen},
            off=frozenset(d for d in off if d >= first), today_inputs=inputs)
    if budgets:
        share_budgets(lambda e: _policy(rules, e, first), last, employees, year_months,
                      [out[e.id].result for e in asked], asked)
    return {e.id: out[e.id] for e in asked}


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
               first: tuple[int, int], last: tuple[int, int], *, now: datetime | None = None,
               ) -> dict[int, list[PersonMonth]]:
    """Each employee's months from `first` to `last` (inclusive), in order, computed as
    `person_months` computes each (the hours account carries them): the facts of the
    whole run read once. The timecard's extras (`shown`, pending requests) are left out, and
    so are unit overtime budgets (`share_budgets`), which `person_months` applies."""
    if not employees or first > last:
        return {e.id: [] for e in employees}
    now = now or datetime.now(UTC)
    start, end = month_bounds(*first)[0], month_bounds(*last)[1]
    if any(has_year_limits(p) or has_windows(p)
           for p in (_policy(rules, e, start) for e in employees)):
        start = date(first[0], 1, 1)
    facts, contracts, schedules = _inputs(session, rules, employees, start, end, False)
    out: dict[int, list[PersonMonth]] = {}
    for employee in employees:
        months = out.setdefault(employee.id, [])
        year, month = first
        while (year, month) <= last:
            policy = _policy(rules, employee, date(year, month, 1))
            zone = ZoneInfo(policy.timezone)
            today = now.astimezone(zone).date()
            last_day = employment.last_day(employee, zone)
            month_first, month_last = month_bounds(year, month)
            off = employment.days_off(employee, contracts[employee.id], zone, start, month_last)
            opening = _opening(rules, employee, year, month, facts, schedules, today, last_day,
                               policy, off)[0] if has_year_limits(policy) or has_windows(
                                   policy) else None
            result = _month(policy, employee, year, month, facts, schedules, opening,
                            month_through(today, last_day, month_last), off)
            months.append(PersonMonth(employee, result, today, last_day=last_day,
                                      off=frozenset(d for d in off if d >= month_first)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_through(today: date, last_day: date | None, month_last: date) -> date:
    """The last day that counts: yesterday, the month's end or the last day employed."""
    through = min(month_last, today - timedelta(days=1))
    return min(through, last_day) if last_day is not None else through


def _policy(rules: PolicySource, employee: Employee, day: date) -> Policy:
    policy = rules.on(employee.institution_id, day)
    if policy is None:
        raise MonthUnavailable(f"Nessuna regola per {employee.institution_id}",
                               f"No rules for {employee.institution_id}")
    return policy


def _opening(rules: PolicySource, employee: Employee, year: int, month: int, facts: Facts,
             schedules: dict[Key, Schedule], today: date, last_day: date | None,
             policy: Policy, off: frozenset[date]) -> tuple[Opening, list[MonthResult]]:
    """What the year's earlier months leave to this one, and those months."""
    used: dict[str, int] = defaultdict(int)
    code_used: dict[str, int] = defaultdict(int)
    overtime_used = 0
    opened = facts.opened.get(employee.id, [])  # what the year used before timbra
    opening = with_openings(Opening(), opened, year, 1)
    days: tuple[DayResult, ...] = ()  # the month before's, for a window reaching back
    months: list[MonthResult] = []
    for earlier in range(1, month):
        # Each month counts against yearly limits what the months before it left.
        before = _month(rules.on(employee.institution_id, date(year, earlier, 1)) or policy,
                        employee, year, earlier, facts, schedules, opening,
                        month_through(today, last_day, month_bounds(year, earlier)[1]), off)
        months.append(before)
        for allowance in before.allowances:
            used[allowance.name] += allowance.used
        for code, minutes in before.by_code.items():
            code_used[code] += minutes - before.over_cap.get(code, 0)
        overtime_used += before.overtime_paid + before.overtime_banked
        days = tuple(before.days)
        opening = with_openings(Opening(code_used=dict(code_used), overtime_used=overtime_used,
                                        earlier_days=days), opened, year, earlier + 1)
    return with_openings(Opening(allowance_used=dict(used), code_used=dict(code_used),
                                 overtime_used=overtime_used, earlier_days=days),
                         opened, year, month), months


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


def _pending(session: Session, ids: list[int], first: date, last: date) -> dict[int, int]:
    return dict(session.execute(
        select(RequestRow.employee_id, func.count()).where(
            RequestRow.employee_id.in_(ids), RequestRow.state == "pending",
            RequestRow.day.between(first, last)).group_by(RequestRow.employee_id)).all())
