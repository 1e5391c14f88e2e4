"""Login, logout and the password change every one-time password leads to."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Institution
from server.i18n.current import N_, gettext
from server.office import accounts
from server.office.audit import record
from server.office.passwords import password_rules
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import EVERYONE, PUBLIC, allow
from server.web.identity import ROTATE_SESSION, session_for
from server.web.office_calls import acting_user
from server.web.routing import together
from server.web.throttle import Throttle

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""
    next: str = "/"


@dataclass
class PasswordForm:
    current: str = ""
    new: str = ""
    confirm: str = ""


def safe_next(target: str | None) -> str:
    """Only a path on this site: `//evil.example` or `https://…` would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def sso_choices(db: Session, state: State) -> list[dict[str, Any]]:
    """What the login page offers besides the password: each institution with single
    sign-on configured (`routes/sso.py`), its name and its methods."""
    configured = {inst: sso.methods for inst, sso in state.sso.institutions.items()
                  if sso.methods}
    if not configured:
        return []
    names = {row.id: row.name for row in db.execute(
        select(Institution.id, Institution.name).where(Institution.id.in_(list(configured))))}
    return [{"id": inst, "name": names.get(inst, inst), "methods": methods}
            for inst, methods in sorted(configured.items())]


@get("/login", opt=PUBLIC, sync_to_thread=True)
def login_page(state: State, db: DbSession, next: FromQuery[str | None] = None,
               reset: FromQuery[str | None] = None) -> Template:
    return Template("login.html", context={"next": safe_next(next), "error": None,
                                           "sso": sso_choices(db, state),
                                           "reset_done": reset == "done"})


# One answer for every refused login: an unknown name, a wrong password and a locked
# account must look alike, or the answer tells which usernames exist.
REFUSED = N_("Wrong username or password, or too many attempts: try again in a few minutes.")


@post("/login", opt=PUBLIC, sync_to_thread=True, status_code=303)
def login(request: Request[Any, Any, Any], state: State, db: DbSession,
          data: Annotated[LoginForm, FORM]) -> Template | Redirect:
    target = safe_next(data.next)
    address = request.client.host if request.client else "-"
    throttle: Throttle = state.login_throttle
    wait = throttle.wait_left(address)
    if wait:
        minutes = math.ceil(wait / 60)
        message = gettext("Too many attempts from this address: try again in %(minutes)s "
                          "minutes.", minutes=minutes)
        return _login_error(target, sso_choices(db, state), message, status=429,
                            headers={"retry-after": str(math.ceil(wait))})
    user = accounts.log_in(db, data.username, data.password)
    if isinstance(user, accounts.Refusal):
        throttle.failed(address, db=db)
        return _login_error(target, sso_choices(db, state), gettext(REFUSED))
    request.set_session(session_for(state.secret, user))
    request.state[ROTATE_SESSION] = True
    return Redirect("/password" if user.must_change_password else target, status_code=303)


def _login_error(target: str, choices: list[dict[str, Any]], message: str, status: int = 401,
                 headers: dict[str, str] | None = None) -> Template:
    return Template("login.html", context={"next": target, "error": message, "sso": choices},
                    status_code=status, headers=headers)


@post("/logout", opt=allow(*EVERYONE, password_change=True), sync_to_thread=True,
      status_code=303)
def logout(request: Request[Any, Any, Any], db: DbSession, user: AuthUser) -> Redirect:
    record(db, acting_user(db, user), "logout", f"user:{user.id}")
    request.clear_session()
    return Redirect("/login", status_code=303)


@get("/password", opt=allow(*EVERYONE, password_change=True), sync_to_thread=True)
def password_page(db: DbSession, user: AuthUser) -> Template:
    return _password_template(db, user, [], 200)


@post("/password", opt=allow(*EVERYONE, password_change=True), sync_to_thread=True,
      status_code=303)
def change_password(request: Request[Any, Any, Any], state: State, db: DbSession,
                    user: AuthUser, data: Annotated[PasswordForm, FORM]) -> Template | Redirect:
    row = acting_user(db, user)
    problems = accounts.change_password(db, row, data.current, data.new, data.confirm)
    if problems:
        return _password_template(db, user, problems, 400)
    # The session key follows the hash: this session stays, the user's others end.
    request.set_session(session_for(state.secret, row))
    request.state[ROTATE_SESSION] = True
    return Redirect("/", status_code=303)


def _password_template(db: Session, user: AuthUser, problems: list[str],
                       status: int) -> Template:
    rules = password_rules(db, user.institution_id, datetime.now(UTC))
    return Template("password.html", status_code=status, context={
        "rules": rules, "problems": problems, "forced": user.must_change_password})


ROUTES = together(login_page, login, logout, password_page, change_password, tag="Login")
