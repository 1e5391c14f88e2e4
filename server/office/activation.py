"""An employee who left (deactivated) or came back (reactivated).

Deactivating sets `Employee.active = False` and records when (`deactivated_at`), nothing
else: past stamps, day results, requests and badges stay as facts. The ingest refuses the
employee's stamps taken from that moment on and still accepts those taken before it, like
a revoked badge's (`server.ingest.lookup.Holder.valid_at`): a terminal that was offline on
someone's last day replays that day's stamps later, and they must count. A running ingest
sees the change through the directory revision, bumped on the flush. The users linked to
the employee can no longer log in (`server.web.identity.may_log_in`). Reactivating undoes
exactly that (and clears `deactivated_at`), for an office that picked the wrong row.

The days after the last one employed (`server.days.employment`) are no longer due: the
stored day results from the deactivation date on are recomputed at once, in the caller's
transaction (those after it are removed: no "absent" for someone who left), and a
reactivation computes them back, with the days since that have stamps or approved
requests. Days of a month that is closed or being closed are left as they were closed.

The personnel office and the administrator may do both, as both may import employees.
Nobody deactivates the employee they log in as, which would lock them out mid-click.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from server.days.employment import last_day
from server.days.month_lock import is_locked
from server.days.results import refresh_days
from server.days.rules_in_force import policy_at
from server.db.models import DayResultRow, Employee, Request, Stamp, User
from server.errors import NotAllowed, OfficeError
from server.office.audit import record, utcnow
from server.office.people import employee_in_reach

MAY_CHANGE = frozenset({"office", "admin"})
MAX_REASON = 500


def deactivate_employee(session: Session, actor: User, employee_id: int, *,
                        reason: str = "", now: datetime | None = None) -> Employee:
    """Mark the employee as no longer working here from `now` (default: the clock), which
    the ingest compares with each stamp's terminal time; refused if already inactive."""
    employee = _reachable(session, actor, employee_id)
    if not employee.active:
        raise OfficeError(f"{employee.number} {employee.name} è già disattivato",
                          f"{employee.number} {employee.name} is already inactive")
    if actor.employee_id == employee.id:
        raise OfficeError("Non puoi disattivare te stesso", "You cannot deactivate yourself")
    return _set_active(session, actor, employee, False, reason, now)


def reactivate_employee(session: Session, actor: User, employee_id: int, *,
                        reason: str = "", now: datetime | None = None) -> Employee:
    """Undo a deactivation; refused if the employee is active."""
    employee = _reachable(session, actor, employee_id)
    if employee.active:
        raise OfficeError(f"{employee.number} {employee.name} è già attivo",
                          f"{employee.number} {employee.name} is already active")
    return _set_active(session, actor, employee, True, reason, now)


def _reachable(session: Session, actor: User, employee_id: int) -> Employee:
    if actor.role not in MAY_CHANGE or not actor.active:
        raise NotAllowed("Solo l'ufficio del personale o l'amministratore può disattivare o "
                         "riattivare i dipendenti", "Only the personnel office or the "
                         "administrator can deactivate or reactivate employees")
    return employee_in_reach(session, actor, employee_id)


def _set_active(session: Session, actor: User, employee: Employee, active: bool,
                reason: str, now: datetime | None) -> Employee:
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise OfficeError(f"Motivo troppo lungo (massimo {MAX_REASON} caratteri)",
                          f"Reason too long (at most {MAX_REASON} characters)",
                          field="reason")
    now = now or utcnow()
    try:
        policy, today = policy_at(session, employee.institution_id, now)
    except LookupError:  # no rules at all: no day was ever computed
        last = None
    else:
        # The last day employed: today when deactivating, the one undone when reactivating.
        last = last_day(employee, ZoneInfo(policy.timezone)) if active else today
    employee.active = active
    employee.deactivated_at = None if active else now
    session.flush()  # bumps the directory revision (server.db.revision) in this transaction
    refreshed = _refresh_after(session, employee, last, now) if last is not None else 0
    record(session, actor, "employee_reactivated" if active else "employee_deactivated",
           f"employee:{employee.id}",
           {"number": employee.number, "name": employee.name, "reason": reason,
            "refreshed": refreshed}, now=now)
    return employee


def _refresh_after(session: Session, employee: Employee, last: date, now: datetime) -> int:
    """Recompute the employee's days after `last` that are stored or have facts (stamps,
    approved requests), in open months; returns how many were looked at."""
    days = session.scalars(union(
        select(DayResultRow.day).where(DayResultRow.employee_id == employee.id,
                                       DayResultRow.day > last),
        select(Stamp.local_date).where(Stamp.employee_id == employee.id,
                                       Stamp.local_date > last),
        select(Request.day).where(Request.employee_id == employee.id,
                                  Request.state == "approved", Request.day > last)))
    locked: dict[tuple[int, int], bool] = {}
    wanted = []
    for day in days:
        month = (day.year, day.month)
        if month not in locked:
            locked[month] = is_locked(session, employee.institution_id, day)
        if not locked[month]:
            wanted.append((employee.institution_id, employee.id, day))
    refresh_days(session, wanted, now)
    return len(wanted)
