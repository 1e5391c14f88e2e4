"""Badge terminals: live status as the ingest last saw it, and adding one (its broker
password is shown once, then only its hash exists). The rules are `server.office.terminals`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Template
from sqlalchemy.orm import Session

from server.errors import OfficeError
from server.i18n.current import N_
from server.office.terminals import (
    NewTerminalCredentials,
    TerminalStatus,
    new_terminal,
    terminal_statuses,
    terminal_with_faults,
)
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import ADMIN, allow
from server.web.language import said
from server.web.office_calls import acting_user
from server.web.routing import FORM, NO_STORE, together
from server.web.scope import known_id

STATUS_WORDS = {"online": N_("online"), "offline": N_("offline"),
                "never": N_("never connected"), "silent": N_("silent")}


@dataclass
class TerminalForm:
    code: str = ""
    location: str = ""


def _page(db: Session, user: AuthUser, *, created: NewTerminalCredentials | None = None,
          error: str | None = None, form: TerminalForm | None = None,
          status: int = 200) -> Template:
    return Template("admin_terminals.html", status_code=status, headers=NO_STORE, context={
        "terminals": terminal_statuses(db, user.institution_id), "words": STATUS_WORDS,
        "created": created, "error": error, "form": form or TerminalForm()})


@get("/admin/terminals", opt=allow(ADMIN), sync_to_thread=True)
def terminals_page(db: DbSession, user: AuthUser) -> Template:
    """The institution's terminals with their live status."""
    return _page(db, user)


@post("/admin/terminals", opt=allow(ADMIN), sync_to_thread=True, status_code=200)
def add_terminal_page(db: DbSession, user: AuthUser,
                      data: Annotated[TerminalForm, FORM]) -> Template:
    """Answered with the page itself, not a redirect: the password is shown this once."""
    try:
        with db.begin_nested():
            created = new_terminal(db, acting_user(db, user), data.code, data.location)
    except OfficeError as error:
        return _page(db, user, error=said(error), form=data, status=status_of(error))
    return _page(db, user, created=created)


@get("/admin/terminals/{terminal_id:int}", opt=allow(ADMIN), sync_to_thread=True)
def terminal_page(db: DbSession, user: AuthUser, terminal_id: FromPath[int]) -> Template:
    """One terminal: its status and its fault reports, with the form to report one."""
    status, faults = terminal_with_faults(db, acting_user(db, user), known_id(terminal_id))
    return Template("admin_terminal.html", context={
        "t": status, "words": STATUS_WORDS, "faults": faults})


@get("/api/v1/admin/terminals", opt=allow(ADMIN), sync_to_thread=True)
def terminals_api(db: DbSession, user: AuthUser) -> list[TerminalStatus]:
    """The institution's terminals: online/offline/never/silent, last seen, stamps queued
    on the terminal, clock skew in seconds, open fault reports."""
    return terminal_statuses(db, user.institution_id)


@dataclass
class TerminalRequest:
    code: str
    location: str = ""


@post("/api/v1/admin/terminals", opt=allow(ADMIN), sync_to_thread=True)
def add_terminal_api(db: DbSession, user: AuthUser,
                     data: JSONBody[TerminalRequest]) -> NewTerminalCredentials:
    """Register a terminal; the answer holds its broker password, which is never shown again.
    Then regenerate the broker's configuration (`timbra terminals mosquitto`)."""
    return new_terminal(db, acting_user(db, user), data.code, data.location)


ROUTES = together(terminals_page, add_terminal_page, terminal_page, terminals_api, add_terminal_api,
                  tag="Admin: terminals")
