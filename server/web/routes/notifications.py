"""Notifications in the page (marking them read; the unread count in the header) and the
users' e-mail addresses and languages, which the administrator or the office set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.errors import OfficeError
from server.office.contacts import contacts, set_contact
from server.office.notifications import mark_read, unread_count
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import ADMIN, EVERYONE, OFFICE, allow
from server.web.language import said
from server.web.office_calls import acting_user
from server.web.routing import FORM, together
from server.web.scope import known_id


def unread_notifications(request: Request[Any, Any, Any]) -> int:
    """For the header of every page: the logged-in user's unread notifications."""
    user = request.scope.get("user")
    if user is None:
        return 0
    with Session(request.app.state.engine) as session:
        return unread_count(session, user.id)


@post("/notifications/read", opt=allow(*EVERYONE), sync_to_thread=True, status_code=303)
def read_all(db: DbSession, user: AuthUser) -> Redirect:
    mark_read(db, acting_user(db, user), datetime.now(UTC))
    return Redirect("/#notifications", status_code=303)


@dataclass
class ContactForm:
    email: str = ""
    language: str = "it"


def _page(db: Session, user: AuthUser, *, error: OfficeError | None = None,
          failed_user: int | None = None, status: int = 200) -> Template:
    return Template("admin_contacts.html", status_code=status, context={
        "users": contacts(db, acting_user(db, user)),
        "error": said(error) if error else None, "failed_user": failed_user})


@get("/admin/contacts", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def contacts_page(db: DbSession, user: AuthUser) -> Template:
    return _page(db, user)


@post("/admin/contacts/{user_id:int}", opt=allow(ADMIN, OFFICE), sync_to_thread=True,
      status_code=303)
def set_contact_page(db: DbSession, user: AuthUser, user_id: FromPath[int],
                     data: Annotated[ContactForm, FORM]) -> Redirect | Template:
    try:
        with db.begin_nested():
            set_contact(db, acting_user(db, user), known_id(user_id), data.email[:1000],
                        data.language[:10])
    except OfficeError as error:
        return _page(db, user, error=error, failed_user=user_id, status=status_of(error))
    return Redirect(f"/admin/contacts#u{user_id}", status_code=303)


ROUTES = together(read_all, contacts_page, set_contact_page, tag="Notifications")
