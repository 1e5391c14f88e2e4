"""Creating the accounts people log in with (CLI and demo); each starts with a one-time
password that must be changed at the first login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.directory import DirectoryError
from server.db.models import Employee, Institution, User
from server.office.audit import record
from server.web.passwords import hash_password, one_time_password

ROLES = ("employee", "manager", "office", "admin")


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str  # shown once; only its hash is stored


def add_user(session: Session, institution_id: str, username: str, role: str, *,
             employee_number: str | None = None, unit: str | None = None,
             display_name: str | None = None, password: str | None = None,
             by_user_id: int | None = None) -> NewUser:
    """Create a user; `password` defaults to a fresh one-time password."""
    if role not in ROLES:
        raise DirectoryError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if session.get(Institution, institution_id) is None:
        raise DirectoryError(f"unknown institution {institution_id!r}")
    if not username or len(username) > 100 or username != username.strip():
        raise DirectoryError("username: 1 to 100 characters, no leading or trailing spaces")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DirectoryError(f"username {username!r} is already taken")
    employee: Employee | None = None
    if employee_number is not None:
        employee = session.scalar(select(Employee).where(
            Employee.institution_id == institution_id, Employee.number == employee_number))
        if employee is None:
            raise DirectoryError(
                f"no employee with number {employee_number!r} in {institution_id}")
    if role == "employee" and employee is None:
        raise DirectoryError("an employee account needs --employee NUMBER")
    if role == "manager" and not unit:
        raise DirectoryError("a manager needs --unit, the unit they approve for")
    secret = password or one_time_password()
    user = User(institution_id=institution_id, username=username,
                display_name=display_name or (employee.name if employee else username),
                role=role, employee_id=employee.id if employee else None, unit=unit,
                password_hash=hash_password(secret), must_change_password=True,
                failed_logins=0, active=True, created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    record(session, session.get(User, by_user_id) if by_user_id is not None else None,
           "user_created", f"user:{user.id}", {"username": username, "role": role},
           institution_id=institution_id)
    return NewUser(user, secret)
