"""An employee who left (deactivated) or came back (reactivated).

Deactivating sets `Employee.active = False` and nothing else: past stamps, day results,
requests and badges stay as facts. From the commit on the ingest refuses the employee's
badges (`server.ingest.lookup` reads active employees only and sees the change through the
directory revision, bumped on the flush), and the users linked to the employee can no
longer log in (`server.web.identity.may_log_in`). Reactivating undoes exactly that, for an
office that picked the wrong row.

The personnel office and the administrator may do both, as both may import employees.
Nobody deactivates the employee they log in as, which would lock them out mid-click.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from server.db.models import Employee, User
from server.office.audit import record
from server.office.errors import NotAllowed, OfficeError
from server.office.people import employee_in_reach

MAY_CHANGE = frozenset({"office", "admin"})
MAX_REASON = 500


def deactivate_employee(session: Session, actor: User, employee_id: int, *,
                        reason: str = "", now: datetime | None = None) -> Employee:
    """Mark the employee as no longer working here; refused if already inactive."""
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
    employee.active = active
    session.flush()  # bumps the directory revision (server.db.revision) in this transaction
    record(session, actor, "employee_reactivated" if active else "employee_deactivated",
           f"employee:{employee.id}",
           {"number": employee.number, "name": employee.name, "reason": reason}, now=now)
    return employee
