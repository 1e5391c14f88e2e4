"""What each role's home page shows, read in a few queries per block whatever the number of
people: the employee's today, the manager's unit today, the office's month.

Every figure comes from the one month computation (`server.days.month`): the balance is
the month's to yesterday, today is the day in progress, the leave left is each
allowance's `left` and each leave in days' (`server.days.leave`); anomalies and flags
are the engine's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.days.facts import load_facts
from server.days.leave import LIVE, balances
from server.days.month import PersonMonth, month_bounds
from server.days.rules_in_force import RulesInForce, policy_at
from server.db.models import Employee, MonthClose, User
from server.db.models import Request as RequestRow
from server.engine.account import Debt
from server.engine.leave import LeaveYear
from server.engine.leave_time import LeaveNow, leave_now
from server.engine.results import AllowanceBalance, Flag
from server.errors import OfficeError
from server.office.decisions import approval_queue
from server.office.notifications import NearDeadline
from server.office.people import employee_visible, employees_seen_by, institution_employees
from server.office.summary import month_account, months_of


@dataclass(frozen=True)
class OpenAnomaly:
    employee_id: int
    name: str
    day: date
    code: str
    message: str
    fix_by: datetime | None  # local


@dataclass
class EmployeeToday:
    employee: Employee
    today: date
    stamps: Sequence[tuple[int, str | None]]  # (local minute, direction), by time
    worked_today: int  # the engine's figure for today's stamps so far
    at_work_since: int | None  # the minute of the last "in", while no "out" follows it
    balance: int  # the month's, to yesterday
    allowances: list[AllowanceBalance]
    deadlines: dict[str, date | datetime]
    anomalies: list[OpenAnomaly]
    pending_requests: int
    leave: list[LeaveYear] = field(default_factory=list)  # leave in days left, today
    # "If I leave now": the engine on today's inputs with an exit now; None on a day not
    # employed.
    leaving: LeaveNow | None = None
    # The hours account's balance to yesterday where the rules keep one (the timecard's and
    # the Riepiloghi's closing figure): it carries the months before, which `balance` does not.
    account: int | None = None
    # Half days asked for and still pending, by leave name: the balance does not count them
    # yet, a new request must fit beside them (`server.days.leave.LIVE`).
    leave_pending: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Colleague:
    employee: Employee
    present: bool  # the last stamp today is an entry
    last_stamp: int | None  # its local minute
    flags: list[Flag]


@dataclass
class UnitToday:
    people: list[Colleague]
    waiting: list[tuple[RequestRow, str]]  # (request, employee name), oldest first

    @property
    def present(self) -> int:
        return sum(1 for p in self.people if p.present)


@dataclass
class OfficeMonth:
    year: int
    month: int
    anomalies: list[OpenAnomaly]
    pending_requests: int
    closing: list[MonthClose]
    now: datetime  # local and naive, as the anomalies' fix-by: past it, an anomaly is late
    unavailable: list[str] = field(default_factory=list)


def local_now(session: Session, institution_id: str, now: datetime) -> datetime:
    try:
        zone = ZoneInfo(policy_at(session, institution_id, now)[0].timezone)
    except LookupError:
        zone = ZoneInfo("Europe/Rome")
    return now.astimezone(zone)


def employee_today(session: Session, actor: User, now: datetime | None = None
                   ) -> EmployeeToday | None:
    """The actor's own day and month; None for an account with no employee."""
    if actor.employee_id is None:
        return None
    now = now or datetime.now(UTC)
    employee = employee_visible(session, actor, actor.employee_id)
    local = local_now(session, actor.institution_id, now)
    today = local.date()
    rules = RulesInForce(session, [actor.institution_id])
    month = months_of(session, rules, [employee], today.year, today.month, now=now,
                      with_opening=True)[employee.id]
    inputs = month.today_inputs
    leaving = None if inputs is None else leave_now(
        inputs.policy, inputs.schedule, today, inputs.stamps, inputs.requests,
        local.hour * 60 + local.minute)
    stamps = _today_stamps(session, [employee.id], today).get(employee.id, [])
    pending = session.scalar(select(func.count()).select_from(RequestRow).where(
        RequestRow.employee_id == employee.id, RequestRow.state == "pending")) or 0
    counted = balances(session, rules, [employee], today, now=now)[employee.id]
    account = month_account(session, rules, month, now=now)
    return EmployeeToday(
        employee, today, stamps, month.in_progress.worked if month.in_progress else 0,
        stamps[-1][0] if stamps and stamps[-1][1] == "in" else None,
        month.result.balance, list(month.result.allowances),
        _with_debts_due(month.result.deadlines, account.closing.debts if account else []),
        _open_anomalies([month]), pending, counted, leaving,
        account.closing.balance if account is not None else None,
        _leave_pending(counted, balances(session, rules, [employee], today, states=LIVE,
                                         now=now)[employee.id]) if pending else {})


def _with_debts_due(deadlines: dict[str, date | datetime],
                    debts: Iterable[Debt]) -> dict[str, date | datetime]:
    """The month's deadlines, the negative balance's being the nearest of it and the older
    months' debts: the home page said 31 January for this month's debt while last month's
    was due on 31 December (the summaries list both)."""
    shown = dict(deadlines)
    dues: list[date | datetime] = [d.due for d in debts if d.due is not None]
    if "negative_balance" in shown:
        dues.append(shown["negative_balance"])
    if dues:
        shown["negative_balance"] = min(dues, key=_as_day)
    return shown


def _as_day(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when


def _leave_pending(counted: list[LeaveYear], live: list[LeaveYear]) -> dict[str, int]:
    """The half days each leave's pending requests draw: what is left counting the approved
    ones less what is left counting the pending ones too (the same engine, both ways)."""
    left = {y.name: y.total_left if y.yearly else (y.month_left or 0) for y in live}
    out = {}
    for year in counted:
        mine = year.total_left if year.yearly else (year.month_left or 0)
        if year.name in left and mine > left[year.name]:
            out[year.name] = mine - left[year.name]
    return out


def unit_today(session: Session, actor: User, now: datetime | None = None) -> UnitToday:
    """A manager's people (their unit; the whole institution for a manager with none):
    who is in, their flags this month, and the requests waiting for this manager."""
    now = now or datetime.now(UTC)
    people = [e for e in employees_seen_by(session, actor) if e.id != actor.employee_id]
    today = local_now(session, actor.institution_id, now).date()
    months = months_of(session, RulesInForce(session, [actor.institution_id]), people,
                       today.year, today.month, now=now)
    names = {e.id: e.name for e in people}
    today_stamps = _today_stamps(session, list(names), today)
    colleagues = []
    for employee in people:
        month = months[employee.id]
        stamps = today_stamps.get(employee.id, [])
        last = stamps[-1] if stamps else None
        colleagues.append(Colleague(employee, last is not None and last[1] == "in",
                                    last[0] if last else None, list(month.result.flags)))
    waiting = [(row, names.get(row.employee_id) or _name(session, row.employee_id))
               for row in approval_queue(session, actor)]
    return UnitToday(colleagues, waiting)


def office_month(session: Session, actor: User, now: datetime | None = None) -> OfficeMonth:
    """The month the office is working on: the open anomalies (this month's, and last
    month's while it is not closed), the requests pending, the closes under way."""
    now = now or datetime.now(UTC)
    institution = actor.institution_id
    local = local_now(session, institution, now)
    today = local.date()
    anomalies, unavailable = _institution_anomalies(session, institution, today, now)
    pending = session.scalar(select(func.count()).select_from(RequestRow).where(
        RequestRow.institution_id == institution, RequestRow.state == "pending")) or 0
    closing = list(session.scalars(select(MonthClose).where(
        MonthClose.institution_id == institution, MonthClose.state == "closing")
        .order_by(MonthClose.year, MonthClose.month)))
    return OfficeMonth(today.year, today.month, anomalies, pending, closing,
                       local.replace(tzinfo=None), unavailable)


def near_deadlines(session: Session, institution_id: str, now: datetime,
                   within: timedelta) -> list[NearDeadline]:
    """The anomalies whose fix-by falls between now and `within` from now."""
    local = local_now(session, institution_id, now)
    horizon = local + within
    anomalies, _ = _institution_anomalies(session, institution_id, local.date(), now)
    return [NearDeadline(a.employee_id, a.day, a.code, a.fix_by) for a in anomalies
            if a.fix_by is not None and
            local.replace(tzinfo=None) <= a.fix_by.replace(tzinfo=None)
            <= horizon.replace(tzinfo=None)]


def _institution_anomalies(session: Session, institution_id: str, today: date,
                           now: datetime) -> tuple[list[OpenAnomaly], list[str]]:
    """Open anomalies of everyone at work, this month and the last one unless closed."""
    employees = [e for e in institution_employees(session, institution_id) if e.active]
    rules = RulesInForce(session, [institution_id])
    first = today.replace(day=1)
    before = first - timedelta(days=1)
    closed = session.scalar(select(MonthClose.state).where(
        MonthClose.institution_id == institution_id, MonthClose.year == before.year,
        MonthClose.month == before.month)) in ("closing", "closed")
    found: list[OpenAnomaly] = []
    unavailable: list[str] = []
    for year, month in ([] if closed else [(before.year, before.month)]) + \
            [(today.year, today.month)]:
        try:
            months = months_of(session, rules, employees, year, month, now=now)
        except OfficeError as error:  # no rules in force then: said, not hidden
            unavailable.append(error.italian)
            continue
        found += _open_anomalies(months.values())
    return found, unavailable


def _open_anomalies(months: Iterable[PersonMonth]) -> list[OpenAnomaly]:
    out = []
    for month in months:
        first, _ = month_bounds(month.result.year, month.result.month)
        out += [OpenAnomaly(month.employee.id, month.employee.name, a.day or first, a.code,
                            a.message, a.fix_by) for a in month.result.anomalies]
    return sorted(out, key=lambda a: (a.fix_by or datetime.max, a.name, a.day))


def _today_stamps(session: Session, ids: list[int], today: date
                  ) -> dict[int, list[tuple[int, str | None]]]:
    """Each employee's stamps in force today, (minute, direction) by time: one read."""
    stamps = load_facts(session, ids, today, today).stamps
    return {employee_id: sorted((s.minute, s.direction) for s in rows)
            for (employee_id, _day), rows in stamps.items()}


def _name(session: Session, employee_id: int) -> str:
    employee = session.get(Employee, employee_id)
    return employee.name if employee else str(employee_id)
