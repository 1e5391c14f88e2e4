"""The JSON twin of "Le mie richieste": list, file (any kind), read one, withdraw.

Times are "HH:MM" strings as on the page; an attachment travels base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from litestar import get, post
from litestar.params import FromPath, FromQuery, JSONBody

from server.db.models import Request as RequestRow
from server.errors import OfficeError
from server.office import decisions, requests
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import PEOPLE
from server.web.office_calls import acting_user, parse_clock, parse_day
from server.web.request_views import RequestView, request_views
from server.web.routing import together
from server.web.scope import target_employee, visible_request


@dataclass
class NewRequest:
    kind: str  # justification, missed_stamp, overtime
    day: str  # YYYY-MM-DD
    code: str | None = None
    start: str | None = None  # HH:MM; a missed stamp's time
    end: str | None = None
    notes: str = ""  # a missed stamp's circumstances
    direction: str | None = None  # missed stamp: in, out
    mode: str | None = None  # overtime: paid, banked
    employee_id: int | None = None  # the office filing on someone's behalf
    attachment_name: str | None = None
    attachment_base64: str | None = None
    override_balance: bool = False  # the office: file a leave beyond its balance, audited


@get("/api/v1/requests", opt=PEOPLE, sync_to_thread=True)
def list_requests(db: DbSession, user: AuthUser,
                  employee_id: FromQuery[int | None] = None) -> list[RequestView]:
    """The user's own requests (or, for a manager or the office, `employee_id`'s),
    newest day first, each with its state and who decided."""
    target = target_employee(db, user, employee_id)
    rows = decisions.requests_of(db, acting_user(db, user), target)
    return request_views(db, rows)


@post("/api/v1/requests", opt=PEOPLE, sync_to_thread=True)
def file_request(db: DbSession, user: AuthUser, data: JSONBody[NewRequest]) -> RequestView:
    """File a justification, a missed stamp or an overtime authorisation; 201 with the
    request (state "approved" at once when the code needs nobody's approval)."""
    row = _file(db, user, data)
    return request_views(db, [row])[0]


def _file(db: DbSession, user: AuthUser, data: NewRequest) -> RequestRow:
    employee_id = target_employee(db, user, data.employee_id)
    actor, day = acting_user(db, user), parse_day(data.day)
    start = parse_clock(data.start, "Ora di inizio", "Start time", "start")
    end = parse_clock(data.end, "Ora di fine", "End time", "end")
    if data.kind == "justification":
        return requests.file_justification(
            db, actor, employee_id, day, (data.code or "").strip(), start=start, end=end,
            notes=data.notes, attachment=_attachment(data),
            override_balance=data.override_balance)
    if data.kind == "missed_stamp":
        if start is None:
            raise OfficeError("Indica l'ora (start)", "Give the time (start)", field="start")
        return requests.file_missed_stamp(db, actor, employee_id, day, start,
                                          data.direction or "", data.notes, code=data.code)
    if data.kind == "overtime":
        return requests.file_overtime(db, actor, employee_id, day, data.mode or "",
                                      code=data.code, start=start, end=end, notes=data.notes)
    raise OfficeError("Tipo di richiesta sconosciuto", "Unknown kind of request", field="kind")


def _attachment(data: NewRequest) -> tuple[str, bytes] | None:
    if not data.attachment_base64:
        return None
    try:
        content = base64.b64decode(data.attachment_base64, validate=True)
    except (binascii.Error, ValueError):
        raise OfficeError("Allegato non leggibile (base64)", "Unreadable attachment (base64)",
                          field="attachment") from None
    return (data.attachment_name or "allegato")[-200:], content


@get("/api/v1/requests/{request_id:int}", opt=PEOPLE, sync_to_thread=True)
def read_request(db: DbSession, user: AuthUser, request_id: FromPath[int]) -> RequestView:
    return request_views(db, [visible_request(db, user, request_id)])[0]


@post("/api/v1/requests/{request_id:int}/withdraw", opt=PEOPLE, sync_to_thread=True,
      status_code=200)
def withdraw_request(db: DbSession, user: AuthUser, request_id: FromPath[int]) -> RequestView:
    """Take back a pending request one filed."""
    row = visible_request(db, user, request_id)
    decisions.withdraw(db, acting_user(db, user), request_id)
    return request_views(db, [row])[0]


ROUTES = together(list_requests, file_request, read_request, withdraw_request, tag="Requests")
