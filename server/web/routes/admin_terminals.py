"""Badge terminals: live status as the ingest last saw it, and adding one (its broker
password is shown once, then only its hash exists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.directory import DirectoryError, add_terminal
from server.db.models import Terminal, TerminalFault
from server.office.audit import record
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import ADMIN, allow
from server.web.office_calls import acting_user
from server.web.routing import FORM, NO_STORE, together
from server.web.scope import mine

# A terminal sends a heartbeat every minute or so; silent this long it is shown as silent
# even if the ingest has not yet marked it offline.
SILENT_AFTER_S = 300
STATUS_WORDS = {"online": "in linea / online", "offline": "non in linea / offline",
                "never": "mai collegato / never connected", "silent": "silente / silent"}


@dataclass(frozen=True)
class TerminalStatus:
    id: int
    code: str
    location: str
    username: str  # its broker login
    status: str  # online, offline, never, silent (online but no news for SILENT_AFTER_S)
    last_seen: datetime | None
    seconds_since_seen: int | None
    queued: int  # stamps the terminal holds that the server has not acknowledged yet
    clock_skew_s: int | None  # terminal clock minus the server's
    open_faults: int


@dataclass(frozen=True)
class NewTerminalCredentials:
    terminal: TerminalStatus
    username: str
    password: str  # shown once; only its hash is stored


@dataclass
class TerminalForm:
    code: str = ""
    location: str = ""


def terminal_statuses(db: Session, institution_id: str,
                      now: datetime | None = None) -> list[TerminalStatus]:
    now = now or datetime.now(UTC)
    faults = dict(list(db.execute(
        select(TerminalFault.terminal_id, func.count()).where(
            TerminalFault.institution_id == institution_id, TerminalFault.state != "closed")
        .group_by(TerminalFault.terminal_id)).all()))
    rows = db.scalars(select(Terminal).where(Terminal.institution_id == institution_id)
                      .order_by(Terminal.code))
    return [status_of(row, faults.get(row.id, 0), now) for row in rows]


def status_of(row: Terminal, open_faults: int, now: datetime) -> TerminalStatus:
    since = int((now - row.last_seen).total_seconds()) if row.last_seen else None
    status = row.status
    if status == "online" and since is not None and since > SILENT_AFTER_S:
        status = "silent"
    return TerminalStatus(row.id, row.code, row.location, row.username, status, row.last_seen,
                          since, row.queued, row.clock_skew_s, open_faults)


def _create(db: Session, user: AuthUser, code: str, location: str) -> NewTerminalCredentials:
    try:
        made = add_terminal(db, user.institution_id, code.strip(), location.strip())
    except DirectoryError as exc:
        raise ValidationException(f"{exc} / terminale non aggiunto") from None
    record(db, acting_user(db, user), "terminal_added", f"terminal:{made.terminal.id}",
           {"code": made.terminal.code})
    return NewTerminalCredentials(status_of(made.terminal, 0, datetime.now(UTC)),
                                  made.terminal.username, made.password)


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
        created = _create(db, user, data.code, data.location)
    except ValidationException as exc:
        return _page(db, user, error=str(exc.detail), form=data, status=400)
    return _page(db, user, created=created)


@get("/admin/terminals/{terminal_id:int}", opt=allow(ADMIN), sync_to_thread=True)
def terminal_page(db: DbSession, user: AuthUser, terminal_id: FromPath[int]) -> Template:
    """One terminal: its status and its fault reports, with the form to report one."""
    row = mine(db, Terminal, terminal_id, user)
    faults = list(db.scalars(select(TerminalFault).where(
        TerminalFault.terminal_id == row.id).order_by(TerminalFault.id.desc())))
    open_faults = sum(1 for f in faults if f.state != "closed")
    return Template("admin_terminal.html", context={
        "t": status_of(row, open_faults, datetime.now(UTC)), "words": STATUS_WORDS,
        "faults": faults})


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
    return _create(db, user, data.code, data.location)


ROUTES = together(terminals_page, add_terminal_page, terminal_page, terminals_api,
                  add_terminal_api)
