"""«Password dimenticata?»: ask for a link by username, then set the new password through
it (`server.office.password_reset`). Public pages: whoever asks reads the same answer; an
address that asks too often waits (429), as for logins."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.errors import OfficeError
from server.i18n.current import gettext
from server.office import password_reset
from server.office.passwords import PasswordRules, password_rules
from server.web.dependencies import DbSession
from server.web.guards import PUBLIC
from server.web.routes.auth import sso_choices
from server.web.routing import together
from server.web.throttle import Throttle

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class ForgotForm:
    username: str = ""


@dataclass
class NewPasswordForm:
    new: str = ""
    confirm: str = ""


def _sso_institutions(state: State) -> set[str]:
    return {inst for inst, sso in state.sso.institutions.items() if sso.methods}


@get("/password/forgot", opt=PUBLIC, sync_to_thread=True)
def forgot_page(state: State, db: DbSession) -> Template:
    return Template("password_forgot.html", context={
        "sent": False, "error": None, "sso": sso_choices(db, state)})


@post("/password/forgot", opt=PUBLIC, sync_to_thread=True, status_code=200)
def forgot(request: Request[Any, Any, Any], state: State, db: DbSession,
           data: Annotated[ForgotForm, FORM]) -> Template:
    """The same page whatever the username: "if it exists and has an address, a link was
    sent"; the audit keeps what happened."""
    address = request.client.host if request.client else "-"
    throttle: Throttle = state.reset_throttle
    wait = throttle.wait_left(address)
    if wait:
        message = gettext("Too many attempts from this address: try again in %(minutes)s "
                          "minutes.", minutes=math.ceil(wait / 60))
        return Template("password_forgot.html", status_code=429,
                        headers={"retry-after": str(math.ceil(wait))},
                        context={"sent": False, "error": message,
                                 "sso": sso_choices(db, state)})
    throttle.failed(address, db=db)  # every ask counts: the page is no way to probe or to spam
    password_reset.request_reset(db, data.username,
                                 sso_institutions=_sso_institutions(state))
    return Template("password_forgot.html", context={
        "sent": True, "error": None, "sso": sso_choices(db, state),
        "minutes": int(password_reset.LIFETIME.total_seconds() // 60)})


def _rules(db: Session, token: str) -> PasswordRules:
    link = password_reset.valid_link(db, token)
    return password_rules(db, link.user.institution_id, datetime.now(UTC))


def _dead_link(error: OfficeError) -> Template:
    return Template("password_reset.html", status_code=400,
                    context={"dead": error, "rules": None, "problems": [], "token": ""})


@get("/password/reset/{token:str}", opt=PUBLIC, sync_to_thread=True)
def reset_page(db: DbSession, token: FromPath[str]) -> Template:
    try:
        rules = _rules(db, token)
    except OfficeError as error:
        return _dead_link(error)
    return Template("password_reset.html", context={
        "dead": None, "rules": rules, "problems": [], "token": token})


@post("/password/reset/{token:str}", opt=PUBLIC, sync_to_thread=True, status_code=303)
def reset(db: DbSession, token: FromPath[str],
          data: Annotated[NewPasswordForm, FORM]) -> Template | Redirect:
    try:
        problems = password_reset.reset_password(db, token, data.new, data.confirm)
        rules = _rules(db, token) if problems else None
    except OfficeError as error:
        return _dead_link(error)
    if problems:
        return Template("password_reset.html", status_code=400, context={
            "dead": None, "rules": rules, "problems": problems, "token": token})
    return Redirect("/login?reset=done", status_code=303)


ROUTES = together(forgot_page, forgot, reset_page, reset, tag="Login")
