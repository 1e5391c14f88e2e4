"""The home page, one block per role, and who-am-I for the API.

An employee (or a manager, an office clerk with an employee record) sees their today; a
manager their unit; the personnel office the month it is working on; everyone their
latest notifications. Each block is read by `server.office.home` in a few queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from server.db.models import Institution, User
from server.engine.results import Explain
from server.errors import NotFound, OfficeError
from server.minutes import clock
from server.office import home as blocks
from server.office.notifications import latest
from server.office.terminals import terminal_statuses
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import EVERYONE, allow
from server.web.language import said
from server.web.navigation import menu_for
from server.web.office_calls import acting_user
from server.web.routes.summaries import DEADLINE_LABELS
from server.web.routing import together

ANOMALIES_SHOWN = 50  # the office's list; the rest are counted, and on the flags page
UNIT_PAGE = 25  # people of the manager's unit a page


@dataclass(frozen=True)
class PeoplePage:
    """The part of the manager's unit the page shows: found by name or number, paged."""

    people: list[blocks.Colleague]
    who: str
    page: int
    pages: int
    found: int


def people_page(unit: blocks.UnitToday | None, who: str, page: int) -> PeoplePage | None:
    if unit is None:
        return None
    who = who.strip()[:100]
    wanted = who.casefold()
    found = [p for p in unit.people if wanted in p.employee.name.casefold()
             or wanted in p.employee.number.casefold()]
    pages = max(1, -(-len(found) // UNIT_PAGE))
    page = min(max(page, 1), pages)
    return PeoplePage(found[(page - 1) * UNIT_PAGE:page * UNIT_PAGE], who, page, pages,
                      len(found))


@get("/", opt=allow(*EVERYONE), sync_to_thread=True)
def home(user: AuthUser, db: DbSession, who: FromQuery[str] = "",
         page: FromQuery[int] = 1) -> Template:
    """The home page; `who` and `page` search and page the manager's unit."""
    institution = db.get(Institution, user.institution_id)
    actor = acting_user(db, user)
    shown = blocks_for(db, actor, datetime.now(UTC))
    unit = shown["unit"]
    return Template("home.html", context={
        "institution": institution.name if institution else user.institution_id,
        "menu": [item for item in menu_for(user.role, user.employee_id) if item.path != "/"],
        **shown,
        "unit_page": people_page(unit if isinstance(unit, blocks.UnitToday) else None,
                                 who, page),
        "notifications": latest(db, actor),
        "deadline_labels": DEADLINE_LABELS, "anomalies_shown": ANOMALIES_SHOWN})


def blocks_for(db: Session, actor: User, now: datetime) -> dict[str, object]:
    """The blocks of the actor's role; a block that cannot be computed (no rules in force
    yet) says why instead of taking the page down."""
    shown: dict[str, object] = {"mine": None, "unit": None, "office": None, "terminals": None}
    wanted: dict[str, Callable[[], object]] = {}
    if actor.role in ("employee", "manager", "office"):
        wanted["mine"] = lambda: blocks.employee_today(db, actor, now)
    if actor.role == "manager":
        wanted["unit"] = lambda: blocks.unit_today(db, actor, now)
    if actor.role == "office":
        wanted["office"] = lambda: blocks.office_month(db, actor, now)
    if actor.role == "admin":
        wanted["terminals"] = lambda: [
            s for s in terminal_statuses(db, actor.institution_id, now)
            if s.status in ("offline", "silent")]
    problems = []
    for name, compute in wanted.items():
        try:
            shown[name] = compute()
        except OfficeError as error:
            problems.append(said(error))
    return {**shown, "problems": problems}


@dataclass(frozen=True)
class Me:
    id: int
    username: str
    display_name: str
    role: str
    institution_id: str
    employee_id: int | None
    unit: str | None


@get("/api/v1/me", opt=allow(*EVERYONE), sync_to_thread=False)
def me(user: AuthUser) -> Me:
    """The logged-in user: role, institution, linked employee."""
    return Me(user.id, user.username, user.display_name, user.role, user.institution_id,
              user.employee_id, user.unit)


@dataclass(frozen=True)
class RuleLine:
    rule: str  # as written in the rule file
    source: str  # file:line


@dataclass(frozen=True)
class LeaveView:
    """"If I leave now", in minutes and local HH:MM: the day as the engine evaluates it
    with an exit at `now`, and the earliest exits reaching the due and the meal voucher."""

    date: str
    now: str
    state: str  # no_entry (nothing to compute), at_work, out (already stamped out)
    worked: int | None
    due: int | None
    balance: int | None
    meal_voucher: bool | None
    due_reached: bool
    leave_for_due: str | None  # None: reached, or no exit before midnight reaches it
    leave_for_voucher: str | None  # None: earned, not in the rules, or out of reach today
    voucher_in_rules: bool
    due_rule: RuleLine | None
    voucher_rule: RuleLine | None


def leave_view(today: blocks.EmployeeToday) -> LeaveView:
    leave = today.leaving
    if leave is None:
        raise NotFound("Oggi non è un giorno di servizio nel tuo contratto",
                       "Today is not a day under your contract")
    result = leave.result
    return LeaveView(
        today.today.isoformat(), clock(leave.now), leave.state,
        result.worked if result else None, result.due if result else None,
        result.balance if result else None, result.meal_voucher if result else None,
        leave.due_reached, clock(leave.due_at) if leave.due_at is not None else None,
        clock(leave.voucher_at) if leave.voucher_at is not None else None,
        leave.has_voucher_rule, _line(leave.due_rule), _line(leave.voucher_rule))


def _line(explain: Explain | None) -> RuleLine | None:
    return RuleLine(explain.rule, explain.source) if explain else None


@get("/api/v1/me/today", opt=allow(*EVERYONE), sync_to_thread=True)
def my_today(user: AuthUser, db: DbSession) -> LeaveView:
    """The logged-in employee's "if I leave now": worked so far, the day's balance, the
    meal voucher, and the time to leave to reach the due and to earn the voucher, each
    with the rule (file:line) that sets it."""
    today = blocks.employee_today(db, acting_user(db, user), datetime.now(UTC))
    if today is None:
        raise NotFound("Questo account non ha una scheda dipendente",
                       "This account has no employee record")
    return leave_view(today)


ROUTES = together(home, me, my_today, tag="Home")
