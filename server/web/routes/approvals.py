"""Approval queue: the pending requests a manager (their unit) or the personnel office
(the institution) may decide, searched and paged (`approval_desk.search_queue`), approved
or rejected with a note one at a time or many at once (`approval_desk.decide_many`: the
refused ones listed with their reason, the others decided); and the revocation of an
approval by the personnel office, with a reason (`decisions.revoke`).

Who may decide which request is the office service's rule (`people.may_decide`, from
the code's `approval`); a request of someone the user cannot see is a 404 before that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.errors import OfficeError
from server.office import decisions
from server.office.approval_desk import PAGE_SIZE, BulkOutcome, QueuePage, decide_many, search_queue
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.language import said
from server.web.office_calls import acting_user, parse_day
from server.web.request_views import RequestView, request_views
from server.web.routing import together
from server.web.scope import visible_request

DECIDERS = allow(MANAGER, OFFICE)


@dataclass
class DecisionForm:
    decision: str = ""  # approve, reject
    note: str = ""


def _decide(db: Session, user: CurrentUser, request_id: int, form: DecisionForm) -> None:
    visible_request(db, user, request_id)
    actor = acting_user(db, user)
    if form.decision == "approve":
        decisions.approve(db, actor, request_id, form.note)
    elif form.decision == "reject":
        decisions.reject(db, actor, request_id, form.note)
    else:
        raise OfficeError("Scegli approva o respingi", "Choose approve or reject",
                          field="decision")


def _queue(db: Session, user: CurrentUser) -> list[RequestView]:
    return request_views(db, decisions.approval_queue(db, acting_user(db, user)))


@dataclass
class Search:
    q: str = ""
    day: str = ""
    page: int = 1
    size: int = PAGE_SIZE


def _page(db: Session, user: CurrentUser, search: Search, *, status_code: int = 200,
          failed: dict[str, Any] | None = None, outcome: BulkOutcome | None = None,
          error: OfficeError | None = None) -> Template:
    found: QueuePage | None = None
    try:
        day = parse_day(search.day) if search.day.strip() else None
        found = search_queue(db, acting_user(db, user), text=search.q, day=day,
                             page=search.page, size=search.size)
    except OfficeError as refused:  # a bad search shows the form again with why
        error, status_code = error or refused, 400 if status_code == 200 else status_code
    filters = {"q": search.q, "day": search.day}
    if search.size != PAGE_SIZE:
        filters["size"] = str(search.size)
    shown = request_views(db, found.rows) if found else []
    return Template("approvals.html", status_code=status_code, context={
        "queue": shown, "found": found, "filters": filters,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "failed": failed, "outcome": outcome, "error": error})


@get("/approvals", opt=DECIDERS, sync_to_thread=True)
def queue(db: DbSession, user: AuthUser, q: FromQuery[str] = "", day: FromQuery[str] = "",
          page: FromQuery[int] = 1, size: FromQuery[int] = PAGE_SIZE) -> Template:
    """Richieste da approvare: oldest first, searched by name, number or code and day,
    a page at a time, with the day's timecard one tap away."""
    return _page(db, user, Search(q, day, page, size))


@post("/approvals/{request_id:int}/decide", opt=DECIDERS, sync_to_thread=True)
def decide(db: DbSession, user: AuthUser, request_id: FromPath[int],
           data: Annotated[DecisionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
           ) -> Template | Redirect:
    try:
        with db.begin_nested():
            _decide(db, user, request_id, data)
    except OfficeError as error:
        return _page(db, user, Search(), status_code=status_of(error),
                     failed={"id": request_id, "error": error})
    return Redirect("/approvals", status_code=303)


def _ids(value: object) -> list[int]:
    """The ticked boxes: one `ids` field per box (a single one arrives as a string)."""
    values = value if isinstance(value, list) else [] if value is None else [value]
    try:
        return [int(str(v)) for v in values]
    except ValueError:
        raise OfficeError("Selezione non valida", "Invalid selection", field="ids") from None


@post("/approvals/bulk", opt=DECIDERS, sync_to_thread=True)
def decide_selected(db: DbSession, user: AuthUser,
                    data: Annotated[dict[str, Any], Body(
                        media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
    """The ticked requests approved or rejected with one note: the page says how many were
    decided and lists the refused ones with the reason; those were left as they were."""
    def text(name: str) -> str:
        value = data.get(name, "")
        return value if isinstance(value, str) else ""

    search = Search(text("q"), text("day"))
    try:
        outcome = decide_many(db, acting_user(db, user), _ids(data.get("ids")),
                              text("decision"), text("note"))
    except OfficeError as error:
        return _page(db, user, search, status_code=status_of(error), error=error)
    return _page(db, user, search, outcome=outcome)


@get("/api/v1/approvals", opt=DECIDERS, sync_to_thread=True)
def queue_api(db: DbSession, user: AuthUser) -> list[RequestView]:
    """The pending requests this user may decide, oldest first."""
    return _queue(db, user)


@dataclass
class Decision:
    decision: str  # approve, reject
    note: str = ""


@post("/api/v1/requests/{request_id:int}/decision", opt=DECIDERS, sync_to_thread=True,
      status_code=200)
def decide_api(db: DbSession, user: AuthUser, request_id: FromPath[int],
               data: JSONBody[Decision]) -> RequestView:
    """Approve or reject a pending request (`note` required to reject); returns it decided.
    403 when the user may not decide it, 409 when its month is closed."""
    _decide(db, user, request_id, DecisionForm(data.decision, data.note))
    return request_views(db, [visible_request(db, user, request_id)])[0]


@dataclass
class BulkDecision:
    decision: str  # approve, reject
    ids: list[int]
    note: str = ""


@dataclass
class BulkRefusal:
    id: int
    detail: str  # in the reader's language
    field: str | None


@dataclass
class BulkResult:
    decided: list[int]
    refused: list[BulkRefusal]


@post("/api/v1/approvals/bulk", opt=DECIDERS, sync_to_thread=True, status_code=200)
def decide_selected_api(db: DbSession, user: AuthUser,
                        data: JSONBody[BulkDecision]) -> BulkResult:
    """Approve or reject up to 100 requests with one note, each as its own decision:
    `decided` lists the ids decided, `refused` the others with the reason (they are left
    as they were). A rejection without a note, no ids or too many: 400, nothing decided."""
    outcome = decide_many(db, acting_user(db, user), data.ids, data.decision, data.note)
    return BulkResult(outcome.decided, [BulkRefusal(r.request_id, said(r.error), r.error.field)
                                        for r in outcome.refused])


@dataclass
class Revocation:
    reason: str = ""


def _revoke(db: Session, user: CurrentUser, request_id: int, reason: str) -> None:
    visible_request(db, user, request_id)
    decisions.revoke(db, acting_user(db, user), request_id, reason)


@post("/approvals/{request_id:int}/revoke", opt=allow(OFFICE), sync_to_thread=True)
def revoke(db: DbSession, user: AuthUser, request_id: FromPath[int],
           data: Annotated[Revocation, Body(media_type=RequestEncodingType.URL_ENCODED)],
           ) -> Template | Redirect:
    """Revoke an approved request (the request's page shows the form to the office)."""
    try:
        with db.begin_nested():
            _revoke(db, user, request_id, data.reason)
    except OfficeError as error:
        row = visible_request(db, user, request_id)
        return Template("request_detail.html", status_code=status_of(error), context={
            "r": request_views(db, [row])[0], "decidable": False,
            "revocable": row.state == "approved", "error": error})
    return Redirect(f"/requests/{request_id}", status_code=303)


@post("/api/v1/requests/{request_id:int}/revoke", opt=allow(OFFICE), sync_to_thread=True,
      status_code=200)
def revoke_api(db: DbSession, user: AuthUser, request_id: FromPath[int],
               data: JSONBody[Revocation]) -> RequestView:
    """Revoke an approved request (`reason` required); returns it revoked. 400 when it is
    not approved, 409 when its month is closed."""
    _revoke(db, user, request_id, data.reason)
    return request_views(db, [visible_request(db, user, request_id)])[0]


ROUTES = together(queue, decide, decide_selected, queue_api, decide_api, decide_selected_api,
                  revoke, revoke_api, tag="Approvals")
