"""An employee's schedule periods, set by the personnel office.

A period gives the profile (and the weekdays the employee chooses, where the profile lets
them) from a date, to a date or open-ended; a day no period covers follows the employee's
base profile (`Employee.profile`, `server.office.profiles`). A new period takes its days
from whatever it overlaps: an earlier period ends the day before, a later one starts the
day after, one that holds it on both sides is split in two, one it covers whole is
removed. A one-week change of schedule (seed 002: "rimodulando l'orario sui restanti
giorni della settimana") is a period with both dates: the schedule before resumes after.
Every change is audited with the periods before and after; the stored day results whose
schedule changed are marked dirty (`server.days.dirty`) for the recompute worker.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.days import spans
from server.days.dirty import mark_stored_dirty
from server.days.month_lock import ensure_open_between
from server.days.rules_in_force import RulesInForce
from server.days.schedules import changed_days, load_schedules
from server.db.models import DayResultRow, Employee, User
from server.db.schedule_tables import SchedulePeriod, weekdays_text
from server.errors import OfficeError
from server.office.audit import record, utcnow
from server.office.bounds import bounded_text, within_reach
from server.office.people import employee_in_reach, employee_visible, require_office

ONE_DAY = timedelta(days=1)
WEEKDAYS = range(1, 8)


@dataclass(frozen=True)
class PeriodChange:
    period: SchedulePeriod
    trimmed: list[dict[str, Any]] = field(default_factory=list)  # the periods before
    marked: int = 0  # stored day results marked for recompute


def periods_of(session: Session, actor: User, employee_id: int) -> list[SchedulePeriod]:
    """The employee's periods, earliest first: the office, their manager, themselves."""
    employee = employee_visible(session, actor, employee_id)
    return list(session.scalars(select(SchedulePeriod).where(
        SchedulePeriod.employee_id == employee.id).order_by(SchedulePeriod.starts)))


def set_period(session: Session, actor: User, employee_id: int, starts: date,
               ends: date | None, profile: str, chosen: Collection[int] = (), *,
               reason: str = "", now: datetime | None = None) -> PeriodChange:
    """Give the employee `profile` (and `chosen` weekdays) from `starts` to `ends`."""
    require_office(actor, "cambiare l'orario dei dipendenti", "change employees' schedules")
    now = now or utcnow()
    employee = employee_in_reach(session, actor, employee_id)
    reason = bounded_text(reason.strip(), "reason", 500)
    within_reach(starts, now.date(), "starts")
    if ends is not None:
        within_reach(ends, now.date(), "ends")
        if ends < starts:
            raise OfficeError("La fine precede l'inizio", "The end is before the start",
                              field="ends")
    days = frozenset(chosen)
    _check_terms(session, employee, starts, ends, profile, days)
    ensure_open_between(session, employee.institution_id, starts, ends)
    last = ends or _last_stored(session, employee.id, starts)
    before = load_schedules(session, [employee], starts, last)
    trimmed = _make_room(session, actor, employee, starts, ends, now)
    period = SchedulePeriod(institution_id=employee.institution_id, employee_id=employee.id,
                            starts=starts, ends=ends, profile=profile,
                            chosen=weekdays_text(days), reason=reason, set_by=actor.id,
                            set_at=now)
    session.add(period)
    session.flush()
    after = load_schedules(session, [employee], starts, last)
    marked = mark_stored_dirty(session, employee.institution_id, changed_days(
        before, after, {employee.id: employee.profile}, starts, last), now)
    record(session, actor, "schedule_period_set", f"employee:{employee.id}",
           {"period": describe(period), "before": trimmed, "marked": marked}, now=now)
    return PeriodChange(period, trimmed, marked)


def describe(period: SchedulePeriod) -> dict[str, Any]:
    return {"id": period.id, "starts": period.starts.isoformat(),
            "ends": period.ends.isoformat() if period.ends else None,
            "profile": period.profile, "chosen": sorted(period.chosen_days),
            "reason": period.reason}


def _check_terms(session: Session, employee: Employee, starts: date, ends: date | None,
                 profile: str, chosen: frozenset[int]) -> None:
    """The profile and the chosen days as the rules in force on the first and last day
    allow them."""
    if not set(chosen) <= set(WEEKDAYS):
        raise OfficeError("Giorni scelti non validi (1 = lunedì … 7 = domenica)",
                          "Invalid chosen days (1 = Monday … 7 = Sunday)", field="chosen")
    rules = RulesInForce(session, [employee.institution_id])
    for day in sorted({starts, ends or starts}):
        policy = rules.on(employee.institution_id, day)
        if policy is None:
            raise OfficeError(f"Nessuna regola in vigore il {day:%d/%m/%Y}",
                              f"No rules in force on {day}", field="starts")
        terms = spans.schedule_terms(policy, day, profile)
        if terms is None:
            raise OfficeError(
                f"Profilo '{profile}' assente dalle regole in vigore il {day:%d/%m/%Y}",
                f"Profile '{profile}' is not in the rules in force on {day}", field="profile")
        if terms.count is not None and len(chosen) != terms.count:
            raise OfficeError(
                f"Il profilo '{profile}' chiede {terms.count} giorni scelti ({len(chosen)} dati)",
                f"Profile '{profile}' needs {terms.count} chosen days ({len(chosen)} given)",
                field="chosen")
        if not chosen <= terms.choosable:
            wrong = ", ".join(str(d) for d in sorted(chosen - terms.choosable))
            raise OfficeError(
                f"Il profilo '{profile}' non consente di scegliere i giorni {wrong}",
                f"Profile '{profile}' does not let the employee choose days {wrong}",
                field="chosen")


def _last_stored(session: Session, employee_id: int, starts: date) -> date:
    """How far an open-ended period can change stored results: their last day."""
    last = session.scalar(select(func.max(DayResultRow.day)).where(
        DayResultRow.employee_id == employee_id))
    return max(last or starts, starts)


def _make_room(session: Session, actor: User, employee: Employee, starts: date,
               ends: date | None, now: datetime) -> list[dict[str, Any]]:
    """Trim, split or remove the periods the new one overlaps; what they were, for the
    audit."""
    overlapping = list(session.scalars(select(SchedulePeriod).where(
        SchedulePeriod.employee_id == employee.id,
        or_(SchedulePeriod.ends.is_(None), SchedulePeriod.ends >= starts),
        *([SchedulePeriod.starts <= ends] if ends is not None else []))))
    before = [describe(p) for p in overlapping]
    for period in overlapping:
        outlasts = ends is not None and (period.ends is None or period.ends > ends)
        if outlasts and period.starts < starts:
            assert ends is not None
            session.add(SchedulePeriod(
                institution_id=period.institution_id, employee_id=period.employee_id,
                starts=ends + ONE_DAY, ends=period.ends, profile=period.profile,
                chosen=period.chosen, reason=period.reason, set_by=actor.id, set_at=now))
        if period.starts < starts:
            period.ends = starts - ONE_DAY
        elif outlasts:
            assert ends is not None
            period.starts = ends + ONE_DAY
        else:
            session.delete(period)
    session.flush()
    return before
