"""Corrections by the personnel office, manual entries, and a day's stamps with history.

A stamp is a fact (principle 2): a correction is a new row that names the row
it replaces (`replaces_id`), voided when it removes it, with author and reason;
the original stays and is shown struck through. Signature sheets of staff who
do not stamp (seed 000: "Per il personale ausiliario la presenza sarà attestata
a mezzo firma e orario di entrata/uscita apposti su specifici fogli") are
transcribed as stamps with source "manual".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.facts import approved_rows
from server.days.month_lock import ensure_open
from server.days.results import refresh_days
from server.days.rules_in_force import policy_on
from server.db.models import Employee, Stamp, User
from server.errors import NotFound, OfficeError
from server.minutes import clock
from server.office.audit import record, utcnow
from server.office.bounds import bounded_text
from server.office.people import employee_in_reach, employee_visible, require_office


@dataclass(frozen=True)
class StampView:
    """One line of a day's stamps on the timecard, in force or not, with its history."""

    id: int | None  # None for a declared (missed) stamp, which lives in its request
    minute: int
    direction: str | None
    code: str | None
    source: str  # terminal, web, app, manual, declared
    in_force: bool
    void: bool
    replaces_id: int | None
    replaced_by: int | None
    author: str | None
    reason: str | None
    flags: str
    request_id: int | None = None

    @property
    def clock(self) -> str:
        return clock(self.minute)


def day_stamps(session: Session, actor: User, employee_id: int, day: date) -> list[StampView]:
    """Every stamp of the day, corrected ones included, in time order.

    An employee sees their own, a manager their unit's, the office everyone's.
    """
    employee_visible(session, actor, employee_id)
    rows = list(session.scalars(select(Stamp).where(Stamp.employee_id == employee_id,
                                                    Stamp.local_date == day)))
    replaced_by = {r.replaces_id: r.id for r in rows if r.replaces_id is not None}
    views = [StampView(r.id, r.local_minute, r.direction, r.code, r.source,
                       not r.void and r.id not in replaced_by, r.void, r.replaces_id,
                       replaced_by.get(r.id), r.author, r.reason, r.flags) for r in rows]
    for q in approved_rows(session, [employee_id], days=[day]):
        if q.kind == "missed_stamp" and q.start_minute is not None:
            views.append(StampView(None, q.start_minute, q.direction, q.code, "declared", True,
                                   False, None, None, None, None, "", q.id))
    return sorted(views, key=lambda v: (v.minute, v.id or 0))


def correct_stamp(session: Session, actor: User, stamp_id: int, *, minute: int,
                  direction: str | None, code: str | None, reason: str,
                  now: datetime | None = None) -> Stamp:
    """Replace a stamp in force with a corrected one (same day)."""
    original = _in_force(session, actor, stamp_id, reason)
    employee = employee_in_reach(session, actor, original.employee_id)
    row = _new_stamp(session, actor, employee, original.local_date, minute, direction, code,
                     reason, now or utcnow(), replaces=original)
    _audit(session, actor, "stamp_corrected", row, original, reason, now)
    return row


def void_stamp(session: Session, actor: User, stamp_id: int, reason: str, *,
               now: datetime | None = None) -> Stamp:
    """Remove a stamp made by mistake: a void row replaces it; the original stays."""
    original = _in_force(session, actor, stamp_id, reason)
    employee = employee_in_reach(session, actor, original.employee_id)
    row = _new_stamp(session, actor, employee, original.local_date, original.local_minute,
                     original.direction, original.code, reason, now or utcnow(),
                     replaces=original, void=True)
    _audit(session, actor, "stamp_voided", row, original, reason, now)
    return row


def add_stamp(session: Session, actor: User, employee_id: int, day: date, minute: int,
              direction: str | None, *, reason: str, code: str | None = None,
              now: datetime | None = None) -> Stamp:
    """A stamp the office adds (emergency register, a terminal that was down)."""
    require_office(actor, "aggiungere timbrature", "add stamps")
    _reason(reason)
    employee = employee_in_reach(session, actor, employee_id)
    row = _new_stamp(session, actor, employee, day, minute, direction, code, reason,
                     now or utcnow())
    _audit(session, actor, "stamp_added", row, None, reason, now)
    return row


@dataclass(frozen=True)
class SheetLine:
    """One line of a signature sheet: the day, the signed entry and exit times."""

    day: date
    entry: int
    exit: int


def enter_signature_sheet(session: Session, actor: User, employee_id: int,
                          lines: Sequence[SheetLine], *, sheet: str = "",
                          now: datetime | None = None) -> list[Stamp]:
    """Transcribe a signature sheet: all its lines or, on any problem, none."""
    require_office(actor, "trascrivere i fogli firma", "transcribe signature sheets")
    now = now or utcnow()
    employee = employee_in_reach(session, actor, employee_id)
    reason = f"Foglio firma {sheet}".strip()
    rows: list[Stamp] = []
    with session.begin_nested():
        for line in lines:
            version = policy_on(session, employee.institution_id, line.day).version_on(line.day)
            profile = version.profiles.get(employee.profile)
            category = profile.category.value if profile and profile.category else None
            if category != "signature_sheet":
                raise OfficeError(
                    f"{employee.name} non firma fogli presenza ({line.day:%d/%m/%Y})",
                    f"{employee.name} is not on signature sheets ({line.day.isoformat()})")
            if line.exit <= line.entry:
                raise OfficeError(f"{line.day:%d/%m/%Y}: l'uscita deve seguire l'entrata",
                                  f"{line.day.isoformat()}: the exit must follow the entry")
            if _in_force_rows(session, employee.id, line.day):
                raise OfficeError(
                    f"{line.day:%d/%m/%Y}: ci sono già timbrature, usa la correzione",
                    f"{line.day.isoformat()}: the day already has stamps, correct them")
            for minute, direction in ((line.entry, "in"), (line.exit, "out")):
                rows.append(_new_stamp(session, actor, employee, line.day, minute, direction,
                                       None, reason, now, refresh=False))
    refresh_days(session, {(employee.institution_id, employee.id, r.local_date) for r in rows},
                 now)
    record(session, actor, "signature_sheet_entered", f"employee:{employee.id}",
           {"sheet": sheet, "days": sorted({line.day.isoformat() for line in lines})}, now=now)
    return rows


# ---- helpers ----------------------------------------------------------------------------


def _reason(reason: str) -> None:
    if not reason.strip():
        raise OfficeError("Indica il motivo della correzione", "Give the reason for the "
                          "correction", field="reason")
    bounded_text(reason, "reason")


def _in_force(session: Session, actor: User, stamp_id: int, reason: str) -> Stamp:
    require_office(actor, "correggere le timbrature", "correct stamps")
    _reason(reason)
    stamp = session.get(Stamp, stamp_id)
    if stamp is None or stamp.institution_id != actor.institution_id:
        raise NotFound(f"Timbratura {stamp_id} non trovata", f"Stamp {stamp_id} not found")
    if stamp.void or session.scalar(select(Stamp.id).where(Stamp.replaces_id == stamp_id)):
        raise OfficeError("Questa timbratura è già stata corretta o annullata",
                          "This stamp was already corrected or voided")
    return stamp


def _in_force_rows(session: Session, employee_id: int, day: date) -> list[Stamp]:
    rows = list(session.scalars(select(Stamp).where(Stamp.employee_id == employee_id,
                                                    Stamp.local_date == day)))
    replaced = {r.replaces_id for r in rows}
    return [r for r in rows if not r.void and r.id not in replaced]


def _new_stamp(session: Session, actor: User, employee: Employee, day: date, minute: int,
               direction: str | None, code: str | None, reason: str, now: datetime, *,
               replaces: Stamp | None = None, void: bool = False,
               refresh: bool = True) -> Stamp:
    ensure_open(session, employee.institution_id, day)
    if direction not in (None, "in", "out"):
        raise OfficeError("Direzione non valida", "Invalid direction", field="direction")
    if not 0 <= minute < 24 * 60:
        raise OfficeError("Orario non valido", "Invalid time", field="minute")
    policy = policy_on(session, employee.institution_id, day)
    version = policy.version_on(day)
    if code is not None and code not in version.codes:
        raise OfficeError(f"Il codice {code} non esiste nelle regole in vigore quel giorno",
                          f"Code {code} does not exist in the rules in force that day",
                          field="code")
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    row = Stamp(
        institution_id=employee.institution_id, source="manual", employee_id=employee.id,
        terminal_time=local.replace(tzinfo=ZoneInfo(policy.timezone)).astimezone(UTC),
        received_at=now, local_date=day, local_minute=minute, direction=direction, code=code,
        flags="",
        replaces_id=replaces.id if replaces else None, void=void,
        author=actor.username, reason=reason)
    session.add(row)
    session.flush()
    if refresh:
        refresh_days(session, [(employee.institution_id, employee.id, day)], now)
    return row


def _audit(session: Session, actor: User, action: str, row: Stamp, original: Stamp | None,
           reason: str, now: datetime | None) -> None:
    record(session, actor, action, f"stamp:{row.id}",
           {"employee_id": row.employee_id, "day": row.local_date.isoformat(),
            "replaces": original.id if original else None, "reason": reason,
            "minute": row.local_minute, "direction": row.direction, "code": row.code},
           now=now)
