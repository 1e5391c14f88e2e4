"""Stamping from the workstation's browser (seed 000's ENTRATA / USCITA buttons) and from a
phone inside an area the office has drawn (seed 002).

Which of the two is allowed is the rule file's `stamping { sources ... }` on the day:
`web` for the workstation, `app` for the phone. A phone's stamp carries the position once;
it is checked against the areas and not kept. The stamp is a Stamp row with source "web"
or "app".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.facts import load_facts
from server.days.month_lock import ensure_open
from server.days.results import refresh_days
from server.days.rules_in_force import policy_at
from server.db.models import Stamp, User
from server.errors import NotAllowed, NotFound, OfficeError
from server.office.areas import area_containing, areas_of, valid_position
from server.office.people import employee_visible


@dataclass(frozen=True)
class Allowed:
    web: bool
    app: bool
    areas: int  # how many areas the office has drawn

    @property
    def needs_position(self) -> bool:
        """Only the phone inside an area may stamp: every stamp must carry the position
        (a browser's stamp without one would go round the area)."""
        return self.app and not self.web


def allowed_sources(db: Session, institution_id: str, now: datetime) -> Allowed:
    try:
        policy, day = policy_at(db, institution_id, now)
        version = policy.version_on(day)
    except LookupError:  # no rules at all, or none in force yet
        return Allowed(False, False, 0)
    sources = version.stamping.sources.value if version.stamping and \
        version.stamping.sources else ()
    return Allowed("web" in sources, "app" in sources, len(areas_of(db, institution_id)))


def stamp_now(db: Session, user: User, direction: str,
              position: tuple[float, float] | None, now: datetime) -> Stamp:
    """Record a stamp from the browser (no position) or the phone (with one); the day is
    recomputed in the same transaction, so the timecard shows it at once. The same button
    pressed again within a minute answers with the stamp already made."""
    if user.employee_id is None:
        raise NotFound("Nessun dipendente collegato a questo utente.",
                       "No employee is linked to this account.")
    employee = employee_visible(db, user, user.employee_id)
    if direction not in ("in", "out"):
        raise OfficeError("Scegli entrata o uscita", "Choose in or out", field="direction")
    allowed = allowed_sources(db, user.institution_id, now)
    if position is None:
        source = "web"
        if allowed.needs_position:
            raise NotAllowed("Le regole in vigore chiedono la posizione: timbra dal telefono, "
                             "dentro un'area", "The rules in force require the position: "
                             "stamp from your phone, inside an area")
        if not allowed.web:
            raise NotAllowed("Le regole in vigore non consentono di timbrare dal web",
                             "The rules in force do not allow stamping from the web")
    else:
        source = "app"
        if not allowed.app:
            raise NotAllowed("Le regole in vigore non consentono di timbrare dal telefono",
                             "The rules in force do not allow stamping from a phone")
        latitude, longitude = position
        if not valid_position(latitude, longitude):
            raise OfficeError("Posizione non valida", "Invalid position", field="position")
        if area_containing(areas_of(db, user.institution_id), latitude, longitude) is None:
            raise NotAllowed("Sei fuori dalle aree in cui si può timbrare",
                             "You are outside the areas where stamping is allowed")
    local = now.astimezone(ZoneInfo(policy_at(db, user.institution_id, now)[0].timezone))
    ensure_open(db, employee.institution_id, local.date())
    repeated = _just_stamped(db, employee.id, direction, now)
    if repeated is not None:
        return repeated
    row = Stamp(institution_id=employee.institution_id, source=source,
                employee_id=employee.id, terminal_time=now, received_at=now,
                local_date=local.date(), local_minute=local.hour * 60 + local.minute,
                direction=direction, code=None, flags="", void=False,
                author=user.username)
    db.add(row)
    db.flush()
    refresh_days(db, [(employee.institution_id, employee.id, local.date())], now)
    return row


# A second press within this time, same direction, is the same stamp: a double click or a
# form sent again from the browser's history must not make a pair of entries.
REPEAT_WINDOW = timedelta(seconds=60)


def _just_stamped(db: Session, employee_id: int, direction: str, now: datetime) -> Stamp | None:
    """The last browser or phone stamp if it is this one again (in, out, in stays three)."""
    last = db.scalar(select(Stamp).where(
        Stamp.employee_id == employee_id, Stamp.source.in_(("web", "app")),
        Stamp.received_at > now - REPEAT_WINDOW, Stamp.received_at <= now,
    ).order_by(Stamp.received_at.desc(), Stamp.id.desc()).limit(1))
    return last if last is not None and last.direction == direction else None


@dataclass(frozen=True)
class TodayStamp:
    minute: int  # local minutes since midnight
    direction: str | None
    source: str


def stamps_today(db: Session, employee_id: int, institution_id: str,
                 now: datetime) -> list[TodayStamp]:
    """The employee's stamps in force today (the institution's local day), by time: what
    the stamping page shows under its buttons."""
    day = policy_at(db, institution_id, now)[1]
    stamps = load_facts(db, [employee_id], day, day).stamps.get((employee_id, day), [])
    return [TodayStamp(s.minute, s.direction, s.source)
            for s in sorted(stamps, key=lambda s: s.minute)]
