"""One employee's page (reached from the list at /admin/employees) and its API: the
personnel office changes the profile or the part-time percentage through the API, and the
stored day results of the open months follow (`server.office.profiles.change_profile`); the
page changes them with the contracts' form (web/routes/contracts.py); the office or
the administrator deactivates someone who left, or reactivates someone deactivated by
mistake (`server.office.activation`).

Profile changes are the office's alone, as the service says; deactivation is also the
administrator's, who may import employees too. Another institution's employee is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.db.contract_tables import NO_START
from server.db.models import Employee
from server.errors import OfficeError
from server.i18n.current import N_
from server.office.activation import deactivate_employee, reactivate_employee
from server.office.contracts import contracts_on_record
from server.office.openings import openings_on_record
from server.office.profiles import change_profile
from server.office.schedules import periods_of
from server.web.dependencies import AuthUser, DbSession
from server.web.employee_views import EmployeeRow, employee_row, profiles_in_force
from server.web.errors import status_of
from server.web.guards import ADMIN, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user
from server.web.routing import FORM, together
from server.web.scope import mine
from server.web.wording import WEEKDAYS

OFFICE_ONLY = allow(OFFICE)
ADMIN_OFFICE = allow(ADMIN, OFFICE)
DONE = {
    "deactivated": N_("Employee deactivated: they can no longer log in or stamp."),
    "reactivated": N_("Employee reactivated."),
    "schedule": N_("Schedule updated: the days it affects are being recomputed."),
    "contract": N_("Contract saved: the days it changes are being recomputed."),
    "openings": N_("Opening balances saved."),
}


@dataclass
class ActiveForm:
    reason: str = ""


@dataclass
class ProfileIn:
    """Either or both of `profile` and `part_time_percent`; `effective` defaults to the
    first day of the current month."""

    profile: str | None = None
    part_time_percent: int | None = None
    effective: date | None = None


@dataclass
class ActiveIn:
    reason: str = ""


@dataclass(frozen=True)
class ProfileOutcome:
    employee: EmployeeRow
    start: date  # the first day whose stored result was recomputed
    refreshed: int  # day results recomputed
    closed_months: list[str] = field(default_factory=list)  # "YYYY-MM", left untouched


def employee_page_with(db: Session, user: CurrentUser, employee: Employee, *,
          error: OfficeError | None = None, error_in: str = "",
          typed: dict[str, str] | None = None, status: int = 200, done: str | None = None,
          refreshed: int | None = None) -> Template:
    """The page; after a refusal, `typed` holds the refused form's fields, shown again."""
    return Template("admin_employee.html", status_code=status, context={
        "employee": employee_row(employee), "profiles": profiles_in_force(
            db, user.institution_id), "may_change_profile": user.role == OFFICE,
        "typed": typed or {}, "error": error, "error_in": error_in,
        "done": DONE.get(done or ""), "refreshed": refreshed,
        "periods": periods_of(db, acting_user(db, user), employee.id)
        if user.role == OFFICE else [], "weekdays": WEEKDAYS,
        "contracts": contracts_on_record(db, acting_user(db, user), employee.id)
        if user.role == OFFICE else [], "no_start": NO_START,
        "openings": openings_on_record(db, acting_user(db, user), employee.id, date.today())
        if user.role == OFFICE else None})


def _mine(db: Session, user: CurrentUser, employee_id: int) -> Employee:
    return mine(db, Employee, employee_id, user)


@get("/admin/employees/{employee_id:int}", opt=ADMIN_OFFICE, sync_to_thread=True)
def employee_page(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                  done: FromQuery[str | None] = None,
                  refreshed: FromQuery[int | None] = None) -> Template:
    """One employee: profile and part-time percentage, deactivation or reactivation."""
    return employee_page_with(db, user, _mine(db, user, employee_id), done=done,
                              refreshed=refreshed)


def _activation_form(db: Session, user: CurrentUser, employee_id: int, data: ActiveForm,
                     active: bool) -> Template | Redirect:
    employee = _mine(db, user, employee_id)
    change = reactivate_employee if active else deactivate_employee
    try:
        with db.begin_nested():
            change(db, acting_user(db, user), employee.id, reason=data.reason)
    except OfficeError as error:
        return employee_page_with(db, user, employee, error=error, error_in="active",
                     status=status_of(error))
    done = "reactivated" if active else "deactivated"
    return Redirect(f"/admin/employees/{employee.id}?done={done}", status_code=303)


@post("/admin/employees/{employee_id:int}/deactivate", opt=ADMIN_OFFICE, sync_to_thread=True)
def deactivate_form(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                    data: Annotated[ActiveForm, FORM]) -> Template | Redirect:
    return _activation_form(db, user, employee_id, data, False)


@post("/admin/employees/{employee_id:int}/reactivate", opt=ADMIN_OFFICE, sync_to_thread=True)
def reactivate_form(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                    data: Annotated[ActiveForm, FORM]) -> Template | Redirect:
    return _activation_form(db, user, employee_id, data, True)


@get("/api/v1/admin/employees/{employee_id:int}", opt=ADMIN_OFFICE, sync_to_thread=True)
def employee_api(db: DbSession, user: AuthUser, employee_id: FromPath[int]) -> EmployeeRow:
    """One employee of the institution."""
    return employee_row(_mine(db, user, employee_id))


@post("/api/v1/admin/employees/{employee_id:int}/profile", opt=OFFICE_ONLY,
      sync_to_thread=True, status_code=200)
def profile_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                data: JSONBody[ProfileIn]) -> ProfileOutcome:
    """Change the profile and/or the part-time percentage; the stored day results from
    `effective` (default: the 1st of this month) are recomputed, closed months excepted.
    Refusals are 400 with the form `field` in `extra`."""
    employee = _mine(db, user, employee_id)
    change = change_profile(db, acting_user(db, user), employee.id, profile=data.profile,
                            part_time_percent=data.part_time_percent,
                            effective=data.effective)
    return ProfileOutcome(employee_row(change.employee), change.start, change.refreshed,
                          change.closed_months)


def _activation_api(db: Session, user: CurrentUser, employee_id: int, data: ActiveIn,
                    active: bool) -> EmployeeRow:
    employee = _mine(db, user, employee_id)
    change = reactivate_employee if active else deactivate_employee
    change(db, acting_user(db, user), employee.id, reason=data.reason)
    return employee_row(employee)


@post("/api/v1/admin/employees/{employee_id:int}/deactivate", opt=ADMIN_OFFICE,
      sync_to_thread=True, status_code=200)
def deactivate_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                   data: JSONBody[ActiveIn]) -> EmployeeRow:
    """Deactivate someone who left (body `{}` or `{"reason": "..."}`): they can no longer
    log in and their badges are refused; stamps and results stay. 400 if already
    inactive."""
    return _activation_api(db, user, employee_id, data, False)


@post("/api/v1/admin/employees/{employee_id:int}/reactivate", opt=ADMIN_OFFICE,
      sync_to_thread=True, status_code=200)
def reactivate_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                   data: JSONBody[ActiveIn]) -> EmployeeRow:
    """Undo a deactivation. 400 if the employee is active."""
    return _activation_api(db, user, employee_id, data, True)


ROUTES = together(employee_page, deactivate_form, reactivate_form, employee_api,
                  profile_api, deactivate_api, reactivate_api, tag="Office: employees")
