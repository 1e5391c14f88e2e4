"""The home page and who-am-I for the API."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import get
from litestar.response import Template

from server.db.models import Institution
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import EVERYONE, allow
from server.web.navigation import menu_for
from server.web.routing import together


@get("/", opt=allow(*EVERYONE), sync_to_thread=True)
def home(user: AuthUser, db: DbSession) -> Template:
    institution = db.get(Institution, user.institution_id)
    return Template("home.html", context={
        "institution": institution.name if institution else user.institution_id,
        "menu": [item for item in menu_for(user.role) if item.path != "/"]})


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
