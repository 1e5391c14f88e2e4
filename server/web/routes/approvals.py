"""Approval queue: the pending requests a manager (their unit) or the personnel office
(the institution) may decide, approved or rejected with a note; and the revocation of an
approval by the personnel office, with a reason (`decisions.revoke`).

Who may decide which request is the office service's rule (`people.may_decide`, from
the code's `approval`); a request of someone the user cannot see is a 404 before that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.errors import OfficeError
from server.office import decisions
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user
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


@get("/approvals", opt=DECIDERS, sync_to_thread=True)
def queue(db: DbSession, user: AuthUser) -> Template:
    """Richieste da approvare: oldest first, with the day's timecard one tap away."""
    return Template("approvals.html", context={"queue": _queue(db, user), "failed": None})


@post("/approvals/{request_id:int}/decide", opt=DECIDERS, sync_to_thread=True)
def decide(db: DbSession, user: AuthUser, request_id: FromPath[int],
           data: Annotated[DecisionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
           ) -> Template | Redirect:
    try:
        with db.begin_nested():
            _decide(db, user, request_id, data)
    except OfficeError as error:
        return Template("approvals.html", status_code=status_of(error), context={
            "queue": _queue(db, user), "failed": {"id": request_id, "error": error}})
    return Redirect("/approvals", status_code=303)


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


ROUTES = together(queue, decide, queue_api, decide_api, revoke, revoke_api, tag="Approvals")
