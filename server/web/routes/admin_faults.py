"""Terminal fault reports (seed 002, "Terminali - segnalazione guasti"): what the
university's ticket asks for — the terminal and where it is, a rough description of the
fault (on, off, lights, sounds), a contact person with e-mail and phone, the head of the
unit — then followed up: open → in progress → closed, each step with a note and who.

The personnel office may report and read them; only the administrator moves them on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Terminal, TerminalFault
from server.office.audit import record
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import ADMIN, OFFICE, allow
from server.web.office_calls import acting_user
from server.web.routing import FORM, together
from server.web.scope import mine

# `state` is a name Litestar reserves for the app state: the parameter is named apart.
ByState = Annotated[str | None, QueryParameter(name="state", description="open, working, closed")]
STATES = {"open": "aperta / open", "working": "in lavorazione / in progress",
          "closed": "risolta / closed"}


@dataclass
class FaultForm:
    description: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    unit_head: str = ""


@dataclass
class FaultUpdate:
    state: str = ""
    note: str = ""


@dataclass(frozen=True)
class FaultStep:
    at: str
    by: str
    state: str
    note: str


@dataclass(frozen=True)
class FaultReport:
    id: int
    terminal_id: int
    terminal_code: str
    terminal_location: str
    description: str
    contact_name: str
    contact_email: str
    contact_phone: str
    unit_head: str
    state: str  # open, working, closed
    reported_at: datetime
    updated_at: datetime
    history: list[FaultStep]


def _view(row: TerminalFault, terminal: Terminal) -> FaultReport:
    steps = [FaultStep(str(s.get("at", "")), str(s.get("by", "")), str(s.get("state", "")),
                       str(s.get("note", ""))) for s in row.history]
    return FaultReport(row.id, terminal.id, terminal.code, terminal.location, row.description,
                       row.contact_name, row.contact_email, row.contact_phone, row.unit_head,
                       row.state, row.reported_at, row.updated_at, steps)


def report_fault(db: Session, user: AuthUser, terminal_id: int, form: FaultForm) -> FaultReport:
    terminal = mine(db, Terminal, terminal_id, user)
    description, contact = form.description.strip(), form.contact_name.strip()
    if not description or not contact:
        raise ValidationException("Servono la descrizione del guasto e il nome di un "
                                  "referente. / A description and a contact name are required.")
    if len(description) > 4000 or any(len(v) > 200 for v in (
            contact, form.contact_email, form.contact_phone, form.unit_head)):
        raise ValidationException("Testo troppo lungo. / Text too long.")
    now = datetime.now(UTC)
    row = TerminalFault(
        institution_id=user.institution_id, terminal_id=terminal.id, description=description,
        contact_name=contact, contact_email=form.contact_email.strip(),
        contact_phone=form.contact_phone.strip()[:60], unit_head=form.unit_head.strip(),
        state="open", reported_by=user.id, reported_at=now, updated_at=now,
        history=[_step(now, user, "open", "")])
    db.add(row)
    db.flush()
    record(db, acting_user(db, user), "terminal_fault_reported", f"terminal_fault:{row.id}",
           {"terminal": terminal.code})
    return _view(row, terminal)


def update_fault(db: Session, user: AuthUser, fault_id: int, form: FaultUpdate) -> FaultReport:
    row = mine(db, TerminalFault, fault_id, user)
    if form.state not in STATES:
        raise ValidationException(f"Stato sconosciuto: usare {', '.join(STATES)}. / "
                                  f"Unknown state: use {', '.join(STATES)}.")
    if len(form.note) > 4000:
        raise ValidationException("Nota troppo lunga. / Note too long.")
    now = datetime.now(UTC)
    # A new list, so SQLAlchemy sees the JSON column change.
    row.history = [*row.history, _step(now, user, form.state, form.note.strip())]
    row.state, row.updated_at = form.state, now
    record(db, acting_user(db, user), "terminal_fault_updated", f"terminal_fault:{row.id}",
           {"state": form.state})
    terminal = db.get(Terminal, row.terminal_id)
    assert terminal is not None  # a foreign key
    return _view(row, terminal)


def _step(now: datetime, user: AuthUser, state: str, note: str) -> dict[str, Any]:
    return {"at": now.isoformat(timespec="seconds"), "by": user.username, "state": state,
            "note": note}


def fault_list(db: Session, institution_id: str, state: str | None) -> list[FaultReport]:
    query = (select(TerminalFault, Terminal).join(Terminal,
                                                  Terminal.id == TerminalFault.terminal_id)
             .where(TerminalFault.institution_id == institution_id)
             .order_by(TerminalFault.id.desc()))
    if state:
        query = query.where(TerminalFault.state == state)
    return [_view(fault, terminal) for fault, terminal in db.execute(query).all()]


@get("/admin/faults", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def faults_page(db: DbSession, user: AuthUser, wanted: ByState = None) -> Template:
    terminals = list(db.scalars(select(Terminal).where(
        Terminal.institution_id == user.institution_id).order_by(Terminal.code)))
    return Template("admin_faults.html", context={
        "faults": fault_list(db, user.institution_id, wanted), "states": STATES,
        "state": wanted, "terminals": terminals, "can_update": user.role == ADMIN})


@post("/admin/terminals/{terminal_id:int}/faults", opt=allow(ADMIN, OFFICE),
      sync_to_thread=True, status_code=303)
def report_fault_page(db: DbSession, user: AuthUser, terminal_id: FromPath[int],
                      data: Annotated[FaultForm, FORM]) -> Redirect:
    made = report_fault(db, user, terminal_id, data)
    return Redirect(f"/admin/faults#f{made.id}", status_code=303)


@post("/admin/faults/{fault_id:int}", opt=allow(ADMIN), sync_to_thread=True, status_code=303)
def update_fault_page(db: DbSession, user: AuthUser, fault_id: FromPath[int],
                      data: Annotated[FaultUpdate, FORM]) -> Redirect:
    update_fault(db, user, fault_id, data)
    return Redirect(f"/admin/faults#f{fault_id}", status_code=303)


@get("/api/v1/admin/faults", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def faults_api(db: DbSession, user: AuthUser, wanted: ByState = None) -> list[FaultReport]:
    """Terminal fault reports, newest first; `state` = open, working or closed."""
    return fault_list(db, user.institution_id, wanted)


@post("/api/v1/admin/terminals/{terminal_id:int}/faults", opt=allow(ADMIN, OFFICE),
      sync_to_thread=True)
def report_fault_api(db: DbSession, user: AuthUser, terminal_id: FromPath[int],
                     data: JSONBody[FaultForm]) -> FaultReport:
    """Report a terminal fault: description, contact name (required), e-mail, phone, head
    of unit."""
    return report_fault(db, user, terminal_id, data)


@post("/api/v1/admin/faults/{fault_id:int}", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def update_fault_api(db: DbSession, user: AuthUser, fault_id: FromPath[int],
                     data: JSONBody[FaultUpdate]) -> FaultReport:
    """Move a fault report on (open, working, closed) with a note."""
    return update_fault(db, user, fault_id, data)


ROUTES = together(faults_page, report_fault_page, update_fault_page, faults_api, report_fault_api,
                  update_fault_api)
