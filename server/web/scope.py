"""Whose data a user may see, inside their own institution.

employee: only themselves; manager: their unit (and themselves); office: the whole
institution; admin: runs the installation, and sees nobody's timecard. Another
institution's data does not exist for anyone: asking for it is a 404, like asking for an
id that was never issued, so ids cannot be probed.
"""

from __future__ import annotations

from typing import TypeVar

from litestar.exceptions import NotFoundException
from sqlalchemy.orm import Session

from server.db.models import Employee
from server.db.models import Request as RequestRow
from server.i18n.current import N_, gettext
from server.web.guards import MANAGER, OFFICE
from server.web.identity import CurrentUser

# Message ids: raised as `gettext(NOT_FOUND)`, in the reader's language.
NOT_FOUND = N_("Not found")
NO_TIMECARD = N_("No employee is linked to this account: say whom the request is for.")
T = TypeVar("T")
# Ids are 64-bit in every database timbra runs on; a larger one in a URL is no row, and
# SQLite (OverflowError) or PostgreSQL (DataError) would otherwise answer it with a 500.
MAX_ID = 2**63 - 1


def known_id(row_id: int) -> int:
    """A path id that could name a row, else 404 at once, like any id that names none."""
    if not 0 < row_id <= MAX_ID:
        raise NotFoundException(gettext(NOT_FOUND))
    return row_id


def visible_employee(session: Session, user: CurrentUser, employee_id: int) -> Employee:
    """The employee, if `user` may see them; otherwise NotFoundException (404)."""
    employee = session.get(Employee, employee_id)
    if employee is None or employee.institution_id != user.institution_id:
        raise NotFoundException(gettext(NOT_FOUND))
    allowed = (user.role == OFFICE
               or employee.id == user.employee_id
               or (user.role == MANAGER and user.unit is not None and employee.unit == user.unit))
    if not allowed:
        raise NotFoundException(gettext(NOT_FOUND))
    return employee


def in_institution(row: T | None, user: CurrentUser) -> T:
    """Any row with an `institution_id`, if it is the user's institution's; else 404."""
    if row is None or getattr(row, "institution_id", None) != user.institution_id:
        raise NotFoundException(gettext(NOT_FOUND))
    return row


def mine(session: Session, model: type[T], row_id: int, user: CurrentUser) -> T:
    """The row of `model` with this id if it is the user's institution's; otherwise 404."""
    return in_institution(session.get(model, known_id(row_id)), user)


def visible_request(session: Session, user: CurrentUser, request_id: int) -> RequestRow:
    """A request of the user's institution whose employee the user may see; else 404."""
    row = mine(session, RequestRow, request_id, user)
    visible_employee(session, user, row.employee_id)
    return row


def target_employee(session: Session, user: CurrentUser, employee_id: str | int | None) -> int:
    """Whom a filing is for: oneself unless an id is given (then it must be visible)."""
    if employee_id not in (None, ""):
        try:
            wanted = known_id(int(employee_id))
        except ValueError:
            raise NotFoundException(gettext(NOT_FOUND)) from None
        return visible_employee(session, user, wanted).id
    if user.employee_id is None:
        raise NotFoundException(gettext(NO_TIMECARD))
    return user.employee_id
