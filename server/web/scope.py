"""Whose data a user may see, inside their own institution.

employee: only themselves; manager: their unit (and themselves); office: the whole
institution; admin: runs the installation, and sees nobody's timecard. Another
institution's data does not exist for anyone: asking for it is a 404, like asking for an
id that was never issued, so ids cannot be probed.
"""

from __future__ import annotations

from typing import TypeVar

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import Session

from server.db.models import Employee
from server.web.guards import EMPLOYEE, MANAGER, OFFICE
from server.web.identity import CurrentUser

NOT_FOUND = "Not found / Non trovato"
T = TypeVar("T")


def employee_filter(user: CurrentUser) -> ColumnElement[bool]:
    """A WHERE clause on `Employee` selecting exactly the employees `user` may see."""
    same_institution = Employee.institution_id == user.institution_id
    mine = Employee.id == user.employee_id if user.employee_id is not None else false()
    if user.role == OFFICE:
        return same_institution & true()
    if user.role == MANAGER:
        unit = Employee.unit == user.unit if user.unit else false()
        return same_institution & or_(unit, mine)
    if user.role == EMPLOYEE:
        return same_institution & mine
    return false()


def visible_employee(session: Session, user: CurrentUser, employee_id: int) -> Employee:
    """The employee, if `user` may see them; otherwise NotFoundException (404)."""
    employee = session.get(Employee, employee_id)
    if employee is None or employee.institution_id != user.institution_id:
        raise NotFoundException(NOT_FOUND)
    allowed = (user.role == OFFICE
               or employee.id == user.employee_id
               or (user.role == MANAGER and user.unit is not None and employee.unit == user.unit))
    if not allowed:
        raise NotFoundException(NOT_FOUND)
    return employee


def in_institution(row: T | None, user: CurrentUser) -> T:
    """Any row with an `institution_id`, if it is the user's institution's; else 404."""
    if row is None or getattr(row, "institution_id", None) != user.institution_id:
        raise NotFoundException(NOT_FOUND)
    return row
