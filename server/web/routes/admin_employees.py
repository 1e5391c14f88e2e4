"""The institution's employees: the list, imported from a CSV file (every line checked
first, each problem shown with its line number, then all written or none:
`server.office.employees_import`); the office's upload of opening balances on the same
page is `openings.py`. One employee's page, where the profile is changed and
someone who left is deactivated, is `employee_changes.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.i18n.current import either, gettext
from server.office.csv_files import ImportRefused, LineError
from server.office.employees_import import import_employees
from server.office.people import institution_employees
from server.web.dependencies import AuthUser, DbSession
from server.web.employee_views import EmployeeRow, employee_row, profiles_in_force
from server.web.guards import ADMIN, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user
from server.web.routing import UPLOAD, together

MAX_CSV_BYTES = 2 * 1024 * 1024  # some thousands of people; more is not a staff list
EXAMPLE = ("matricola;nome;profilo;unità;part-time;badge\n"
           "M100;Anna Verdi;{profile};Ufficio demo;;UNI2001\n"
           "M101;Luca Neri;{profile};Ufficio demo;50%;UNI2002")


def example(profiles: dict[str, str]) -> str:
    """The import's example with a profile the rules in force define (the file names a
    profile by its internal name, listed beside the form with its label)."""
    return EXAMPLE.format(profile=next(iter(profiles), "full_time"))


@dataclass(frozen=True)
class ImportLineError:
    line: int
    italian: str
    english: str


def import_refused(errors: list[ImportLineError]) -> ValidationException:
    """An import's refusal to an API client (400): every line in the detail, in the
    reader's language only, and in `extra` in both."""
    return ValidationException(
        gettext("Import refused, nothing was written: %(lines)s", lines="; ".join(
            gettext("line %(line)s: %(problem)s", line=e.line,
                    problem=either(e.italian, e.english)) for e in errors)),
        extra=[{"line": e.line, "italian": e.italian, "english": e.english} for e in errors])


@dataclass(frozen=True)
class ImportOutcome:
    imported: int
    numbers: list[str]
    errors: list[ImportLineError]  # empty when imported; otherwise nothing was written


@dataclass
class ImportForm:
    file: UploadFile | None = None


@dataclass
class ImportRequest:
    csv: str


def employees(db: Session, institution_id: str) -> list[EmployeeRow]:
    return [employee_row(e) for e in institution_employees(db, institution_id)]


def run_import(db: Session, user: AuthUser, data: bytes) -> ImportOutcome:
    """Import or refuse; on refusal what the import flushed is undone, nothing is left."""
    if len(data) > MAX_CSV_BYTES:
        return ImportOutcome(0, [], [ImportLineError(
            1, "file troppo grande (massimo 2 MB)", "file too large (at most 2 MB)")])
    try:
        with db.begin_nested():
            result = import_employees(db, acting_user(db, user), data)
    except ImportRefused as exc:
        return ImportOutcome(0, [], [_line(e) for e in exc.errors])
    return ImportOutcome(len(result.created), [e.number for e in result.created], [])


def _line(error: LineError) -> ImportLineError:
    return ImportLineError(error.line, error.italian, error.english)


def employees_page_with(db: Session, user: CurrentUser, outcome: ImportOutcome | None = None,
                        imported: int | None = None, status: int = 200, *,
                        openings: int | None = None, openings_outcome: object = None,
                        ) -> Template:
    """The list and its imports: employees, and (the office's) opening balances
    (`openings.py`), each with the outcome of an upload refused."""
    profiles = profiles_in_force(db, user.institution_id)
    return Template("admin_employees.html", status_code=status, context={
        "employees": employees(db, user.institution_id), "outcome": outcome,
        "profiles": profiles, "imported": imported, "example": example(profiles),
        "may_import_openings": user.role == OFFICE,
        "openings": openings, "openings_outcome": openings_outcome})


@get("/admin/employees", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def employees_page(db: DbSession, user: AuthUser, imported: FromQuery[int | None] = None,
                   openings: FromQuery[int | None] = None) -> Template:
    """The institution's employees and the CSV import forms."""
    return employees_page_with(db, user, imported=imported, openings=openings)


@post("/admin/employees/import", opt=allow(ADMIN, OFFICE), sync_to_thread=True,
      status_code=303)
def import_page(db: DbSession, user: AuthUser,
                data: Annotated[ImportForm, UPLOAD]) -> Template | Redirect:
    raw = data.file.file.read(MAX_CSV_BYTES + 1) if data.file is not None else b""
    outcome = run_import(db, user, raw)
    if outcome.errors:
        return employees_page_with(db, user, outcome=outcome, status=400)
    return Redirect(f"/admin/employees?imported={outcome.imported}", status_code=303)


@get("/api/v1/admin/employees", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def employees_api(db: DbSession, user: AuthUser) -> list[EmployeeRow]:
    """The institution's employees."""
    return employees(db, user.institution_id)


@post("/api/v1/admin/employees/import", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def import_api(db: DbSession, user: AuthUser, data: JSONBody[ImportRequest]) -> ImportOutcome:
    """Import employees from CSV text (`;` or `,` between fields; header
    `matricola;nome;profilo[;unità;categoria;part-time;badge;inizio]` or
    `number,name,profile[,unit,category,part_time_percent,badge,start]`). With any error nothing
    is written and the answer is 400 with the errors per line."""
    outcome = run_import(db, user, data.csv.encode())
    if outcome.errors:
        raise import_refused(outcome.errors)
    return outcome


ROUTES = together(employees_page, import_page, employees_api, import_api, tag="Admin: employees")
