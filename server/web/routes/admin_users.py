"""Users of the institution: list, add with a one-time password, reset a forgotten
password (a new one-time password, which also ends the user's sessions), unlock after too
many failed logins. A one-time password is shown once and must be changed at next login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.errors import OfficeError
from server.office.accounts import (
    ROLES,
    OneTimePassword,
    UserRow,
    create_user,
    reset_password,
    unlock_user,
    users_of,
)
from server.web.dependencies import AuthUser, DbSession
from server.web.errors import status_of
from server.web.guards import ADMIN, allow
from server.web.language import said
from server.web.navigation import ROLE_NAMES
from server.web.office_calls import acting_user
from server.web.routing import FORM, NO_STORE, together
from server.web.scope import known_id


@dataclass
class UserForm:
    username: str = ""
    role: str = "employee"
    display_name: str = ""
    employee_number: str = ""
    unit: str = ""


def create(db: Session, admin: AuthUser, form: UserForm) -> OneTimePassword:
    return create_user(db, acting_user(db, admin), form.username.strip(), form.role,
                       employee_number=form.employee_number.strip() or None,
                       unit=form.unit.strip() or None,
                       display_name=form.display_name.strip() or None)


def _page(db: Session, user: AuthUser, *, secret: OneTimePassword | None = None,
          error: str | None = None, form: UserForm | None = None, status: int = 200,
          unlocked: str | None = None) -> Template:
    return Template("admin_users.html", status_code=status, headers=NO_STORE, context={
        "users": users_of(db, user.institution_id), "roles": ROLES, "role_words": ROLE_NAMES,
        "secret": secret, "error": error, "form": form or UserForm(), "unlocked": unlocked,
        "prefix": f"{user.institution_id}."})


@get("/admin/users", opt=allow(ADMIN), sync_to_thread=True)
def users_page(db: DbSession, user: AuthUser) -> Template:
    return _page(db, user)


@post("/admin/users", opt=allow(ADMIN), sync_to_thread=True, status_code=200)
def add_user_page(db: DbSession, user: AuthUser, data: Annotated[UserForm, FORM]) -> Template:
    """Answered with the page, not a redirect: the one-time password is shown this once."""
    try:
        with db.begin_nested():
            secret = create(db, user, data)
    except OfficeError as error:
        return _page(db, user, error=said(error), form=data, status=status_of(error))
    return _page(db, user, secret=secret)


@post("/admin/users/{user_id:int}/reset", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def reset_page(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> Template:
    return _page(db, user, secret=reset_password(db, acting_user(db, user), known_id(user_id)))


@post("/admin/users/{user_id:int}/unlock", opt=allow(ADMIN), sync_to_thread=True,
      status_code=303)
def unlock_page(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> Redirect:
    unlock_user(db, acting_user(db, user), known_id(user_id))
    return Redirect("/admin/users", status_code=303)


@get("/api/v1/admin/users", opt=allow(ADMIN), sync_to_thread=True)
def users_api(db: DbSession, user: AuthUser) -> list[UserRow]:
    """The institution's users: role, linked employee, unit, locked, must change password."""
    return users_of(db, user.institution_id)


@post("/api/v1/admin/users", opt=allow(ADMIN), sync_to_thread=True)
def add_user_api(db: DbSession, user: AuthUser, data: JSONBody[UserForm]) -> OneTimePassword:
    """Create a user (role employee needs `employee_number`, manager needs `unit`); the
    answer holds the one-time password, never shown again."""
    return create(db, user, data)


@post("/api/v1/admin/users/{user_id:int}/reset", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def reset_api(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> OneTimePassword:
    """A new one-time password for the user; their sessions end."""
    return reset_password(db, acting_user(db, user), known_id(user_id))


@post("/api/v1/admin/users/{user_id:int}/unlock", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def unlock_api(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> UserRow:
    """Lift a lockout after too many failed logins."""
    return unlock_user(db, acting_user(db, user), known_id(user_id))


ROUTES = together(users_page, add_user_page, reset_page, unlock_page, users_api, add_user_api,
                  reset_api, unlock_api, tag="Admin: users")
