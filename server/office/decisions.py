"""Deciding requests: approve, reject, withdraw, revoke; the approval queue.

Who may decide is the code's `approval` (see `people.may_decide`); a missed
stamp, the stamping block's `missed_stamp approval` (a manager of the employee's unit
or the personnel office when the rules do not say). Every
change is audited with who and when; an approval recomputes the day at once,
so the employee's timecard shows its effect, and so does its revocation: the
personnel office takes back an approved request of an open month, with a reason,
and the request is "revoked" (it no longer counts).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.month_lock import ensure_open
from server.days.results import refresh_days
from server.days.rules_in_force import policy_on
from server.db.models import Employee, User
from server.db.models import Request as RequestRow
from server.errors import NotAllowed, NotFound, OfficeError
from server.office import notifications
from server.office.approval_timing import check_decision_time, local
from server.office.audit import record, utcnow
from server.office.bounds import bounded_text
from server.office.people import employee_visible, may_decide, require_office
from server.office.requests import missed_stamp_approver

MAX_REASON = 500


def approve(session: Session, actor: User, request_id: int, note: str = "", *,
            now: datetime | None = None) -> RequestRow:
    row = _decidable(session, actor, request_id)
    bounded_text(note, "decision_note", MAX_REASON)
    now = now or utcnow()
    policy = policy_on(session, row.institution_id, row.day)
    try:
        info = policy.version_on(row.day).codes.get(row.code or "")
    except LookupError:
        info = None  # rules gone since filing: only the office decides it (approval_of)
    if info is not None:  # a deadline to decide by (`approval … within`)
        check_decision_time(info, row.day, row.end_minute, local(now, policy.timezone))
    return _decide(session, actor, row, "approved", note, now)


def reject(session: Session, actor: User, request_id: int, note: str, *,
           now: datetime | None = None) -> RequestRow:
    """A rejection says why: the employee reads it next to the request."""
    row = _decidable(session, actor, request_id)  # first: nobody learns of others' requests
    bounded_text(note, "decision_note", MAX_REASON)
    if not note.strip():
        raise OfficeError("Indica il motivo del rifiuto", "Give the reason for the rejection",
                          field="decision_note")
    return _decide(session, actor, row, "rejected", note, now or utcnow())


def withdraw(session: Session, actor: User, request_id: int, *,
             now: datetime | None = None) -> RequestRow:
    """The employee (or whoever filed it) takes back a request nobody has decided yet."""
    now = now or utcnow()
    row = _request(session, actor, request_id)
    if actor.id != row.created_by and actor.employee_id != row.employee_id:
        raise NotAllowed("Puoi ritirare solo le tue richieste",
                         "You can only withdraw your own requests")
    if row.state != "pending":
        raise OfficeError("Si può ritirare solo una richiesta in attesa",
                          "Only a pending request can be withdrawn")
    ensure_open(session, row.institution_id, row.day)
    row.state, row.decided_at = "withdrawn", now
    session.flush()
    record(session, actor, "request_withdrawn", f"request:{row.id}",
           {"employee_id": row.employee_id, "day": row.day.isoformat()}, now=now)
    notifications.request_withdrawn(session, row, approval_of(session, row), actor, now)
    return row


def revoke(session: Session, actor: User, request_id: int, reason: str, *,
           now: datetime | None = None) -> RequestRow:
    """The personnel office withdraws an approval (granted by mistake, or the leave was
    not taken): the day is computed again without the request."""
    require_office(actor, "revocare un'approvazione", "revoke an approval")
    row = _request(session, actor, request_id)
    if row.state != "approved":
        raise OfficeError("Si può revocare solo una richiesta approvata",
                          "Only an approved request can be revoked")
    reason = reason.strip()
    if not reason:
        raise OfficeError("Indica il motivo della revoca", "Give the reason for the revocation",
                          field="decision_note")
    if len(reason) > MAX_REASON:
        raise OfficeError(f"Motivo troppo lungo (massimo {MAX_REASON} caratteri)",
                          f"Reason too long (at most {MAX_REASON} characters)",
                          field="decision_note")
    ensure_open(session, row.institution_id, row.day)
    now = now or utcnow()
    approved_by, approved_at = row.decided_by, row.decided_at
    row.state, row.decided_by, row.decided_at, row.decision_note = (
        "revoked", actor.id, now, reason)
    session.flush()
    record(session, actor, "request_revoked", f"request:{row.id}",
           {"employee_id": row.employee_id, "day": row.day.isoformat(), "kind": row.kind,
            "code": row.code, "reason": reason, "approved_by": approved_by,
            "approved_at": approved_at.isoformat() if approved_at else None}, now=now)
    refresh_days(session, [(row.institution_id, row.employee_id, row.day)], now)
    notifications.request_revoked(session, row, now)
    return row


def approval_queue(session: Session, actor: User) -> list[RequestRow]:
    """The pending requests this user may decide, oldest first."""
    rows = session.execute(
        select(RequestRow, Employee).join(Employee, Employee.id == RequestRow.employee_id)
        .where(RequestRow.institution_id == actor.institution_id,
               RequestRow.state == "pending")
        .order_by(RequestRow.created_at, RequestRow.id)).all()
    return [row for row, employee in rows
            if may_decide(actor, employee, approval_of(session, row))]


def requests_of(session: Session, actor: User, employee_id: int) -> list[RequestRow]:
    """An employee's requests, newest day first ("Le mie Richieste")."""
    employee_visible(session, actor, employee_id)
    return list(session.scalars(select(RequestRow).where(RequestRow.employee_id == employee_id)
                                .order_by(RequestRow.day.desc(), RequestRow.id.desc())))


def approval_of(session: Session, row: RequestRow) -> str | None:
    """Who must decide, as the rules in force on the request's day say."""
    try:
        version = policy_on(session, row.institution_id, row.day).version_on(row.day)
    except LookupError:
        return "office"  # rules gone since filing: only the office may sort it out
    if row.kind == "missed_stamp":
        return missed_stamp_approver(version)
    info = version.codes.get(row.code or "")
    if info is None:
        return "office"
    return info.approval.value if info.approval else "manager"


# ---- helpers ----------------------------------------------------------------------------


def _request(session: Session, actor: User, request_id: int) -> RequestRow:
    row = session.get(RequestRow, request_id)
    if row is None or row.institution_id != actor.institution_id:
        raise NotFound(f"Richiesta {request_id} non trovata", f"Request {request_id} not found")
    return row


def _decidable(session: Session, actor: User, request_id: int) -> RequestRow:
    row = _request(session, actor, request_id)
    employee = session.get(Employee, row.employee_id)
    assert employee is not None  # a foreign key
    if not may_decide(actor, employee, approval_of(session, row)):
        raise NotAllowed("Non puoi decidere questa richiesta: spetta a "
                         + _approver_it(approval_of(session, row)),
                         "You cannot decide this request: it is for "
                         + _approver_en(approval_of(session, row)))
    if row.state != "pending":
        raise OfficeError("La richiesta è già stata decisa o ritirata",
                          "The request was already decided or withdrawn")
    ensure_open(session, row.institution_id, row.day)
    return row


def _decide(session: Session, actor: User, row: RequestRow, state: str, note: str,
            now: datetime) -> RequestRow:
    row.state, row.decided_by, row.decided_at = state, actor.id, now
    row.decision_note = note or None
    session.flush()
    record(session, actor, f"request_{state}", f"request:{row.id}",
           {"employee_id": row.employee_id, "day": row.day.isoformat(), "kind": row.kind,
            "code": row.code, "note": note}, now=now)
    if state == "approved":
        refresh_days(session, [(row.institution_id, row.employee_id, row.day)], now)
    notifications.request_decided(session, row, now)
    return row


def _approver_it(approval: str | None) -> str:
    return {"director": "al dirigente o all'ufficio del personale",
            "office": "all'ufficio del personale"}.get(
        approval or "", "al responsabile dell'unità o all'ufficio del personale")


def _approver_en(approval: str | None) -> str:
    return {"director": "the director or the personnel office",
            "office": "the personnel office"}.get(
        approval or "", "the unit's manager or the personnel office")
