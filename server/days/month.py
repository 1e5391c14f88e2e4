"""The month a person sees: the one computation every page, API, report and the month
close read.

For each employee: the stamps in force (corrections applied, approved missed stamps
included) and the approved requests, evaluated by the engine with the rules in force on
each day. Days that have not happened yet are not evaluated: no absence, no anomaly and
no due in the month-to-date figures; the month's whole due is `result.due_in_month`.
Today is "in progress": evaluated apart (`in_progress`), counted once it is over. Days
after an employee's deactivation are not due either.
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
from server.days.facts import Facts, ShownStamp, load_facts
from server.days.schedules import Key, carry_night_stamps, ends_by, load_schedules
from server.db.models import Employee
from server.db.models import Request as RequestRow
from server.engine import DayResult, MonthResult, Schedule, evaluate_day, evaluate_month
from server.engine.limits import has_year_limits
from server.engine.month import Opening
from server.policy.model import Policy


class PolicySource(Protocol):
    def on(self, institution_id: str, day: date) -> Policy | None: ...


class MonthUnavailable(LookupError):
    """No rules in force, or the employee's profile missing from them."""

    def __init__(self, italian: str, english: str) -> None:
        super().__init__(english)
        self.italian, self.english = italian, english


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

    def state_of(self, day: date) -> str:
        """past (evaluated), today (in progress), future, or gone (after deactivation)."""
        if self.last_day is not None and day > self.last_day:
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
    with_opening = with_opening or any(
        has_year_limits(_policy(rules, e, first)) for e in employees)
    start = date(year, 1, 1) if with_opening else first
    ids = [e.id for e in employees]
    # The next morning's stamps of a night shift belong to the day it starts: one day more
    # of stamps read, one day before of schedules (its shift takes the 1st's morning).
    facts = load_facts(session, ids, start, last + timedelta(days=1), shown=shown)
    schedules = load_schedules(session, employees, start - timedelta(days=1), last)
    institution_of = {e.id: e.institution_id for e in employees}
    ends = ends_by(lambda key: rules.on(institution_of[key[0]], key[1]))
    carry_night_stamps(facts.stamps, schedules, ends)
    carry_night_stamps(facts.shown, schedules, ends)  # the timecard shows them there too
    pending = _pending(session, ids, first, last) if shown else {}
    out: dict[int, PersonMonth] = {}
    for employee in employees:
        policy = _policy(rules, employee, first)
        zone = ZoneInfo(policy.timezone)
        today = now.astimezone(zone).date()
        last_day = employment.last_day(employee, zone)
        opening = _opening(rules, employee, year, month, facts, schedules, today, last_day,
                           policy) if with_opening else None
        result = _month(policy, employee, year, month, facts, schedules, opening,
                        month_through(today, last_day, last))
        progress = None
        if first <= today <= last and (last_day is None or today <= last_day):
            progress = _day(policy, employee, today, facts, schedules)
        out[employee.id] = PersonMonth(
            employee, result, today, progress, last_day,
            {d: facts.shown[(employee.id, d)] for d in _days(first, last)
             if (employee.id, d) in facts.shown},
            pending.get(employee.id, 0),
            {d: schedules[(employee.id, d)] for d in _days(first, last)
             if (employee.id, d) in schedules},
            seen={d: facts.seen[(employee.id, d)] for d in _days(first, last)
                  if (employee.id, d) in facts.seen})
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
             policy: Policy) -> Opening:
    used: dict[str, int] = defaultdict(int)
    code_used: dict[str, int] = defaultdict(int)
    overtime_used = 0
    opening = Opening()
    for earlier in range(1, month):
        # Each month counts against yearly limits what the months before it left.
        before = _month(rules.on(employee.institution_id, date(year, earlier, 1)) or policy,
                        employee, year, earlier, facts, schedules, opening,
                        month_through(today, last_day, month_bounds(year, earlier)[1]))
        for allowance in before.allowances:
            used[allowance.name] += allowance.used
        for code, minutes in before.by_code.items():
            code_used[code] += minutes - before.over_cap.get(code, 0)
        overtime_used += before.overtime_paid + before.overtime_banked
        opening = Opening(code_used=dict(code_used), overtime_used=overtime_used)
    return Opening(allowance_used=dict(used), code_used=dict(code_used),
                   overtime_used=overtime_used)


def _month(policy: Policy, employee: Employee, year: int, month: int, facts: Facts,
           schedules: dict[Key, Schedule], opening: Opening | None, through: date,
           ) -> MonthResult:
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
            opening, through=through, schedules=own)
    except LookupError:
        raise _missing(employee, year, month) from None


def _day(policy: Policy, employee: Employee, day: date, facts: Facts,
         schedules: dict[Key, Schedule]) -> DayResult:
    key = (employee.id, day)
    try:
        return evaluate_day(policy, schedules.get(key, employee.profile), day,
                            facts.stamps.get(key, ()),
                            facts.requests.get(key, ()))
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
