"""The month close of an institution: check, evaluate everyone with progress, lock, reopen.

`precheck` lists, per employee, the month's pending requests and open anomalies: a
request still pending when the month locks can no longer be decided, and seed 002 says
unfixed anomalies prevent "la chiusura del mese" (counted from the stored day results
where current, `server.days.stored_anomalies`, the other months evaluated). With
nothing open the office closes at once; otherwise `begin_close` needs a reason, audited
with the pending requests it overrode, and the open anomalies when the month locks.

The close runs in steps so a page can show a progress bar. `begin_close` takes a
snapshot: the employees active at that moment become the close's entries
(`MonthCloseEntry`). Each employee-day is evaluated once by the close: started with a
reason, nothing is evaluated at the start; started without one, the months the check had
to evaluate (no current stored days, as in a month's first close) are the close's at
once, stored and marked done as a step would. Each `close_step` evaluates the next
entries not yet done, in employee order, stores their day results (the month's own
days, `server.days.close_batch`) and their month's figures, and marks them done in the
same transaction; the caller commits between steps so other sessions see the progress.
A crash at any point loses at most the step in flight, and the next step starts from
the first entry not done: nobody is skipped or evaluated twice, and someone deactivated
after the start is still evaluated (they worked part of the month). Once
every entry is done the month is "closed" and the services refuse any request or
correction on its days (`month_lock`) until an audited `reopen`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    delete,
    false,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.days.account import frozen_accounts
from server.days.account_months import forget_institution
from server.days.close_batch import collector_paused, store_months
from server.days.employment import employed_from
from server.days.month import PersonMonth, month_bounds
from server.days.rules_in_force import RulesInForce, policy_on
from server.db.models import Employee, MonthClose, MonthCloseEntry, User
from server.errors import NotFound, OfficeError
from server.office.audit import record, utcnow
from server.office.bounds import bounded_text
from server.office.close_entries import FIGURES, mark_done
from server.office.close_precheck import (
    OpenItems,
    Precheck,
    close_months,
    month_results,
    open_items,
    pending_requests,
    zone_of,
)
from server.office.people import require_office

REASON_MAX = 500  # characters of a reason to close with something open


@dataclass(frozen=True)
class Progress:
    state: str | None  # None (never closed), closing, closed, reopened
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 and self.state == "closed" else (
            self.done * 100 // self.total if self.total else 0)


@dataclass(frozen=True)
class EmployeeFigures:
    """One employee's month as the close stored it."""

    employee_id: int
    number: str
    name: str
    worked: int
    due: int
    balance: int
    overtime_paid: int
    overtime_banked: int
    to_recover: int
    negative_flex: int
    unjustified: int
    meal_vouchers: int
    anomalies: int


def close_progress(session: Session, institution_id: str, year: int, month: int) -> Progress:
    row = _row(session, institution_id, year, month)
    return Progress(row.state, row.done, row.total) if row else Progress(None, 0, 0)


def precheck(session: Session, actor: User, year: int, month: int) -> Precheck:
    """Per employee, the month's pending requests and open anomalies."""
    require_office(actor, "chiudere il mese", "close the month")
    return open_items(session, actor.institution_id, year, month)


def begin_close(session: Session, actor: User, year: int, month: int, *,
                reason: str | None = None, now: datetime | None = None) -> MonthClose:
    """Start closing a month that has ended; a reopened month may be closed again.

    With pending requests or open anomalies a `reason` is required; it goes to the audit
    log with the pending requests it overrode (the open anomalies follow when the month
    locks). Nothing is written when the start is refused."""
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
        raise _already_closing(year, month)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise OfficeError(f"Il motivo non può superare {REASON_MAX} caratteri",
                          f"The reason cannot exceed {REASON_MAX} characters", field="reason")
    # Claimed in a savepoint: a start refused, or beaten by another clerk's, leaves
    # nothing written.
    with session.begin_nested():
        row = _claim(session, row, actor, institution_id, year, month, now)
        row.total = _take_snapshot(session, row)
        detail: dict[str, object] = {"total": row.total}
        if reason:
            # The reason given overrides whatever is open: the steps evaluate each month
            # once and count its open anomalies, audited when the month locks.
            detail.update(reason=reason, pending_requests=pending_requests(
                session, institution_id, year, month))
        else:
            # Nothing may be open: the months without current stored days are evaluated
            # to know, and handed to the close as they come (stored, done), so no day is
            # evaluated twice.
            close = row
            with collector_paused():
                check = open_items(session, institution_id, year, month, now=now,
                                   handover=lambda months: _keep(session, actor, close, year,
                                                                 month, months, now))
            if not check.clear:
                raise OfficeError(
                    f"Il mese ha {check.pending_requests} richieste in sospeso e "
                    f"{check.open_anomalies} anomalie aperte: per chiuderlo comunque "
                    "indica il motivo",
                    f"The month has {check.pending_requests} pending requests and "
                    f"{check.open_anomalies} open anomalies: give the reason to close it "
                    "anyway", field="reason")
            row.done = _done(session, row.id)
    record(session, actor, "month_close_started", _target(year, month), detail, now=now)
    return row


def _claim(session: Session, row: MonthClose | None, actor: User, institution_id: str,
           year: int, month: int, now: datetime) -> MonthClose:
    """Put the month in "closing" unless someone else just did.

    Two clerks pressing "Chiudi" together both read the month as open: the unique key
    (first close) or the state condition (a reopened month) lets exactly one through."""
    started = {"state": "closing", "done": 0, "started_by": actor.id, "started_at": now,
               "closed_at": None}
    if row is None:
        try:
            session.execute(insert(MonthClose).values(
                institution_id=institution_id, year=year, month=month, total=0, **started))
        except IntegrityError:  # the caller's savepoint rolls the attempt back
            raise _already_closing(year, month) from None
    else:
        claimed = session.execute(update(MonthClose).where(
            MonthClose.id == row.id, MonthClose.state.not_in(("closing", "closed")),
        ).values(**started).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise _already_closing(year, month)
    claimed_row = _row(session, institution_id, year, month)
    assert claimed_row is not None
    session.refresh(claimed_row)
    return claimed_row


def _already_closing(year: int, month: int) -> OfficeError:
    return OfficeError(f"Il mese {month:02d}/{year} è già chiuso o in chiusura",
                       f"Month {year}-{month:02d} is already closed or closing")


def close_step(session: Session, actor: User, year: int, month: int, *, batch: int = 50,
               now: datetime | None = None) -> Progress:
    """Evaluate the next `batch` employees of the snapshot; close the month after the last."""
    require_office(actor, "chiudere il mese", "close the month")
    now = now or utcnow()
    # Locked (on PostgreSQL) so two closers of one month take their steps in turn.
    row = session.scalar(select(MonthClose).where(
        MonthClose.institution_id == actor.institution_id, MonthClose.year == year,
        MonthClose.month == month).with_for_update())
    if row is None or row.state != "closing":
        raise NotFound("Nessuna chiusura in corso per questo mese",
                       "No close in progress for this month")
    if not _has_snapshot(session, row):  # left "closing" by a version without snapshots
        row.total = _take_snapshot(session, row)
    employees = list(session.scalars(
        select(Employee).join(MonthCloseEntry, MonthCloseEntry.employee_id == Employee.id)
        .where(MonthCloseEntry.month_close_id == row.id, MonthCloseEntry.done.is_(False))
        .order_by(Employee.id).limit(batch)))
    with collector_paused():
        _keep(session, actor, row, year, month,
              close_months(session, actor.institution_id, employees, year, month, now), now)
    row.done = _done(session, row.id)
    if row.done >= row.total or not employees:
        row.state, row.closed_at = "closed", now
        # The months after it carry from its frozen closing now, not from kept ones.
        forget_institution(session, actor.institution_id, date(year, month, 1))
        record(session, actor, "month_closed", _target(year, month),
               {"total": row.total, **_open_anomalies(session, row.id)}, now=now)
    session.flush()
    return Progress(row.state, row.done, row.total)


def _keep(session: Session, actor: User, row: MonthClose, year: int, month: int,
          months: dict[int, PersonMonth], now: datetime) -> None:
    """Keep these evaluated months as the close's: their days as the stored day results
    (each employee-day evaluated once, `server.days.close_batch`), their figures and
    frozen accounts in the entries, marked done."""
    store_months(session, months, *month_bounds(year, month), now)
    accounts = frozen_accounts(session, RulesInForce(session, [actor.institution_id]),
                               months.values(), now)
    mark_done(session, row.id, {e: m.result for e, m in months.items()}, accounts, now)


def _open_anomalies(session: Session, close_id: int) -> dict[str, int]:
    """The open anomalies the month locked with, and how many employees had them: what a
    reason to close anyway overrode (empty when none)."""
    anomalies, employees = session.execute(
        select(func.coalesce(func.sum(MonthCloseEntry.anomalies), 0), func.count())
        .where(MonthCloseEntry.month_close_id == close_id,
               MonthCloseEntry.anomalies > 0)).one()
    return {"open_anomalies": int(anomalies), "employees": employees} if anomalies else {}


def _done(session: Session, close_id: int) -> int:
    return session.scalar(select(func.count()).select_from(MonthCloseEntry).where(
        MonthCloseEntry.month_close_id == close_id, MonthCloseEntry.done.is_(True))) or 0


def close_month(session: Session, actor: User, year: int, month: int, *, batch: int = 50,
                reason: str | None = None, now: datetime | None = None,
                on_progress: Callable[[Progress], None] | None = None) -> Progress:
    """Begin (or resume) and run the close to the end, committing after every step."""
    existing = _row(session, actor.institution_id, year, month)
    if existing is None or existing.state != "closing":
        begin_close(session, actor, year, month, reason=reason, now=now)
    session.commit()
    while True:
        progress = close_step(session, actor, year, month, batch=batch, now=now)
        session.commit()
        if on_progress is not None:
            on_progress(progress)
        if progress.state == "closed":
            return progress


def close_figures(session: Session, actor: User, year: int, month: int,
                  ) -> list[EmployeeFigures]:
    """The figures the last close of the month stored, by employee number; empty until a
    close has evaluated someone."""
    require_office(actor, "vedere i dati della chiusura", "see the figures of the close")
    row = _row(session, actor.institution_id, year, month)
    if row is None:
        return []
    rows = session.execute(
        select(MonthCloseEntry, Employee.number, Employee.name)
        .join(Employee, Employee.id == MonthCloseEntry.employee_id)
        .where(MonthCloseEntry.month_close_id == row.id, MonthCloseEntry.done.is_(True))
        .order_by(Employee.number, Employee.id))
    return [EmployeeFigures(e.employee_id, number, name, anomalies=e.anomalies or 0,
                            **{f: getattr(e, f) or 0 for f in FIGURES})
            for e, number, name in rows]


def reopen(session: Session, actor: User, year: int, month: int, reason: str, *,
           now: datetime | None = None) -> MonthClose:
    """Unlock a closed month; who, when and why go to the audit log."""
    require_office(actor, "riaprire il mese", "reopen the month")
    if not reason.strip():
        raise OfficeError("Indica il motivo della riapertura", "Give the reason for reopening",
                          field="reason")
    bounded_text(reason, "reason", REASON_MAX)
    row = _row(session, actor.institution_id, year, month)
    if row is None or row.state != "closed":
        raise OfficeError(f"Il mese {month:02d}/{year} non è chiuso",
                          f"Month {year}-{month:02d} is not closed")
    row.state = "reopened"
    forget_institution(session, actor.institution_id, date(year, month, 1))  # carry again
    session.flush()
    record(session, actor, "month_reopened", _target(year, month), {"reason": reason},
           now=now)
    return row


def close_history(session: Session, institution_id: str, limit: int = 24) -> list[MonthClose]:
    """The institution's month closes, latest month first (two years by default)."""
    return list(session.scalars(select(MonthClose).where(
        MonthClose.institution_id == institution_id)
        .order_by(MonthClose.year.desc(), MonthClose.month.desc()).limit(limit)))


def closed_months(session: Session, institution_id: str) -> list[date]:
    return [date(y, m, 1) for y, m in session.execute(
        select(MonthClose.year, MonthClose.month).where(
            MonthClose.institution_id == institution_id, MonthClose.state == "closed")
        .order_by(MonthClose.year, MonthClose.month))]


def _take_snapshot(session: Session, row: MonthClose) -> int:
    """The employees employed in the month (active now, or deactivated during or after
    it) become the close's entries; returns how many."""
    first = month_bounds(row.year, row.month)[0]
    employed = employed_from(first, zone_of(session, row.institution_id, first))
    session.execute(delete(MonthCloseEntry).where(MonthCloseEntry.month_close_id == row.id))
    session.execute(insert(MonthCloseEntry).from_select(
        ["month_close_id", "employee_id", "done", "evaluations"],
        select(literal(row.id, Integer), Employee.id, false(), literal(0, Integer))
        .where(Employee.institution_id == row.institution_id, employed)))
    return session.scalar(select(func.count()).select_from(MonthCloseEntry).where(
        MonthCloseEntry.month_close_id == row.id)) or 0


def _has_snapshot(session: Session, row: MonthClose) -> bool:
    return session.scalar(select(MonthCloseEntry.employee_id).where(
        MonthCloseEntry.month_close_id == row.id).limit(1)) is not None


def _row(session: Session, institution_id: str, year: int, month: int) -> MonthClose | None:
    return session.scalar(select(MonthClose).where(
        MonthClose.institution_id == institution_id, MonthClose.year == year,
        MonthClose.month == month))


def _target(year: int, month: int) -> str:
    return f"month:{year:04d}-{month:02d}"


__all__ = ["OpenItems", "Precheck", "month_results"]  # the pre-check's, read from here too
