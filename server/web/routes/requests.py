"""Le mie richieste / My requests: file a justification, a missed stamp or overtime; the
list with each request's state and who decided; withdraw a pending one.

One files for oneself; the personnel office may also file on someone's behalf (a late
missed stamp from the emergency register) by giving `employee_id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.db.models import Employee
from server.db.models import Request as RequestRow
from server.errors import OfficeError
from server.i18n.current import gettext
from server.office import decisions, requests
from server.office.people import employees_seen_by, may_decide
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import OFFICE, PEOPLE
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user, parse_clock, parse_day
from server.web.request_views import (
    overtime_codes,
    overtime_modes,
    request_views,
    rounding_minutes,
    version_today,
    web_codes,
)
from server.web.routing import together
from server.web.scope import (
    target_employee,
    visible_employee,
    visible_request,
)
from server.web.wording import FIX_FORMS


@dataclass
class JustificationForm:
    day: str = ""
    code: str = ""
    start: str = ""
    end: str = ""
    notes: str = ""
    employee_id: str = ""
    attachment: UploadFile | None = None
    override_balance: str = ""  # the office files it beyond the leave balance, knowingly


@dataclass
class MissedStampForm:
    day: str = ""
    time: str = ""
    direction: str = ""
    circumstances: str = ""
    employee_id: str = ""


@dataclass
class OvertimeForm:
    day: str = ""
    mode: str = ""
    code: str = ""
    start: str = ""
    end: str = ""
    notes: str = ""
    employee_id: str = ""


@dataclass
class Failed:
    """A refused form: shown again with its message and the values typed."""

    form: str  # justification, missed_stamp, overtime, withdraw
    error: OfficeError
    values: dict[str, Any] = field(default_factory=dict)


def _page(db: Session, user: CurrentUser, failed: Failed | None = None,
          status_code: int = 200, filed: bool = False, day: date | None = None,
          opened: str | None = None) -> Template:
    """`day` and `opened`: the day the forms start on and the form shown open, as a
    timecard's anomaly links here to fix it."""
    version, today = version_today(db, user.institution_id, datetime.now(UTC))
    rows: list[RequestRow] = []
    if user.employee_id is not None:
        rows = decisions.requests_of(db, acting_user(db, user), user.employee_id)
    people: list[Employee] = []
    if user.role == OFFICE:  # files on someone's behalf: late missed stamps, paper forms
        people = employees_seen_by(db, acting_user(db, user))
    return Template("requests.html", status_code=status_code, context={
        "people": people,
        "requests": request_views(db, rows), "codes": web_codes(version),
        "overtime_modes": overtime_modes(version), "overtime_codes": overtime_codes(version),
        "rounding": rounding_minutes(version),
        "today": (day or today).isoformat(), "failed": failed,
        "own": user.employee_id is not None, "filed": filed,
        "opened": opened if opened in FIX_FORMS.values() else None})


def _refused(db: Session, user: CurrentUser, form: str, error: OfficeError,
             values: dict[str, Any]) -> Template:
    return _page(db, user, Failed(form, error, values), status_of(error))


@get("/requests", opt=PEOPLE, sync_to_thread=True)
def my_requests(db: DbSession, user: AuthUser, filed: FromQuery[int | None] = None,
                day: FromQuery[str | None] = None, form: FromQuery[str | None] = None,
                ) -> Template:
    """Le mie richieste: the forms and the list, newest day first; `day` and `form`
    (justification, missed_stamp) start a form on a day, as a timecard's anomaly asks."""
    try:
        start = date.fromisoformat(day) if day else None
    except ValueError:
        start = None
    return _page(db, user, filed=filed == 1, day=start, opened=form)


def _after_filing(user: CurrentUser, employee_id: int) -> Redirect:
    """Back to the forms. A request filed for someone else is not in the filer's own list:
    the page says where it went, or the office would see no trace of it."""
    if employee_id != user.employee_id:
        return Redirect("/requests?filed=1", status_code=303)
    return Redirect("/requests", status_code=303)


@post("/requests/justification", opt=PEOPLE, sync_to_thread=True)
def file_justification(
        db: DbSession, user: AuthUser,
        data: Annotated[JustificationForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template | Redirect:
    values = {k: v for k, v in vars(data).items() if k != "attachment"}
    try:
        with db.begin_nested():
            employee_id = target_employee(db, user, data.employee_id)
            attachment = None
            upload = data.attachment
            if upload is not None and upload.filename:
                content = upload.file.read(requests.MAX_ATTACHMENT + 1)
                if content:
                    attachment = (upload.filename[-200:], content)
            requests.file_justification(
                db, acting_user(db, user), employee_id, parse_day(data.day), data.code.strip(),
                start=parse_clock(data.start, "Ora di inizio", "Start time", "start"),
                end=parse_clock(data.end, "Ora di fine", "End time", "end"),
                notes=data.notes, attachment=attachment,
                override_balance=data.override_balance == "1")
    except OfficeError as error:
        return _refused(db, user, "justification", error, values)
    return _after_filing(user, employee_id)


@post("/requests/missed-stamp", opt=PEOPLE, sync_to_thread=True)
def file_missed_stamp(
        db: DbSession, user: AuthUser,
        data: Annotated[MissedStampForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    try:
        with db.begin_nested():
            employee_id = target_employee(db, user, data.employee_id)
            minute = parse_clock(data.time, "Ora", "Time", "start")
            if minute is None:
                raise OfficeError("Indica l'ora della timbratura mancata",
                                  "Give the time of the missed stamp", field="start")
            requests.file_missed_stamp(db, acting_user(db, user), employee_id,
                                       parse_day(data.day), minute, data.direction,
                                       data.circumstances)
    except OfficeError as error:
        return _refused(db, user, "missed_stamp", error, vars(data))
    return _after_filing(user, employee_id)


@post("/requests/overtime", opt=PEOPLE, sync_to_thread=True)
def file_overtime(
        db: DbSession, user: AuthUser,
        data: Annotated[OvertimeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    try:
        with db.begin_nested():
            employee_id = target_employee(db, user, data.employee_id)
            requests.file_overtime(
                db, acting_user(db, user), employee_id, parse_day(data.day), data.mode,
                code=data.code.strip() or None,
                start=parse_clock(data.start, "Ora di inizio", "Start time", "start"),
                end=parse_clock(data.end, "Ora di fine", "End time", "end"), notes=data.notes)
    except OfficeError as error:
        return _refused(db, user, "overtime", error, vars(data))
    return _after_filing(user, employee_id)


@post("/requests/{request_id:int}/withdraw", opt=PEOPLE, sync_to_thread=True)
def withdraw(db: DbSession, user: AuthUser, request_id: FromPath[int]) -> Template | Redirect:
    visible_request(db, user, request_id)
    try:
        with db.begin_nested():
            decisions.withdraw(db, acting_user(db, user), request_id)
    except OfficeError as error:
        return _refused(db, user, "withdraw", error, {})
    return Redirect("/requests", status_code=303)


@get("/requests/{request_id:int}", opt=PEOPLE, sync_to_thread=True)
def request_detail(db: DbSession, user: AuthUser, request_id: FromPath[int]) -> Template:
    """One request: what was asked, its state, who decided and why; the decision buttons
    for whoever may decide it."""
    row = visible_request(db, user, request_id)
    view = request_views(db, [row])[0]
    employee = visible_employee(db, user, row.employee_id)
    decidable = row.state == "pending" and may_decide(
        acting_user(db, user), employee, decisions.approval_of(db, row))
    revocable = row.state == "approved" and user.role == OFFICE
    return Template("request_detail.html", context={"r": view, "decidable": decidable,
                                                    "revocable": revocable, "error": None})


@get("/requests/{request_id:int}/attachment", opt=PEOPLE, sync_to_thread=True)
def attachment(db: DbSession, user: AuthUser, request_id: FromPath[int]) -> Response[bytes]:
    """The attached document, as a download (never shown inline: it is the employee's
    upload, and inline HTML from it would run as our page)."""
    row = visible_request(db, user, request_id)
    if row.attachment is None:
        raise NotFoundException(gettext("No attachment"))
    # Only safe characters in the header: the name is the uploader's choice.
    name = re.sub(r"[^A-Za-z0-9._-]", "_", row.attachment_name or "allegato")
    return Response(row.attachment, media_type="application/octet-stream", headers={
        "content-disposition": f'attachment; filename="{name}"',
        "x-content-type-options": "nosniff"})


ROUTES = together(my_requests, file_justification, file_missed_stamp, file_overtime, withdraw,
                  request_detail, attachment, tag="Requests")
