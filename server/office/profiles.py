"""An employee's profile and part-time percentage changed by the personnel office: a change
of contract from the effective date (`server.office.contracts.change_contract`), so the
days before it keep the contract they had.

The day results already stored from the change on are also recomputed at once, in the
caller's transaction, as corrections and decisions do (`refresh.refresh_days`): from the
effective date, or, without one, from the first day of the current month (or the start of
a contract begun since). Days of a month that is closed or being closed
(`month_lock.LOCKED_STATES`) are never touched; a month that is closed later is computed
again by its close anyway. A change dated ahead is a contract change of its own
(`server.office.contracts`), not this form's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.employment import contracts_of
from server.days.month_lock import is_locked
from server.days.results import refresh_days
from server.days.rules_in_force import policy_on
from server.db.models import DayResultRow, Employee, User
from server.errors import OfficeError
from server.office.audit import record, utcnow
from server.office.contracts import change_contract
from server.office.people import employee_in_reach, require_office


@dataclass(frozen=True)
class ProfileChange:
    employee: Employee
    start: date  # the first day whose stored result was brought up to date
    refreshed: int  # day results recomputed
    closed_months: list[str] = field(default_factory=list)  # "YYYY-MM" left untouched


def change_profile(session: Session, actor: User, employee_id: int, *,
                   profile: str | None = None, part_time_percent: int | None = None,
                   effective: date | None = None, now: datetime | None = None,
                   ) -> ProfileChange:
    """Set the profile and/or part-time percentage, then recompute the stored day results
    from `effective` (default: the first of the current month) in months not closed."""
    require_office(actor, "cambiare il profilo dei dipendenti", "change employees' profiles")
    now = now or utcnow()
    today = now.date()
    employee = employee_in_reach(session, actor, employee_id)
    if profile is None and part_time_percent is None:
        raise OfficeError("Indica il nuovo profilo o la nuova percentuale",
                          "Give the new profile or the new percentage", field="profile")
    if effective is not None and effective > today:
        raise OfficeError("La decorrenza non può essere nel futuro: il profilo non ha storico",
                          "The effective date cannot be in the future: profiles keep no "
                          "history", field="effective")
    start = effective or today.replace(day=1)
    if profile is not None:
        for day in sorted({start, today}):
            try:
                profiles = policy_on(session, employee.institution_id,
                                     day).version_on(day).profiles
            except LookupError:  # before the first rules of the institution
                raise OfficeError(f"Nessuna regola in vigore il {day:%d/%m/%Y}",
                                  f"No rules in force on {day}", field="effective") from None
            if profile not in profiles:
                raise OfficeError(
                    f"Profilo '{profile}' assente dalle regole in vigore il {day:%d/%m/%Y}",
                    f"Profile '{profile}' is not in the rules in force on {day}",
                    field="profile")
    if part_time_percent is not None and not 1 <= part_time_percent <= 100:
        raise OfficeError("Percentuale non valida (1-100)", "Invalid percentage (1-100)",
                          field="part_time_percent")
    before = {"profile": employee.profile, "part_time_percent": employee.part_time_percent}
    if effective is None:  # the month's first day, or the start of a contract begun since
        start = next((c.start for c in contracts_of(session, [employee])[employee.id]
                      if start < c.start <= today and c.covers(today)), start)
    change_contract(session, actor, employee.id, effective=start, profile=profile,
                    part_time_percent=part_time_percent, now=now)
    stored = session.scalars(select(DayResultRow.day).where(
        DayResultRow.employee_id == employee.id, DayResultRow.day >= start))
    locked: dict[tuple[int, int], bool] = {}
    days = []
    for day in stored:
        month = (day.year, day.month)
        if month not in locked:
            locked[month] = is_locked(session, employee.institution_id, day)
        if not locked[month]:
            days.append((employee.institution_id, employee.id, day))
    refreshed = refresh_days(session, days, now)
    closed = [f"{y:04d}-{m:02d}" for (y, m), shut in sorted(locked.items()) if shut]
    record(session, actor, "employee_profile_changed", f"employee:{employee.id}",
           {"before": before, "after": {"profile": employee.profile,
                                        "part_time_percent": employee.part_time_percent},
            "effective": effective.isoformat() if effective else None,
            "from": start.isoformat(), "refreshed": refreshed, "closed_months": closed},
           now=now)
    return ProfileChange(employee, start, refreshed, closed)
