"""The employee's month (cartellino), day by day: `server.days.month` computes it (the
same computation as the summaries, the reports and the month close), this module lays it
out for the page and the API.

Every figure carries the explanation steps that made it, as the engine wrote them
(`rule` as written, `source` as file:line), so the page and the API can show why. Every
stamp that counts is listed with its source (terminal, web, app, a correction, a declared
missed stamp); a corrected original stays, struck through.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from server.days.employment import contracts_between
from server.days.facts import ShownStamp
from server.days.month import PersonMonth, month_bounds
from server.days.rules_in_force import RulesInForce
from server.db.models import Employee
from server.engine import DayResult
from server.engine.account import AccountMonth, month_adjustment, running_balance
from server.engine.results import FIX_BY_FORMAT, Explain
from server.office.summary import month_account, months_of
from server.web.wording import WEEKDAYS, say

# How a person reads where a stamp came from.
# Which explanation steps belong to which figure of the page; the rest go under "other".
FIGURE_STEPS: dict[str, tuple[str, ...]] = {
    "worked": ("worked", "stamps", "pause_deducted", "credited", "by_code"),
    "due": ("due",),
    "balance": ("balance", "tolerated", "negative_flex", "to_recover", "unjustified",
                "overtime_paid", "overtime_banked"),
    "meal_voucher": ("meal_voucher",),
}


@dataclass(frozen=True)
class StampView:
    time: str  # HH:MM local, as stamped (rounding is an explanation step)
    direction: str | None
    code: str | None
    source: str  # terminal, web, app, manual (a correction), declared (a missed stamp)
    flags: list[str]
    corrected: bool  # a correction that replaced an earlier stamp
    in_force: bool = True  # False: replaced or voided by a correction, shown struck through
    voided: bool = False  # removed by the office (not replaced by another time)


@dataclass(frozen=True)
class AnomalyView:
    code: str
    message: str
    fix_by: str | None  # local YYYY-MM-DDTHH:MM, as every API writes it
    overdue: bool


@dataclass(frozen=True)
class DayView:
    date: str
    weekday: str
    computed: bool  # evaluated: a past day (today and later days are not, yet)
    state: str = "past"  # past, today (in progress: not in the totals), future, gone
    worked: int = 0  # minutes
    due: int = 0
    balance: int = 0
    meal_voucher: bool = False
    by_code: dict[str, int] = field(default_factory=dict)
    stamps: list[StampView] = field(default_factory=list)
    anomalies: list[AnomalyView] = field(default_factory=list)
    explain: dict[str, list[Explain]] = field(default_factory=dict)  # figure → steps
    # The day's schedule from the employee's record: profile, chosen weekdays, rota shift.
    profile: str = ""
    chosen: list[int] = field(default_factory=list)
    shift: str | None = None
    account: int | None = None  # the hours account at the day's end (None: not kept)


@dataclass(frozen=True)
class ContractTerm:
    """A contract in force in the month, as the page's header reads it: the profile (and its
    label), the part-time percentage, and its first or last day when that falls within the
    month (None: it began before the month, or runs past it)."""

    profile: str
    profile_label: str
    part_time_percent: int
    start: str | None  # ISO
    end: str | None  # ISO


@dataclass(frozen=True)
class MonthView:
    employee_id: int
    employee_number: str
    employee_name: str
    month: str  # YYYY-MM
    previous: str
    next: str
    worked: int  # the totals count the days up to `through`
    due: int
    balance: int
    meal_vouchers: int
    anomalies: int
    due_in_month: int  # the whole month's due, days still to come included
    through: str | None  # the last day counted (ISO); None when no day is yet
    today: str
    days: list[DayView]
    profile: str = ""  # the base profile: a day's own differs only where the record says so
    # The contracts in force in the month, earliest first (none: not under contract at all),
    # and how a person reads each profile the page names (the rule file's `label`).
    contracts: list[ContractTerm] = field(default_factory=list)
    profile_labels: dict[str, str] = field(default_factory=dict)
    # The hours account (None: the rules keep none): the month opens with `account_opening`,
    # each day's `account` runs from it, the month's own rules add `account_adjustment`,
    # and the month's end movements (`account_month_end`: debts due docked from pay or
    # drawn from leave, credit lapsed) lead to `account_closing` (as in the summaries).
    account_opening: int | None = None
    account_adjustment: int = 0
    account_month_end: int = 0
    account_closing: int | None = None


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    """`YYYY-MM`, or this month; ValueError for anything else."""
    if not text:
        return today.year, today.month
    year_text, _, month_text = text.partition("-")
    year, month = int(year_text), int(month_text)
    if not (1900 < year < 3000 and 1 <= month <= 12) or len(month_text) != 2:
        raise ValueError(text)
    return year, month


def month_view(session: Session, employee: Employee, year: int, month: int,
               now: datetime | None = None) -> MonthView:
    rules = RulesInForce(session, [employee.institution_id])
    person = months_of(session, rules, [employee], year, month, now=now,
                       shown=True)[employee.id]
    view = layout(person, month_account(session, rules, person, now=now))
    first, last = month_bounds(year, month)
    policy = rules.on(employee.institution_id, last)
    try:
        version = policy.version_on(last) if policy is not None else None
    except LookupError:  # a month before the rules' first section: names as they are
        version = None
    contracts = contracts_between(session, employee, first, last)
    names = {view.profile, *(d.profile for d in view.days), *(c.profile for c in contracts)}
    labels = {n: version.profile_label(n) if version else n for n in names if n}
    return replace(view, profile_labels=labels, contracts=[ContractTerm(
        c.profile, labels[c.profile], c.part_time_percent,
        c.start.isoformat() if c.start >= first else None,
        c.end.isoformat() if c.end is not None and c.end <= last else None)
        for c in contracts])


# The movements the running balance already holds (`running_balance`: the days' balances
# and the closed months' differences); the others happen at the month's end.
RUNNING_KINDS = frozenset({"month", "difference"})


def layout(person: PersonMonth, account: AccountMonth | None = None) -> MonthView:
    """The page's and the API's view of a computed month."""
    result, employee = person.result, person.employee
    running = dict(running_balance(account.opening, result, account.carried)
                   if account else ())
    first, last = month_bounds(result.year, result.month)
    evaluated = {d.day: d for d in result.days}
    days = []
    for n in range(first.toordinal(), last.toordinal() + 1):
        day = date.fromordinal(n)
        state = person.state_of(day)
        shown = [_stamp(s) for s in person.shown.get(day, [])]
        found = evaluated.get(day) if state == "past" else (
            person.in_progress if state == "today" else None)
        own = person.schedules.get(day)
        days.append(replace(_day(day, state, found, shown, person.today),
                            profile=own.profile if own else employee.profile,
                            chosen=sorted(own.chosen) if own else [],
                            shift=own.shift if own else None, account=running.get(day)))
    before = date.fromordinal(first.toordinal() - 1)
    after = date.fromordinal(last.toordinal() + 1)
    through = result.days[-1].day.isoformat() if result.days else None
    return MonthView(
        employee_id=employee.id, employee_number=employee.number, employee_name=employee.name,
        month=f"{result.year:04d}-{result.month:02d}", previous=before.strftime("%Y-%m"),
        next=after.strftime("%Y-%m"), worked=result.worked, due=result.due,
        balance=result.balance, meal_vouchers=result.meal_vouchers,
        anomalies=len(result.anomalies), due_in_month=result.due_in_month, through=through,
        today=person.today.isoformat(), days=days, profile=employee.profile,
        account_opening=account.opening.balance if account else None,
        account_adjustment=month_adjustment(result) if account else 0,
        account_month_end=sum(m.effect for m in account.movements
                              if m.kind not in RUNNING_KINDS) if account else 0,
        account_closing=account.closing.balance if account else None)


def _stamp(s: ShownStamp) -> StampView:
    return StampView(time=s.time, direction=s.direction, code=s.code, source=s.source,
                     flags=list(s.flags), corrected=s.corrects, in_force=s.in_force,
                     voided=s.voided)


def _day(day: date, state: str, result: DayResult | None, stamps: list[StampView],
         today: date) -> DayView:
    weekday = WEEKDAYS[day.weekday()]
    if result is None:
        return DayView(date=day.isoformat(), weekday=weekday, computed=False, state=state,
                       stamps=stamps)
    explain: dict[str, list[Explain]] = {figure: [] for figure in FIGURE_STEPS}
    explain["other"] = []
    for e in result.explanations():
        home = next((f for f, names in FIGURE_STEPS.items() if e.figure in names), "other")
        explain[home].append(e)
    # Today's anomalies are not anomalies yet: the day is still going on.
    anomalies = [] if state == "today" else [
        AnomalyView(a.code, say(a, "message"),
                    a.fix_by.strftime(FIX_BY_FORMAT) if a.fix_by else None,
                    _overdue(a.fix_by, today)) for a in result.anomalies]
    return DayView(date=day.isoformat(), weekday=weekday, computed=state == "past",
                   state=state, worked=result.worked, due=result.due, balance=result.balance,
                   meal_voucher=result.meal_voucher, by_code=dict(result.by_code),
                   stamps=stamps, anomalies=anomalies, explain=explain)


def _overdue(fix_by: date | datetime | None, today: date) -> bool:
    if fix_by is None:
        return False
    return (fix_by.date() if isinstance(fix_by, datetime) else fix_by) < today


@dataclass(frozen=True)
class CalendarWeek:
    """One row of the month's calendar, Monday to Sunday: None where the day is in the
    month before or after."""

    days: list[DayView | None]


def calendar_weeks(view: MonthView) -> list[CalendarWeek]:
    """The month's days (the same `DayView`s as the table) in weeks from Monday."""
    first = date.fromisoformat(view.days[0].date)
    cells: list[DayView | None] = [None] * first.weekday() + list(view.days)
    cells += [None] * (-len(cells) % 7)
    return [CalendarWeek(cells[start:start + 7]) for start in range(0, len(cells), 7)]


def week_of(view: MonthView) -> list[str]:
    """Seven dates, Monday to Sunday, for the calendar's column heads (their weekday)."""
    first = date.fromisoformat(view.days[0].date)
    monday = first.toordinal() - first.weekday()
    return [date.fromordinal(monday + n).isoformat() for n in range(7)]
