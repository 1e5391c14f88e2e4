"""The employee's own schedule, kept by the personnel office: the schedule periods on the
employee's page (`/admin/employees/{id}`, whose page is `employee_changes.py`) and the month's
rota (`/office/rota`), with their API. The services are `server.office.schedules` and
`server.office.rota`; the stored days a change affects are marked dirty and the web's
recompute worker is kicked after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated

from litestar import get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Employee
from server.db.schedule_tables import SchedulePeriod
from server.errors import OfficeError
from server.i18n.current import gettext
from server.office.csv_files import ImportRefused
from server.office.rota import MAX_CSV_BYTES, MAX_ENTRIES, RotaChange, import_rota, rota_month
from server.office.rota import set_rota as set_rota_days
from server.office.schedules import periods_of, set_period
from server.web.dependencies import AuthUser, DbSession, after_commit
from server.web.errors import status_of
from server.web.guards import MANAGER, OFFICE, allow
from server.web.office_calls import acting_user, month_of, parse_day
from server.web.routes.employee_changes import employee_page_with
from server.web.routing import FORM, UPLOAD, together
from server.web.scope import mine
from server.web.wording import WEEKDAYS

OFFICE_ONLY = allow(OFFICE)
READERS = allow(MANAGER, OFFICE)
MAX_REASON = 500


@dataclass(frozen=True)
class PeriodView:
    id: int
    starts: date
    ends: date | None  # inclusive; None: open-ended
    profile: str
    chosen: list[int]  # ISO weekdays, 1 = Monday
    reason: str
    set_at: datetime


@dataclass
class PeriodIn:
    """A schedule period: `ends` empty for open-ended; `chosen` the ISO weekdays the
    employee chooses, where the profile lets them."""

    starts: date
    profile: str
    ends: date | None = None
    chosen: list[int] = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True)
class PeriodOutcome:
    period: PeriodView
    marked: int  # stored day results marked for recompute


@dataclass
class PeriodForm:
    starts: str = ""
    ends: str = ""
    profile: str = ""
    reason: str = ""
    d1: str = ""
    d2: str = ""
    d3: str = ""
    d4: str = ""
    d5: str = ""
    d6: str = ""
    d7: str = ""

    def chosen(self) -> list[int]:
        return [n for n in range(1, 8) if getattr(self, f"d{n}")]


@dataclass(frozen=True)
class RotaEntry:
    employee_id: int
    day: date
    shift: str | None = None  # None (or absent) clears the day


@dataclass(frozen=True)
class RotaEntryView:
    employee_id: int
    number: str
    day: date
    shift: str


@dataclass
class RotaIn:
    year: int
    month: int
    entries: list[RotaEntry]


@dataclass
class RotaCsvIn:
    csv: str


@dataclass(frozen=True)
class RotaOutcome:
    set: int
    cleared: int
    marked: int


@dataclass
class RotaForm:
    number: str = ""
    day: str = ""
    shift: str = ""


@dataclass
class RotaUpload:
    file: UploadFile | None = None


def period_view(period: SchedulePeriod) -> PeriodView:
    return PeriodView(period.id, period.starts, period.ends, period.profile,
                      sorted(period.chosen_days), period.reason, period.set_at)


def _outcome(change: RotaChange) -> RotaOutcome:
    return RotaOutcome(change.set, change.cleared, change.marked)


@post("/admin/employees/{employee_id:int}/schedule", opt=OFFICE_ONLY, sync_to_thread=True,
      status_code=303)
def period_form(db: DbSession, user: AuthUser, state: State, employee_id: FromPath[int],
                data: Annotated[PeriodForm, FORM]) -> Template | Redirect:
    employee = mine(db, Employee, employee_id, user)
    try:
        with db.begin_nested():
            ends = parse_day(data.ends, "ends") if data.ends.strip() else None
            set_period(db, acting_user(db, user), employee.id, parse_day(data.starts, "starts"),
                       ends, data.profile.strip(), data.chosen(),
                       reason=data.reason[:MAX_REASON + 1])
    except OfficeError as error:
        return employee_page_with(db, user, employee, error=error, error_in="schedule",
                                  typed=vars(data), status=status_of(error))
    after_commit(db, state.day_worker.kick)
    return Redirect(f"/admin/employees/{employee.id}?done=schedule#schedule", status_code=303)


@get("/api/v1/admin/employees/{employee_id:int}/schedules", opt=READERS, sync_to_thread=True)
def periods_api(db: DbSession, user: AuthUser, employee_id: FromPath[int]) -> list[PeriodView]:
    """The employee's schedule periods, earliest first; a day none covers follows the
    employee's profile."""
    return [period_view(p) for p in periods_of(db, acting_user(db, user), employee_id)]


@post("/api/v1/admin/employees/{employee_id:int}/schedules", opt=OFFICE_ONLY,
      sync_to_thread=True, status_code=201)
def period_api(db: DbSession, user: AuthUser, state: State, employee_id: FromPath[int],
               data: JSONBody[PeriodIn]) -> PeriodOutcome:
    """Set a schedule period: it trims, splits or replaces the periods it overlaps. Refused
    (400, the field in `extra`): a profile the rules in force lack, chosen days it does not
    allow, a closed month, an end before the start, a date more than a year ahead."""
    if len(data.reason) > MAX_REASON or len(data.chosen) > 7 or len(data.profile) > 60:
        raise ValidationException(gettext("Fields too long"))
    change = set_period(db, acting_user(db, user), mine(db, Employee, employee_id, user).id,
                        data.starts, data.ends, data.profile, data.chosen, reason=data.reason)
    after_commit(db, state.day_worker.kick)
    return PeriodOutcome(period_view(change.period), change.marked)


# ---- the rota ---------------------------------------------------------------------------


def _rota_page(db: Session, user: AuthUser, month: str | None, unit: str | None, *,
               error: OfficeError | None = None, errors: list[str] | None = None,
               done: str | None = None, status: int = 200) -> Template:
    year, number = month_of(month, datetime.now(UTC).date())
    rota = rota_month(db, acting_user(db, user), year, number, unit or None)
    units = sorted({e.unit for e in rota.employees if e.unit})
    return Template("office_rota.html", status_code=status, context={
        "rota": rota, "month": f"{year:04d}-{number:02d}", "unit": unit or "",
        "units": units, "weekdays": WEEKDAYS, "may_edit": user.role == OFFICE,
        "error": error, "errors": errors or [], "done": done})


@get("/office/rota", opt=READERS, sync_to_thread=True)
def rota_page(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None,
              unit: FromQuery[str | None] = None,
              done: FromQuery[str | None] = None) -> Template:
    """The month's rota of a unit or of the institution: one row per employee."""
    return _rota_page(db, user, month, unit, done=done)


@post("/office/rota", opt=OFFICE_ONLY, sync_to_thread=True, status_code=303)
def rota_form(db: DbSession, user: AuthUser, state: State,
              data: Annotated[RotaForm, FORM]) -> Template | Redirect:
    try:
        with db.begin_nested():
            day = parse_day(data.day)
            employee_id = db.scalar(select(Employee.id).where(
                Employee.institution_id == user.institution_id,
                Employee.number == data.number.strip()[:40]))
            if employee_id is None:
                raise OfficeError("Matricola sconosciuta", "Unknown number", field="number")
            set_rota_days(db, acting_user(db, user), day.year, day.month,
                          {(employee_id, day): data.shift.strip() or None})
    except OfficeError as error:
        return _rota_page(db, user, None, None, error=error, status=status_of(error))
    after_commit(db, state.day_worker.kick)
    return Redirect(f"/office/rota?month={day:%Y-%m}&done=1", status_code=303)


@post("/office/rota/import", opt=OFFICE_ONLY, sync_to_thread=True, status_code=303)
def rota_upload(db: DbSession, user: AuthUser, state: State,
                data: Annotated[RotaUpload, UPLOAD]) -> Template | Redirect:
    raw = data.file.file.read(MAX_CSV_BYTES + 1) if data.file is not None else b""
    try:
        with db.begin_nested():
            import_rota(db, acting_user(db, user), raw)
    except ImportRefused as refused:
        return _rota_page(db, user, None, None, error=refused,
                          errors=[str(e) for e in refused.errors], status=400)
    except OfficeError as error:
        return _rota_page(db, user, None, None, error=error, status=status_of(error))
    after_commit(db, state.day_worker.kick)
    return Redirect("/office/rota?done=1", status_code=303)


@get("/api/v1/office/rota", opt=READERS, sync_to_thread=True)
def rota_api(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None,
             unit: FromQuery[str | None] = None) -> list[RotaEntryView]:
    """The month's rota (`month=YYYY-MM`, default this one; `unit` to narrow it): one entry
    per employee and day with a shift, of the employees the user sees."""
    year, number = month_of(month, datetime.now(UTC).date())
    rota = rota_month(db, acting_user(db, user), year, number, unit or None)
    numbers = {e.id: e.number for e in rota.employees}
    return [RotaEntryView(e, numbers[e], d, s) for (e, d), s in sorted(rota.shifts.items())]


@post("/api/v1/office/rota", opt=OFFICE_ONLY, sync_to_thread=True, status_code=200)
def rota_set_api(db: DbSession, user: AuthUser, state: State,
                 data: JSONBody[RotaIn]) -> RotaOutcome:
    """Set or clear (`shift` null) days of one month's rota, all or none. Refused (400): a
    day outside the month, a shift the rules in force do not define for the employee's
    profile that day, a closed month; another institution's employee is a 404."""
    if len(data.entries) > MAX_ENTRIES or not 1 <= data.month <= 12 or not (
            1900 < data.year < 3000):
        raise ValidationException(gettext("Invalid month or too many days"))
    entries = {(e.employee_id, e.day): (e.shift or "").strip() or None for e in data.entries}
    change = set_rota_days(db, acting_user(db, user), data.year, data.month, entries)
    after_commit(db, state.day_worker.kick)
    return _outcome(change)


@post("/api/v1/office/rota/import", opt=OFFICE_ONLY, sync_to_thread=True, status_code=200)
def rota_import_api(db: DbSession, user: AuthUser, state: State,
                    data: JSONBody[RotaCsvIn]) -> RotaOutcome:
    """Import the rota from CSV text: header `number;day;shift` (or `matricola;data;turno`),
    semicolons or commas; an empty shift clears the day. With any error nothing is written
    and the answer is 400 with the errors per line."""
    try:
        change = import_rota(db, acting_user(db, user), data.csv)
    except ImportRefused as refused:
        raise ValidationException(gettext(
            "Import refused, nothing was written: %(lines)s",
            lines="; ".join(str(e) for e in refused.errors))) from None
    after_commit(db, state.day_worker.kick)
    return _outcome(change)


ROUTES = together(period_form, periods_api, period_api, rota_page, rota_form, rota_upload,
                  rota_api, rota_set_api, rota_import_api, tag="Office: schedules and rota")
