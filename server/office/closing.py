"""The month close of an institution: evaluate everyone with progress, lock, reopen.

The close runs in steps so a page can show a progress bar: `begin_close` sets
`total`, each `close_step` evaluates the next employees, stores their day results
and advances `done`; the caller commits between steps so other sessions see
the progress. Once every employee is done the month is "closed" and the
services refuse any request or correction on its days (`month_lock`) until an
audited `reopen`. Seed 002: unfixed anomalies prevent "la chiusura del mese": the
close reports them per employee instead of refusing, so the office sees who.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.days.month import month_bounds
from server.db.models import Employee, MonthClose, User
from server.office.audit import record, utcnow
from server.office.errors import NotFound, OfficeError
from server.office.people import require_office
from server.office.refresh import refresh_days
from server.office.rules_in_force import policy_on


@dataclass(frozen=True)
class Progress:
    state: str | None  # None (never closed), closing, closed, reopened
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 and self.state == "closed" else (
            self.done * 100 // self.total if self.total else 0)


def close_progress(session: Session, institution_id: str, year: int, month: int) -> Progress:
    row = _row(session, institution_id, year, month)
    return Progress(row.state, row.done, row.total) if row else Progress(None, 0, 0)


def begin_close(session: Session, actor: User, year: int, month: int, *,
                now: datetime | None = None) -> MonthClose:
    """Start closing a month that has ended; a reopened month may be closed again."""
    require_office(actor, "chiudere il mese", "close the month")
    now = now or utcnow()
    institution_id = actor.institution_id
    last = month_bounds(year, month)[1]
    zone = ZoneInfo(policy_on(session, institution_id, last).timezone)
    if now.astimezone(zone).date() <= last:
        raise OfficeError(f"Il mese {month:02d}/{year} non è ancora finito",
                          f"Month {year}-{month:02d} has not ended yet")
    row = _row(session, institution_id, year, month)
    if row is not None and row.state in ("closing", "closed"):
        raise OfficeError(f"Il mese {month:02d}/{year} è già chiuso o in chiusura",
                          f"Month {year}-{month:02d} is already closed or closing")
    total = session.scalar(select(func.count()).select_from(Employee).where(
        Employee.institution_id == institution_id, Employee.active.is_(True))) or 0
    if row is None:
        row = MonthClose(institution_id=institution_id, year=year, month=month)
        session.add(row)
    row.state, row.done, row.total = "closing", 0, total
    row.started_by, row.started_at, row.closed_at = actor.id, now, None
    session.flush()
    record(session, actor, "month_close_started", _target(year, month), {"total": total},
           now=now)
    return row


def close_step(session: Session, actor: User, year: int, month: int, *, batch: int = 50,
               now: datetime | None = None) -> Progress:
    """Evaluate the next `batch` employees; close the month after the last one."""
    require_office(actor, "chiudere il mese", "close the month")
    now = now or utcnow()
    row = _row(session, actor.institution_id, year, month)
    if row is None or row.state != "closing":
        raise NotFound("Nessuna chiusura in corso per questo mese",
                       "No close in progress for this month")
    ids = list(session.scalars(select(Employee.id).where(
        Employee.institution_id == actor.institution_id, Employee.active.is_(True))
        .order_by(Employee.id).offset(row.done).limit(batch)))
    first, last = month_bounds(year, month)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    refresh_days(session, [(actor.institution_id, e, d) for e in ids for d in days], now)
    row.done = min(row.total, row.done + len(ids))
    if not ids or row.done >= row.total:
        row.done, row.state, row.closed_at = row.total, "closed", now
        record(session, actor, "month_closed", _target(year, month), {"total": row.total},
               now=now)
    session.flush()
    return Progress(row.state, row.done, row.total)


def close_month(session: Session, actor: User, year: int, month: int, *, batch: int = 50,
                now: datetime | None = None,
                on_progress: Callable[[Progress], None] | None = None) -> Progress:
    """Begin (or resume) and run the close to the end, committing after every step."""
    existing = _row(session, actor.institution_id, year, month)
    if existing is None or existing.state != "closing":
        begin_close(session, actor, year, month, now=now)
    session.commit()
    while True:
        progress = close_step(session, actor, year, month, batch=batch, now=now)
        session.commit()
        if on_progress is not None:
            on_progress(progress)
        if progress.state == "closed":
            return progress


def reopen(session: Session, actor: User, year: int, month: int, reason: str, *,
           now: datetime | None = None) -> MonthClose:
    """Unlock a closed month; who, when and why go to the audit log."""
    require_office(actor, "riaprire il mese", "reopen the month")
    if not reason.strip():
        raise OfficeError("Indica il motivo della riapertura", "Give the reason for reopening",
                          field="reason")
    row = _row(session, actor.institution_id, year, month)
    if row is None or row.state != "closed":
        raise OfficeError(f"Il mese {month:02d}/{year} non è chiuso",
                          f"Month {year}-{month:02d} is not closed")
    row.state = "reopened"
    session.flush()
    record(session, actor, "month_reopened", _target(year, month), {"reason": reason},
           now=now)
    return row


def closed_months(session: Session, institution_id: str) -> list[date]:
    return [date(y, m, 1) for y, m in session.execute(
        select(MonthClose.year, MonthClose.month).where(
            MonthClose.institution_id == institution_id, MonthClose.state == "closed")
        .order_by(MonthClose.year, MonthClose.month))]


def _row(session: Session, institution_id: str, year: int, month: int) -> MonthClose | None:
    return session.scalar(select(MonthClose).where(
        MonthClose.institution_id == institution_id, MonthClose.year == year,
        MonthClose.month == month))


def _target(year: int, month: int) -> str:
    return f"month:{year:04d}-{month:02d}"
