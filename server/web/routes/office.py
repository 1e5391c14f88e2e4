"""Personnel office: the month's flags (more than 3 missed stamps, seed 003), badge
replacement fees (seed 003/004), and the areas a phone may stamp in (seed 002).

Flags are also for managers, who see their unit: they are the ones who talk to the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.rules_in_force import RulesInForce, policy_at
from server.db.models import Employee
from server.errors import OfficeError
from server.office import areas, fees
from server.office.people import employees_seen_by
from server.office.summary import evaluate_months
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user, form_id, month_of, previous_month
from server.web.routing import together
from server.web.scope import known_id, visible_employee

OFFICE_ONLY = allow(OFFICE)


@dataclass(frozen=True)
class FlagRow:
    employee_id: int
    number: str
    name: str
    unit: str | None
    flag: str
    count: int
    over: int
    message: str  # English; `message_id` and `args` word it in the reader's language
    source: str  # file:line of the rule
    message_id: str
    args: list[Any]


def _employees(db: Session, user: CurrentUser, first: date | None = None) -> list[Employee]:
    return employees_seen_by(db, acting_user(db, user), first)


def month_flags(db: Session, user: CurrentUser, month: str | None) -> tuple[str, list[FlagRow]]:
    year, number = month_of(month or previous_month(date.today()), date.today())
    people = _employees(db, user, date(year, number, 1))
    results = evaluate_months(db, RulesInForce(db, [user.institution_id]), people, year, number)
    rows = [FlagRow(e.id, e.number, e.name, e.unit, f.name, f.count, f.over, f.message,
                    f.source, f.message_id, list(f.args))
            for e in people for f in results[e.id].flags]
    return f"{year:04d}-{number:02d}", rows


@get("/office/flags", opt=allow(MANAGER, OFFICE), sync_to_thread=True)
def flags_page(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None) -> Template:
    """Segnalazioni del mese: who crossed a threshold (e.g. more than 3 missed stamps)."""
    try:
        label, rows = month_flags(db, user, month)
    except OfficeError as error:
        return Template("office_flags.html", status_code=status_of(error), context={
            "month": month, "rows": [], "error": error})
    return Template("office_flags.html", context={"month": label, "rows": rows,
                                                  "error": None})


@get("/api/v1/flags", opt=allow(MANAGER, OFFICE), sync_to_thread=True)
def flags_api(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None,
              ) -> list[FlagRow]:
    """The month's flags (`month=YYYY-MM`, default last month) of the people one sees."""
    return month_flags(db, user, month)[1]


@dataclass
class FeeForm:
    employee_id: str = ""
    reason: str = ""  # lost, damaged, demagnetised, stolen
    new_badge: str = ""


@dataclass(frozen=True)
class FeeRow:
    id: int
    employee_id: int
    employee: str
    badge_code: str
    reason: str
    euros: str  # "5,00"
    created_at: str


@dataclass(frozen=True)
class FeeRule:
    name: str  # badge_replacement, badge_lost, ...
    euros: str  # "5,00"
    then_euros: str | None  # "10,00" from the second time, None if always the same


@dataclass(frozen=True)
class BadgeReplacement:
    employee_id: int
    reason: str
    revoked: list[str]  # the badges revoked
    new_badge: str | None
    fee: FeeRow | None  # None: the rules in force define no fee, none was recorded


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _fee_rules(db: Session, user: CurrentUser) -> list[FeeRule]:
    """The badge fees of the rules in force today; empty when they define none."""
    try:
        policy, today = policy_at(db, user.institution_id, datetime.now(UTC))
        version = policy.version_on(today)
    except LookupError:
        return []
    return [FeeRule(name, _euros(first), None if then is None else _euros(then))
            for name, (first, then) in sorted(fees.badge_fees(version).items())]


def _fee_rows(db: Session, user: CurrentUser) -> list[FeeRow]:
    charged = fees.fees_of(db, acting_user(db, user))
    names = {e.id: f"{e.number} · {e.name}" for e in db.scalars(select(Employee).where(
        Employee.id.in_({f.employee_id for f in charged})))} if charged else {}
    return [FeeRow(f.id, f.employee_id, names.get(f.employee_id, ""), f.badge_code, f.reason,
                   _euros(f.amount_cents),
                   f.created_at.isoformat()[:16].replace("T", " "))
            for f in charged]


def _fees_page(db: Session, user: CurrentUser, error: OfficeError | None = None,
               form: FeeForm | None = None, status_code: int = 200,
               done: str | None = None) -> Template:
    return Template("office_fees.html", status_code=status_code, context={
        "fees": _fee_rows(db, user), "employees": _employees(db, user),
        "fee_rules": _fee_rules(db, user), "reasons": fees.REASONS, "error": error,
        "form": form or FeeForm(), "done": done if done in ("charged", "free") else None})


@get("/office/fees", opt=OFFICE_ONLY, sync_to_thread=True)
def fees_page(db: DbSession, user: AuthUser, done: FromQuery[str | None] = None) -> Template:
    """Sostituzione badge: charge the fee the rules set (if any), revoke the old badge."""
    return _fees_page(db, user, done=done)


@post("/office/fees", opt=OFFICE_ONLY, sync_to_thread=True)
def charge_fee(db: DbSession, user: AuthUser,
               data: Annotated[FeeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
               ) -> Template | Redirect:
    try:
        with db.begin_nested():
            employee = visible_employee(db, user, form_id(data.employee_id))
            replaced = fees.replace_badge(db, acting_user(db, user), employee.id, data.reason,
                                          new_badge=data.new_badge.strip() or None)
    except OfficeError as error:
        return _fees_page(db, user, error, data, status_of(error))
    done = "free" if replaced.fee is None else "charged"
    return Redirect(f"/office/fees?done={done}", status_code=303)


@get("/api/v1/fees", opt=OFFICE_ONLY, sync_to_thread=True)
def fees_api(db: DbSession, user: AuthUser) -> list[FeeRow]:
    """Badge replacement fees charged in the institution, newest first."""
    return _fee_rows(db, user)


@dataclass
class FeeIn:
    employee_id: int
    reason: str  # lost, damaged, demagnetised, stolen
    new_badge: str | None = None


@post("/api/v1/fees", opt=OFFICE_ONLY, sync_to_thread=True)
def charge_fee_api(db: DbSession, user: AuthUser, data: JSONBody[FeeIn]) -> BadgeReplacement:
    """Replace a badge: old badges revoked, the new one issued, and the fee the rules set
    (first or later); `fee` is null when the rules in force define none."""
    employee = visible_employee(db, user, known_id(data.employee_id))
    replaced = fees.replace_badge(db, acting_user(db, user), employee.id, data.reason,
                                  new_badge=(data.new_badge or "").strip() or None)
    fee = replaced.fee
    row = None if fee is None else next(r for r in _fee_rows(db, user) if r.id == fee.id)
    return BadgeReplacement(employee.id, data.reason, replaced.revoked, replaced.new_badge, row)


@dataclass
class AreaForm:
    name: str = ""
    latitude: str = ""
    longitude: str = ""
    radius_m: str = ""


def _area(data: AreaForm) -> tuple[float, float, int]:
    """The form's texts: "45,4605" as well as "45.4605"; each refusal names its field."""
    return (areas.coordinate(data.latitude, "latitude"),
            areas.coordinate(data.longitude, "longitude"), areas.radius(data.radius_m))


def _areas_page(db: Session, user: CurrentUser, error: OfficeError | None = None,
                status_code: int = 200) -> Template:
    return Template("office_areas.html", status_code=status_code, context={
        "areas": areas.areas_of(db, user.institution_id), "error": error})


@get("/office/areas", opt=OFFICE_ONLY, sync_to_thread=True)
def areas_page(db: DbSession, user: AuthUser) -> Template:
    """Aree di timbratura: circles (centre and radius) inside which a phone may stamp."""
    return _areas_page(db, user)


@post("/office/areas", opt=OFFICE_ONLY, sync_to_thread=True)
def add_area(db: DbSession, user: AuthUser,
             data: Annotated[AreaForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
             ) -> Template | Redirect:
    try:
        with db.begin_nested():
            areas.add_area(db, acting_user(db, user), data.name, *_area(data))
    except OfficeError as error:
        return _areas_page(db, user, error, status_of(error))
    return Redirect("/office/areas", status_code=303)


@post("/office/areas/{area_id:int}/delete", opt=OFFICE_ONLY, sync_to_thread=True)
def delete_area(db: DbSession, user: AuthUser, area_id: FromPath[int]) -> Redirect:
    areas.delete_area(db, acting_user(db, user), known_id(area_id))
    return Redirect("/office/areas", status_code=303)


ROUTES = together(flags_page, flags_api, fees_page, charge_fee, fees_api, charge_fee_api,
                  areas_page, add_area, delete_area, tag="Office: flags, fees, areas")
