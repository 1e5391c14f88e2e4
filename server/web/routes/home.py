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
from server.errors import OfficeError
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
        "menu": [item for item in menu_for(user.role) if item.path != "/"],
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


ROUTES = together(home, me, tag="Home")
