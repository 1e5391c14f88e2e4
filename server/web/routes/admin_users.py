"""Users of the institution: list, add with a one-time password, reset a forgotten
password (a new one-time password, which also ends the user's sessions), unlock after too
many failed logins. A one-time password is shown once and must be changed at next login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from litestar import get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.directory import DirectoryError
from server.db.models import Employee, User
from server.office.audit import record
from server.web.accounts import ROLES, add_user
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import ADMIN, allow
from server.web.office_calls import acting_user
from server.web.passwords import hash_password, one_time_password
from server.web.routing import FORM, NO_STORE, together
from server.web.scope import mine

ROLE_WORDS = {"employee": "dipendente / employee", "manager": "responsabile / manager",
              "office": "ufficio personale / personnel office",
              "admin": "amministratore / administrator"}


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    employee_number: str | None
    unit: str | None
    active: bool
    must_change_password: bool
    locked: bool
    failed_logins: int


@dataclass(frozen=True)
class OneTimePassword:
    user: UserRow
    password: str  # shown once; the user must change it at the next login


@dataclass
class UserForm:
    username: str = ""
    role: str = "employee"
    display_name: str = ""
    employee_number: str = ""
    unit: str = ""


def users(db: Session, institution_id: str) -> list[UserRow]:
    numbers = dict(list(db.execute(select(Employee.id, Employee.number).where(
        Employee.institution_id == institution_id)).all()))
    rows = db.scalars(select(User).where(User.institution_id == institution_id)
                      .order_by(User.username))
    return [_row(u, numbers.get(u.employee_id) if u.employee_id else None) for u in rows]


def _row(user: User, number: str | None) -> UserRow:
    locked = user.locked_until is not None and user.locked_until > datetime.now(UTC)
    return UserRow(user.id, user.username, user.display_name, user.role, number, user.unit,
                   user.active, user.must_change_password, locked, user.failed_logins)


def create(db: Session, admin: AuthUser, form: UserForm) -> OneTimePassword:
    try:
        made = add_user(db, admin.institution_id, form.username.strip(), form.role,
                        employee_number=form.employee_number.strip() or None,
                        unit=form.unit.strip() or None,
                        display_name=form.display_name.strip() or None, by_user_id=admin.id)
    except DirectoryError as exc:
        raise ValidationException(f"{exc} / utente non creato") from None
    return OneTimePassword(_row(made.user, form.employee_number.strip() or None), made.password)


def reset(db: Session, admin: AuthUser, user_id: int) -> OneTimePassword:
    row = mine(db, User, user_id, admin)
    password = one_time_password()
    # A new hash changes the session key: every session of this user ends now.
    row.password_hash = hash_password(password)
    row.must_change_password = True
    row.failed_logins, row.locked_until = 0, None
    record(db, acting_user(db, admin), "password_reset", f"user:{row.id}")
    return OneTimePassword(_row(row, _number(db, row)), password)


def unlock(db: Session, admin: AuthUser, user_id: int) -> UserRow:
    row = mine(db, User, user_id, admin)
    row.failed_logins, row.locked_until = 0, None
    record(db, acting_user(db, admin), "user_unlocked", f"user:{row.id}")
    return _row(row, _number(db, row))


def _number(db: Session, user: User) -> str | None:
    employee = db.get(Employee, user.employee_id) if user.employee_id else None
    return employee.number if employee else None


def _page(db: Session, user: AuthUser, *, secret: OneTimePassword | None = None,
          error: str | None = None, form: UserForm | None = None, status: int = 200,
          unlocked: str | None = None) -> Template:
    return Template("admin_users.html", status_code=status, headers=NO_STORE, context={
        "users": users(db, user.institution_id), "roles": ROLES, "role_words": ROLE_WORDS,
        "secret": secret, "error": error, "form": form or UserForm(), "unlocked": unlocked})


@get("/admin/users", opt=allow(ADMIN), sync_to_thread=True)
def users_page(db: DbSession, user: AuthUser) -> Template:
    return _page(db, user)


@post("/admin/users", opt=allow(ADMIN), sync_to_thread=True, status_code=200)
def add_user_page(db: DbSession, user: AuthUser, data: Annotated[UserForm, FORM]) -> Template:
    """Answered with the page, not a redirect: the one-time password is shown this once."""
    try:
        secret = create(db, user, data)
    except ValidationException as exc:
        return _page(db, user, error=str(exc.detail), form=data, status=400)
    return _page(db, user, secret=secret)


@post("/admin/users/{user_id:int}/reset", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def reset_page(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> Template:
    return _page(db, user, secret=reset(db, user, user_id))


@post("/admin/users/{user_id:int}/unlock", opt=allow(ADMIN), sync_to_thread=True,
      status_code=303)
def unlock_page(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> Redirect:
    unlock(db, user, user_id)
    return Redirect("/admin/users", status_code=303)


@get("/api/v1/admin/users", opt=allow(ADMIN), sync_to_thread=True)
def users_api(db: DbSession, user: AuthUser) -> list[UserRow]:
    """The institution's users: role, linked employee, unit, locked, must change password."""
    return users(db, user.institution_id)


@post("/api/v1/admin/users", opt=allow(ADMIN), sync_to_thread=True)
def add_user_api(db: DbSession, user: AuthUser, data: JSONBody[UserForm]) -> OneTimePassword:
    """Create a user (role employee needs `employee_number`, manager needs `unit`); the
    answer holds the one-time password, never shown again."""
    return create(db, user, data)


@post("/api/v1/admin/users/{user_id:int}/reset", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def reset_api(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> OneTimePassword:
    """A new one-time password for the user; their sessions end."""
    return reset(db, user, user_id)


@post("/api/v1/admin/users/{user_id:int}/unlock", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def unlock_api(db: DbSession, user: AuthUser, user_id: FromPath[int]) -> UserRow:
    """Lift a lockout after too many failed logins."""
    return unlock(db, user, user_id)


ROUTES = together(users_page, add_user_page, reset_page, unlock_page, users_api, add_user_api,
                  reset_api, unlock_api, tag="Admin: users")
