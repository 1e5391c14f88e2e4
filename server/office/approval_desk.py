"""The approver's desk on a busy morning (the office at 08:30 on the 3rd): the queue
searched by name, number, code or day, one bounded page at a time, and many requests
decided at once with one note.

A bulk decision is each request's own single decision (`decisions.approve` / `reject`), so
the code's approval timing (`approval_timing`), the month lock, the audit and the
employee's notification apply to each exactly as they do one at a time. Each runs in a
savepoint of its own: a request that is refused (decided meanwhile, its deadline past,
its month closed, not this user's to decide) is listed with the reason and changes
nothing, and the others are decided. Input that is wrong as a whole (no request, too
many, an unknown decision, a rejection without a note) is refused before any decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.db.models import Employee, User
from server.db.models import Request as RequestRow
from server.errors import NotFound, OfficeError
from server.office import decisions
from server.office.audit import utcnow
from server.office.people import may_decide

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_SEARCH = 100  # characters of the search text
MAX_BULK = 100  # requests in one bulk decision: one page at most
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class QueuePage:
    rows: list[RequestRow]
    total: int  # pending requests this user may decide that match the search
    page: int  # 1-based, within 1..pages
    pages: int
    size: int


def search_queue(session: Session, actor: User, *, text: str = "", day: date | None = None,
                 page: int = 1, size: int = PAGE_SIZE) -> QueuePage:
    """The pending requests `actor` may decide, oldest first, whose employee's name or
    number, or whose code, contains `text` (case aside), on `day` if given."""
    text = text.strip()
    if len(text) > MAX_SEARCH:
        raise OfficeError(f"Testo di ricerca troppo lungo (massimo {MAX_SEARCH} caratteri)",
                          f"Search text too long (at most {MAX_SEARCH} characters)",
                          field="q")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise OfficeError(f"Righe per pagina: da 1 a {MAX_PAGE_SIZE}",
                          f"Rows per page: 1 to {MAX_PAGE_SIZE}", field="size")
    query = (select(RequestRow, Employee).join(Employee, Employee.id == RequestRow.employee_id)
             .where(RequestRow.institution_id == actor.institution_id,
                    RequestRow.state == "pending"))
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        query = query.where(or_(func.lower(Employee.name).like(pattern, escape="\\"),
                                func.lower(Employee.number).like(pattern, escape="\\"),
                                func.lower(RequestRow.code).like(pattern, escape="\\")))
    if day is not None:
        query = query.where(RequestRow.day == day)
    rows = [row for row, employee in session.execute(
        query.order_by(RequestRow.created_at, RequestRow.id)).all()
        if may_decide(actor, employee, decisions.approval_of(session, row))]
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 1), pages)
    return QueuePage(rows[(page - 1) * size:page * size], len(rows), page, pages, size)


@dataclass(frozen=True)
class Refused:
    request_id: int
    error: OfficeError


@dataclass(frozen=True)
class BulkOutcome:
    decided: list[int]
    refused: list[Refused]


def decide_many(session: Session, actor: User, request_ids: list[int], decision: str,
                note: str, *, now: datetime | None = None) -> BulkOutcome:
    """Approve or reject each request in `request_ids` with `note`, each through the single
    decision; the refused ones are listed with their reason and the rest are decided."""
    if decision not in ("approve", "reject"):
        raise OfficeError("Scegli approva o respingi", "Choose approve or reject",
                          field="decision")
    ids = list(dict.fromkeys(request_ids))  # a request ticked twice is decided once
    if not ids:
        raise OfficeError("Seleziona almeno una richiesta", "Select at least one request",
                          field="ids")
    if len(ids) > MAX_BULK:
        raise OfficeError(f"Al massimo {MAX_BULK} richieste per volta",
                          f"At most {MAX_BULK} requests at a time", field="ids")
    if decision == "reject" and not note.strip():
        raise OfficeError("Indica il motivo del rifiuto", "Give the reason for the rejection",
                          field="decision_note")
    now = now or utcnow()
    decided: list[int] = []
    refused: list[Refused] = []
    for request_id in ids:
        if not 0 < request_id <= MAX_ID:  # names no row; the database must not see it
            refused.append(Refused(request_id, NotFound(f"Richiesta {request_id} non trovata",
                                                         f"Request {request_id} not found")))
            continue
        try:
            with session.begin_nested():
                if decision == "approve":
                    decisions.approve(session, actor, request_id, note, now=now)
                else:
                    decisions.reject(session, actor, request_id, note, now=now)
        except OfficeError as error:
            refused.append(Refused(request_id, error))
        else:
            decided.append(request_id)
    return BulkOutcome(decided, refused)
