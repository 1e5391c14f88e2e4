"""Badge terminals as the administrator follows them: live status as the ingest last saw
it, adding one (its broker password is returned once; only its hash is stored), and fault
reports (seed 002, "Terminali - segnalazione guasti"), followed open → working → closed,
each step with a note and who. Every change is audited; the caller's unit of work commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.directory import DirectoryError, add_terminal
from server.db.models import Terminal, TerminalFault, User
from server.errors import NotAllowed, NotFound, OfficeError
from server.office.audit import record

# A terminal sends a heartbeat every minute or so; silent this long it is shown as silent
# even if the ingest has not yet marked it offline.
SILENT_AFTER_S = 300
FAULT_STATES = {"open": "aperta / open", "working": "in lavorazione / in progress",
                "closed": "risolta / closed"}


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


@dataclass(frozen=True)
class FaultContact:
    """What the university's ticket asks for besides the terminal."""

    description: str
    contact_name: str
    contact_email: str = ""
    contact_phone: str = ""
    unit_head: str = ""


def _require(actor: User, roles: tuple[str, ...]) -> None:
    if actor.role not in roles:
        raise NotAllowed("Non consentito al tuo ruolo", "Not allowed for your role")


def _terminal(session: Session, actor: User, terminal_id: int) -> Terminal:
    row = session.get(Terminal, terminal_id)
    if row is None or row.institution_id != actor.institution_id:
        raise NotFound("Non trovato", "Not found")
    return row


def terminal_statuses(session: Session, institution_id: str,
                      now: datetime | None = None) -> list[TerminalStatus]:
    now = now or datetime.now(UTC)
    faults = dict(list(session.execute(
        select(TerminalFault.terminal_id, func.count()).where(
            TerminalFault.institution_id == institution_id, TerminalFault.state != "closed")
        .group_by(TerminalFault.terminal_id)).all()))
    return [status_of(row, faults.get(row.id, 0), now)
            for row in terminals_of(session, institution_id)]


def terminals_of(session: Session, institution_id: str) -> list[Terminal]:
    """The institution's terminals, by code."""
    return list(session.scalars(select(Terminal).where(
        Terminal.institution_id == institution_id).order_by(Terminal.code)))


def status_of(row: Terminal, open_faults: int, now: datetime) -> TerminalStatus:
    since = int((now - row.last_seen).total_seconds()) if row.last_seen else None
    status = row.status
    if status == "online" and since is not None and since > SILENT_AFTER_S:
        status = "silent"
    return TerminalStatus(row.id, row.code, row.location, row.username, status, row.last_seen,
                          since, row.queued, row.clock_skew_s, open_faults)


def terminal_with_faults(session: Session, actor: User,
                         terminal_id: int) -> tuple[TerminalStatus, list[TerminalFault]]:
    row = _terminal(session, actor, terminal_id)
    faults = list(session.scalars(select(TerminalFault).where(
        TerminalFault.terminal_id == row.id).order_by(TerminalFault.id.desc())))
    open_faults = sum(1 for f in faults if f.state != "closed")
    return status_of(row, open_faults, datetime.now(UTC)), faults


def new_terminal(session: Session, actor: User, code: str,
                 location: str) -> NewTerminalCredentials:
    _require(actor, ("admin",))
    try:
        made = add_terminal(session, actor.institution_id, code.strip(), location.strip())
    except DirectoryError as exc:
        raise OfficeError(f"terminale non aggiunto: {exc}", f"{exc}", field="code") from None
    record(session, actor, "terminal_added", f"terminal:{made.terminal.id}",
           {"code": made.terminal.code})
    return NewTerminalCredentials(status_of(made.terminal, 0, datetime.now(UTC)),
                                  made.terminal.username, made.password)


def report_fault(session: Session, actor: User, terminal_id: int,
                 form: FaultContact) -> FaultReport:
    _require(actor, ("admin", "office"))
    terminal = _terminal(session, actor, terminal_id)
    description, contact = form.description.strip(), form.contact_name.strip()
    if not description or not contact:
        raise OfficeError("Servono la descrizione del guasto e il nome di un referente.",
                          "A description and a contact name are required.")
    if len(description) > 4000 or any(len(v) > 200 for v in (
            contact, form.contact_email, form.contact_phone, form.unit_head)):
        raise OfficeError("Testo troppo lungo.", "Text too long.")
    now = datetime.now(UTC)
    row = TerminalFault(
        institution_id=actor.institution_id, terminal_id=terminal.id, description=description,
        contact_name=contact, contact_email=form.contact_email.strip(),
        contact_phone=form.contact_phone.strip()[:60], unit_head=form.unit_head.strip(),
        state="open", reported_by=actor.id, reported_at=now, updated_at=now,
        history=[_step(now, actor, "open", "")])
    session.add(row)
    session.flush()
    record(session, actor, "terminal_fault_reported", f"terminal_fault:{row.id}",
           {"terminal": terminal.code})
    return _view(row, terminal)


def update_fault(session: Session, actor: User, fault_id: int, state: str,
                 note: str) -> FaultReport:
    _require(actor, ("admin",))
    row = session.get(TerminalFault, fault_id)
    if row is None or row.institution_id != actor.institution_id:
        raise NotFound("Non trovato", "Not found")
    if state not in FAULT_STATES:
        raise OfficeError(f"Stato sconosciuto: usare {', '.join(FAULT_STATES)}.",
                          f"Unknown state: use {', '.join(FAULT_STATES)}.", field="state")
    if len(note) > 4000:
        raise OfficeError("Nota troppo lunga.", "Note too long.", field="note")
    now = datetime.now(UTC)
    # A new list, so SQLAlchemy sees the JSON column change.
    row.history = [*row.history, _step(now, actor, state, note.strip())]
    row.state, row.updated_at = state, now
    record(session, actor, "terminal_fault_updated", f"terminal_fault:{row.id}",
           {"state": state})
    terminal = session.get(Terminal, row.terminal_id)
    assert terminal is not None  # a foreign key
    return _view(row, terminal)


def fault_list(session: Session, institution_id: str, state: str | None) -> list[FaultReport]:
    """Newest first; `state` filters (open, working, closed)."""
    query = (select(TerminalFault, Terminal).join(Terminal,
                                                  Terminal.id == TerminalFault.terminal_id)
             .where(TerminalFault.institution_id == institution_id)
             .order_by(TerminalFault.id.desc()))
    if state:
        query = query.where(TerminalFault.state == state)
    return [_view(fault, terminal) for fault, terminal in session.execute(query).all()]


def _view(row: TerminalFault, terminal: Terminal) -> FaultReport:
    steps = [FaultStep(str(s.get("at", "")), str(s.get("by", "")), str(s.get("state", "")),
                       str(s.get("note", ""))) for s in row.history]
    return FaultReport(row.id, terminal.id, terminal.code, terminal.location, row.description,
                       row.contact_name, row.contact_email, row.contact_phone, row.unit_head,
                       row.state, row.reported_at, row.updated_at, steps)


def _step(now: datetime, actor: User, state: str, note: str) -> dict[str, Any]:
    return {"at": now.isoformat(timespec="seconds"), "by": actor.username, "state": state,
            "note": note}
