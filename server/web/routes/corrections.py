"""Personnel office: a day's stamps with their history, corrections as new records (with
reason and author; the original stays, struck through), stamps added from the emergency
register, and the signature sheets of staff who do not stamp (seed 000).

All the rules are the office service's (`server.office.corrections`); this module turns
forms into calls and shows the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.db.models import Employee, Stamp
from server.errors import OfficeError
from server.office import corrections
from server.office.corrections import SheetLine, StampView
from server.office.people import employees_seen_by
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import EMPLOYEE, MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user, form_id, parse_clock, parse_day
from server.web.routing import together
from server.web.scope import in_institution, known_id, visible_employee

OFFICE_ONLY = allow(OFFICE)


@dataclass
class CorrectionForm:
    time: str = ""
    direction: str = ""
    code: str = ""
    reason: str = ""


@dataclass
class AddForm:
    employee_id: str = ""
    day: str = ""
    time: str = ""
    direction: str = ""
    code: str = ""
    reason: str = ""


@dataclass
class SheetForm:
    employee_id: str = ""
    sheet: str = ""  # the sheet's reference: "novembre 2026, portineria"
    lines: str = ""  # one per line: "02/11/2026 07:30 14:42"


def _employees(db: Session, user: CurrentUser) -> list[Employee]:
    return employees_seen_by(db, acting_user(db, user))


def _day_page(db: Session, user: CurrentUser, employee_id: int | None, day: date,
              error: OfficeError | None = None, status_code: int = 200) -> Template:
    views: list[StampView] = []
    employee = None
    if employee_id is not None:
        employee = visible_employee(db, user, employee_id)
        views = corrections.day_stamps(db, acting_user(db, user), employee.id, day)
    return Template("office_stamps.html", status_code=status_code, context={
        "employees": _employees(db, user), "employee": employee, "day": day.isoformat(),
        "stamps": views, "error": error})


def _back(employee_id: int, day: date) -> Redirect:
    query = urlencode({"employee_id": employee_id, "day": day.isoformat()})
    return Redirect(f"/office/stamps?{query}", status_code=303)


def _direction(text: str) -> str | None:
    return text if text in ("in", "out") else None


@get("/office/stamps", opt=OFFICE_ONLY, sync_to_thread=True)
def day_page(db: DbSession, user: AuthUser, employee_id: FromQuery[int | None] = None,
             day: FromQuery[str | None] = None) -> Template:
    """Timbrature del giorno: every stamp, corrected ones included, with who and why."""
    try:
        chosen = parse_day(day) if day else date.today()
    except OfficeError as error:
        return _day_page(db, user, None, date.today(), error, 400)
    return _day_page(db, user, employee_id, chosen)


def _correct(db: Session, user: CurrentUser, original: Stamp, form: CorrectionForm) -> None:
    actor = acting_user(db, user)
    if form.direction == "void":
        corrections.void_stamp(db, actor, original.id, form.reason)
        return
    minute = parse_clock(form.time, "Ora", "Time", "minute")
    corrections.correct_stamp(
        db, actor, original.id, minute=original.local_minute if minute is None else minute,
        direction=_direction(form.direction), code=form.code.strip() or None,
        reason=form.reason)


@post("/office/stamps/{stamp_id:int}/correct", opt=OFFICE_ONLY, sync_to_thread=True)
def correct(db: DbSession, user: AuthUser, stamp_id: FromPath[int],
            data: Annotated[CorrectionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
            ) -> Template | Redirect:
    """Replace a stamp (new time, direction or code) or, with `direction=void`, remove it."""
    original = in_institution(db.get(Stamp, known_id(stamp_id)), user)
    try:
        with db.begin_nested():
            _correct(db, user, original, data)
    except OfficeError as error:
        return _day_page(db, user, original.employee_id, original.local_date, error,
                         status_of(error))
    return _back(original.employee_id, original.local_date)


@post("/office/stamps/add", opt=OFFICE_ONLY, sync_to_thread=True)
def add(db: DbSession, user: AuthUser,
        data: Annotated[AddForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        ) -> Template | Redirect:
    """A stamp from the emergency register or a terminal that was down."""
    employee = visible_employee(db, user, form_id(data.employee_id))
    try:
        with db.begin_nested():
            day = parse_day(data.day)
            minute = parse_clock(data.time, "Ora", "Time", "minute")
            if minute is None:
                raise OfficeError("Indica l'ora", "Give the time", field="minute")
            corrections.add_stamp(db, acting_user(db, user), employee.id, day, minute,
                                  _direction(data.direction), reason=data.reason,
                                  code=data.code.strip() or None)
    except OfficeError as error:
        return _day_page(db, user, employee.id, date.today(), error, status_of(error))
    return _back(employee.id, day)


def _sheet_lines(text: str) -> list[SheetLine]:
    """The form's text, one line per day: "02/11/2026 07:30 14:42"."""
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        words = raw.replace(",", " ").replace(";", " ").split()
        if not words:
            continue
        if len(words) != 3:
            raise OfficeError(f"Riga {number}: scrivi giorno, entrata e uscita",
                              f"Line {number}: write day, entry and exit", field="lines")
        rows.append((number, words[0], words[1], words[2]))
    return _sheet(rows)


def _sheet(rows: list[tuple[int, str, str, str]]) -> list[SheetLine]:
    """(line number, day, entry, exit) as typed → the service's lines; none is a refusal."""
    lines = []
    for number, day, entry_text, exit_text in rows:
        entry = parse_clock(entry_text, f"Riga {number}", f"Line {number}", "lines")
        leave = parse_clock(exit_text, f"Riga {number}", f"Line {number}", "lines")
        if entry is None or leave is None:
            raise OfficeError(f"Riga {number}: scrivi giorno, entrata e uscita",
                              f"Line {number}: write day, entry and exit", field="lines")
        lines.append(SheetLine(parse_day(day, "lines"), entry, leave))
    if not lines:
        raise OfficeError("Nessuna riga da trascrivere", "No lines to transcribe",
                          field="lines")
    return lines


def _sheet_page(db: Session, user: CurrentUser, form: SheetForm | None = None,
                error: OfficeError | None = None, done: int | None = None,
                status_code: int = 200) -> Template:
    return Template("office_sheets.html", status_code=status_code, context={
        "employees": _employees(db, user), "form": form or SheetForm(), "error": error,
        "done": done})


@get("/office/sheets", opt=OFFICE_ONLY, sync_to_thread=True)
def sheets_page(db: DbSession, user: AuthUser, done: FromQuery[int | None] = None) -> Template:
    """Fogli firma: transcribe the signed entry and exit times of staff who do not stamp."""
    return _sheet_page(db, user, done=done)


@post("/office/sheets", opt=OFFICE_ONLY, sync_to_thread=True)
def enter_sheet(db: DbSession, user: AuthUser,
                data: Annotated[SheetForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                ) -> Template | Redirect:
    """All the sheet's lines or, on any problem, none (the service's promise)."""
    try:
        with db.begin_nested():
            employee = visible_employee(db, user, form_id(data.employee_id))
            rows = corrections.enter_signature_sheet(db, acting_user(db, user), employee.id,
                                                     _sheet_lines(data.lines), sheet=data.sheet)
    except OfficeError as error:
        return _sheet_page(db, user, data, error, status_code=status_of(error))
    return Redirect(f"/office/sheets?done={len(rows) // 2}", status_code=303)


@get("/api/v1/stamps/{employee_id:int}", opt=allow(EMPLOYEE, MANAGER, OFFICE),
     sync_to_thread=True)
def day_stamps_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                   day: FromQuery[str | None] = None) -> list[StampView]:
    """A day's stamps (`day=YYYY-MM-DD`, default today), corrected and voided ones
    included: `in_force`, `replaces_id`, `replaced_by`, `author`, `reason`."""
    visible_employee(db, user, known_id(employee_id))
    chosen = parse_day(day) if day else date.today()
    return corrections.day_stamps(db, acting_user(db, user), employee_id, chosen)


@dataclass
class CorrectionIn:
    reason: str
    time: str | None = None  # HH:MM; default the original's
    direction: str | None = None  # in, out, or "void" to remove the stamp
    code: str | None = None


@post("/api/v1/stamps/{stamp_id:int}/correction", opt=OFFICE_ONLY, sync_to_thread=True)
def correction_api(db: DbSession, user: AuthUser, stamp_id: FromPath[int],
                   data: JSONBody[CorrectionIn]) -> list[StampView]:
    """Correct or void a stamp; returns the day's stamps, original and correction both."""
    original = in_institution(db.get(Stamp, known_id(stamp_id)), user)
    form = CorrectionForm(data.time or "", data.direction or "", data.code or "", data.reason)
    _correct(db, user, original, form)
    return corrections.day_stamps(db, acting_user(db, user), original.employee_id,
                                  original.local_date)


@dataclass
class SheetLineIn:
    day: str  # YYYY-MM-DD
    entry: str  # HH:MM
    exit: str


@dataclass
class SheetIn:
    employee_id: int
    lines: list[SheetLineIn]
    sheet: str = ""


@post("/api/v1/sheets", opt=OFFICE_ONLY, sync_to_thread=True)
def enter_sheet_api(db: DbSession, user: AuthUser, data: JSONBody[SheetIn]) -> list[StampView]:
    """Transcribe a signature sheet: all lines or none; returns the stamps made."""
    employee = visible_employee(db, user, known_id(data.employee_id))
    lines = _sheet([(number, line.day, line.entry, line.exit)
                    for number, line in enumerate(data.lines, start=1)])
    rows = corrections.enter_signature_sheet(db, acting_user(db, user), employee.id,
                                             lines, sheet=data.sheet)
    actor = acting_user(db, user)
    made = {row.id for row in rows}
    days = sorted({row.local_date for row in rows})
    return [view for day in days for view in corrections.day_stamps(db, actor, employee.id, day)
            if view.id in made]


ROUTES = together(day_page, correct, add, sheets_page, enter_sheet, day_stamps_api, correction_api,
                  enter_sheet_api, tag="Office: stamps and sheets")
