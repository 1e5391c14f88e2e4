"""Opening balances at adoption, kept by the personnel office: the import of the office's
CSV file (upload on the employees page, the template to fill in, the API), the "Opening
balances" card of the employee's page (`/admin/employees/{id}`, whose page is
`employee_changes.py`), the same figures read only (`/employees/{id}/openings`, linked from
the Riepiloghi: the employee, their manager, the office), and the API of the yearly
allowances used before timbra. The services are `server.office.openings_import`,
`server.office.openings` and `server.office.allowance_openings`; the hours account's own
API is `account_openings.py`, the leave's `leave.py`. Another institution's employee is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.db.account_tables import AccountOpening
from server.db.allowance_tables import AllowanceOpening
from server.db.leave_tables import LeaveOpening
from server.db.models import Employee
from server.errors import OfficeError
from server.i18n.current import gettext
from server.office.allowance_openings import allowance_openings_of, set_allowance_opening
from server.office.audit import utcnow
from server.office.csv_files import ImportRefused
from server.office.openings import apply_line, keys_on, openings_on_record, read_line
from server.office.openings_import import MAX_CSV_BYTES, import_openings, template_csv
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import EMPLOYEE, MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user
from server.web.routes.admin_employees import (
    ImportLineError,
    employees_page_with,
    import_refused,
)
from server.web.routes.employee_changes import employee_page_with
from server.web.routing import FORM, UPLOAD, together
from server.web.scope import mine

OFFICE_ONLY = allow(OFFICE)
READERS = allow(MANAGER, OFFICE)
PAGE_READERS = allow(EMPLOYEE, MANAGER, OFFICE)
MAX_REASON = 500
MAX_NAME = 60
MAX_FORM_FIELDS = 200  # the card's fields: a few per leave and per yearly limit


@dataclass(frozen=True)
class AllowanceOpeningView:
    name: str  # the rule file's allowance, code with a yearly limit, or `overtime`
    starts: date
    minutes: int  # already used that year when `starts` began
    reason: str
    set_at: datetime


@dataclass
class AllowanceOpeningIn:
    """On `starts` the employee had already used `minutes` of that year's `name`."""

    name: str
    starts: date
    minutes: int
    reason: str = ""


@dataclass(frozen=True)
class AccountOpeningRow:
    starts: date
    balance: int  # minutes; negative: a debt


@dataclass(frozen=True)
class LeaveOpeningRow:
    leave: str
    on: date
    left_days: float
    carried_days: float


@dataclass(frozen=True)
class OpeningsView:
    """Everything recorded for the employee at adoption, each kind earliest first."""

    account: list[AccountOpeningRow]
    leaves: list[LeaveOpeningRow]
    allowances: list[AllowanceOpeningView]


@dataclass(frozen=True)
class OpeningsOutcome:
    imported: int
    numbers: list[str]
    errors: list[ImportLineError]  # empty when imported; otherwise nothing was written


@dataclass
class OpeningsImportIn:
    csv: str


@dataclass
class UploadForm:
    file: UploadFile | None = None


def _allowance(row: AllowanceOpening) -> AllowanceOpeningView:
    return AllowanceOpeningView(row.name, row.starts, row.minutes, row.reason, row.set_at)


def _account(row: AccountOpening) -> AccountOpeningRow:
    return AccountOpeningRow(row.starts, row.balance)


def _leave(row: LeaveOpening) -> LeaveOpeningRow:
    return LeaveOpeningRow(row.leave, row.on, row.left_halves / 2, row.carried_halves / 2)


def run_import(db: Session, user: CurrentUser, data: bytes) -> OpeningsOutcome:
    """Import or refuse; on refusal nothing is left of what the import flushed."""
    try:
        result = import_openings(db, acting_user(db, user), data)
    except ImportRefused as refused:
        return OpeningsOutcome(0, [], [ImportLineError(e.line, e.italian, e.english)
                                       for e in refused.errors])
    return OpeningsOutcome(len(result.numbers), result.numbers, [])


@post("/admin/employees/openings", opt=OFFICE_ONLY, sync_to_thread=True, status_code=303)
def import_page(db: DbSession, user: AuthUser,
                data: Annotated[UploadForm, UPLOAD]) -> Template | Redirect:
    """The employees page's upload of opening balances."""
    raw = data.file.file.read(MAX_CSV_BYTES + 1) if data.file is not None else b""
    outcome = run_import(db, user, raw)
    if outcome.errors:
        return employees_page_with(db, user, openings_outcome=outcome, status=400)
    return Redirect(f"/admin/employees?openings={outcome.imported}", status_code=303)


@get("/admin/employees/openings.csv", opt=OFFICE_ONLY, sync_to_thread=True)
def template_page(db: DbSession, user: AuthUser) -> Response[str]:
    """The file to fill in: the headings the rules in force take, as Italian Excel opens it."""
    return Response(template_csv(db, acting_user(db, user)), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="saldi-iniziali.csv"'})


@post("/api/v1/admin/openings/import", opt=OFFICE_ONLY, sync_to_thread=True)
def import_api(db: DbSession, user: AuthUser,
               data: JSONBody[OpeningsImportIn]) -> OpeningsOutcome:
    """Import opening balances from CSV text (`;` or `,`; headings matricola or badge, data,
    and any of saldo ore, each leave's name and `… anno precedente`, each yearly allowance's
    name, motivo: the page's template has them all). With any error nothing is written and
    the answer is 400: every error in `detail`, and by line in `extra`."""
    outcome = run_import(db, user, data.csv.encode())
    if outcome.errors:
        raise import_refused(outcome.errors)
    return outcome


@post("/admin/employees/{employee_id:int}/openings", opt=OFFICE_ONLY, sync_to_thread=True,
      status_code=303)
def openings_form(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                  data: Annotated[dict[str, str], FORM]) -> Template | Redirect:
    """The card's form: the same figures as one line of the import, from a date."""
    employee = mine(db, Employee, employee_id, user)
    line = {k: str(v) for k, v in data.items() if k != "_csrf_token"}
    try:
        with db.begin_nested():  # one refusal undoes the card's other figures
            _save(db, user, employee, line)
    except OfficeError as error:
        return employee_page_with(db, user, employee, error=error, error_in="openings",
                                  typed=line, status=400)
    return Redirect(f"/admin/employees/{employee.id}?done=openings#openings", status_code=303)


def _save(db: Session, user: CurrentUser, employee: Employee, line: dict[str, str]) -> None:
    if len(line) > MAX_FORM_FIELDS:
        raise OfficeError("Troppi campi", "Too many fields")
    now = utcnow()
    figures = read_line(line, keys_on(db, employee.institution_id, now.date()))
    errors = apply_line(db, acting_user(db, user), employee, figures, now=now)
    if errors:
        raise OfficeError("; ".join(it for it, _ in errors), "; ".join(en for _, en in errors))


@get("/employees/{employee_id:int}/openings", opt=PAGE_READERS, sync_to_thread=True)
def openings_page(db: DbSession, user: AuthUser, employee_id: FromPath[int]) -> Template:
    """The openings, read only: the employee, their manager, the office (who edits them on
    the employee's office page)."""
    employee = mine(db, Employee, employee_id, user)
    record = openings_on_record(db, acting_user(db, user), employee.id,
                                datetime.now(UTC).date())
    return Template("openings.html", context={"employee": employee, "openings": record,
                                               "may_edit": user.role == OFFICE})


@get("/api/v1/admin/employees/{employee_id:int}/openings", opt=READERS, sync_to_thread=True)
def openings_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                 on: FromQuery[date | None] = None) -> OpeningsView:
    """What was recorded at adoption: the hours account, each leave, the yearly allowances
    used; the office, and a manager for their unit (read only)."""
    record = openings_on_record(db, acting_user(db, user), mine(db, Employee, employee_id,
                                                                 user).id,
                                on or datetime.now(UTC).date())
    return OpeningsView([_account(r) for r in record.account],
                        [_leave(r) for r in record.leaves],
                        [_allowance(r) for r in record.allowances])


@get("/api/v1/admin/employees/{employee_id:int}/allowance-openings", opt=READERS,
     sync_to_thread=True)
def allowance_openings_api(db: DbSession, user: AuthUser,
                           employee_id: FromPath[int]) -> list[AllowanceOpeningView]:
    """The yearly allowances the employee had used before timbra, earliest first."""
    return [_allowance(r) for r in allowance_openings_of(
        db, acting_user(db, user), mine(db, Employee, employee_id, user).id)]


@post("/api/v1/admin/employees/{employee_id:int}/allowance-openings", opt=OFFICE_ONLY,
      sync_to_thread=True, status_code=201)
def allowance_opening_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                          data: JSONBody[AllowanceOpeningIn]) -> AllowanceOpeningView:
    """Set the minutes of a yearly allowance (or a code's or overtime's yearly limit) the
    employee had used when `starts` began, replacing one set for that day; audited.
    Refused (400, the field in `extra`): a name the rules in force lack, minutes beyond
    0-9999 hours, a day more than a year ahead, a closed month."""
    if len(data.reason) > MAX_REASON or len(data.name) > MAX_NAME:
        raise ValidationException(gettext("Fields too long"))
    row = set_allowance_opening(db, acting_user(db, user), mine(db, Employee, employee_id,
                                                                 user).id,
                                data.name, data.starts, data.minutes, reason=data.reason)
    return _allowance(row)


ROUTES = together(import_page, template_page, import_api, openings_form, openings_page,
                  openings_api,
                  allowance_openings_api, allowance_opening_api, tag="Opening balances")
