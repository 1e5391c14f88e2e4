"""Who may act on whose records: institution walls, self-service, units, approvers."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from server.days.employment import employed_from
from server.days.rules_in_force import policy_on
from server.db.models import Employee, User
from server.errors import NotAllowed, NotFound

OFFICE_ROLES = frozenset({"office"})


def institution_employees(session: Session, institution_id: str) -> list[Employee]:
    """Everyone the institution has employed, those who left included, by number."""
    return list(session.scalars(select(Employee).where(
        Employee.institution_id == institution_id).order_by(Employee.number)))


def employees_seen_by(session: Session, actor: User, since: date | None = None
                      ) -> list[Employee]:
    """Whom `actor` may see, at work now, by number: the office everyone of the
    institution, a manager their unit and themselves, an employee themselves. With `since`
    (a month's first day): whoever was employed from that month on, a leaver of a later
    month included."""
    employed = Employee.active.is_(True) if since is None else employed_from(
        since, ZoneInfo(policy_on(session, actor.institution_id, since).timezone))
    return list(session.scalars(select(Employee).where(_seen_by(actor), employed)
                                .order_by(Employee.number)))


def _seen_by(actor: User) -> ColumnElement[bool]:
    same_institution = Employee.institution_id == actor.institution_id
    mine = Employee.id == actor.employee_id if actor.employee_id is not None else false()
    if actor.role == "office":
        return same_institution
    if actor.role == "manager":
        unit = Employee.unit == actor.unit if actor.unit else false()
        return same_institution & or_(unit, mine)
    if actor.role == "employee":
        return same_institution & mine
    return false()


def employee_in_reach(session: Session, actor: User, employee_id: int) -> Employee:
    """The employee, if the actor may see them: nobody sees another institution."""
    employee = session.get(Employee, employee_id)
    if employee is None or employee.institution_id != actor.institution_id:
        raise NotFound(f"Dipendente {employee_id} non trovato",
                       f"Employee {employee_id} not found")
    return employee


def employee_visible(session: Session, actor: User, employee_id: int) -> Employee:
    """The employee, if the actor may read their records: themselves, a manager their
    unit (a manager with no unit heads the institution), the office everyone."""
    employee = employee_in_reach(session, actor, employee_id)
    if actor.employee_id == employee.id or actor.role in OFFICE_ROLES:
        return employee
    if actor.role == "manager" and (actor.unit is None or actor.unit == employee.unit):
        return employee
    raise NotFound(f"Dipendente {employee_id} non trovato", f"Employee {employee_id} not found")


def employee_for_filing(session: Session, actor: User, employee_id: int) -> Employee:
    """One files for oneself; the personnel office may file on anyone's behalf."""
    employee = employee_in_reach(session, actor, employee_id)
    if actor.employee_id != employee.id and actor.role not in OFFICE_ROLES:
        raise NotAllowed("Puoi inserire richieste solo per te stesso",
                         "You can only file requests for yourself")
    return employee


def require_office(actor: User, what_it: str, what_en: str) -> None:
    if actor.role not in OFFICE_ROLES:
        raise NotAllowed(f"Solo l'ufficio del personale può {what_it}",
                         f"Only the personnel office can {what_en}")


def may_decide(actor: User, employee: Employee, approval: str | None) -> bool:
    """Whether `actor` may approve or reject for `employee` under the code's `approval`.

    - manager: a manager of the employee's unit, or the personnel office;
    - director (seed 003 "DS/DSGA", seed 004 "Direttore Amministrativo"): the
      personnel office, or a manager with no unit, i.e. the head of the institution;
    - office: the personnel office only.
    Nobody decides their own request, and admins (technical staff) decide nothing.
    """
    if actor.institution_id != employee.institution_id or not actor.active:
        return False
    if actor.employee_id is not None and actor.employee_id == employee.id:
        return False
    if actor.role in OFFICE_ROLES:
        return True
    if actor.role != "manager":
        return False
    if approval == "office":
        return False
    if approval == "director":
        return actor.unit is None
    return actor.unit is None or (employee.unit is not None and actor.unit == employee.unit)
