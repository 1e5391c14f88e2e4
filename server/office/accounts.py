"""The accounts people log in with: created (CLI, demo, the administrator's pages) with a
one-time password that must be changed at the first login; listed, reset (a new one-time
password, which also ends the user's sessions) and unlocked by the administrator, audited;
and the login itself: who may log in, the lockout after repeated failures, the change of
password every one-time password leads to, their audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from server.db.directory import DirectoryError
from server.db.models import Employee, Institution, User
from server.errors import NotAllowed, NotFound, OfficeError
from server.office.audit import record
from server.office.passwords import (
    hash_password,
    needs_rehash,
    one_time_password,
    password_rules,
    verify_password,
)

ROLES = ("employee", "manager", "office", "admin")
MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)


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
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DirectoryError(f"username {username!r} is already taken")
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


def users_of(session: Session, institution_id: str) -> list[UserRow]:
    numbers = dict(list(session.execute(select(Employee.id, Employee.number).where(
        Employee.institution_id == institution_id)).all()))
    rows = session.scalars(select(User).where(User.institution_id == institution_id)
                           .order_by(User.username))
    return [user_row(u, numbers.get(u.employee_id) if u.employee_id else None) for u in rows]


def user_row(user: User, number: str | None) -> UserRow:
    locked = user.locked_until is not None and user.locked_until > datetime.now(UTC)
    return UserRow(user.id, user.username, user.display_name, user.role, number, user.unit,
                   user.active, user.must_change_password, locked, user.failed_logins)


def create_user(session: Session, actor: User, username: str, role: str, *,
                employee_number: str | None = None, unit: str | None = None,
                display_name: str | None = None) -> OneTimePassword:
    """A user of the administrator's institution, with a one-time password. Usernames are
    unique across institutions (a login names no institution), so the administrator's
    start with the institution's id and a dot: a name already taken can only be one of
    their own, and the refusal tells nothing about another institution's users."""
    _require_admin(actor)
    prefix = f"{actor.institution_id}."
    if not username.startswith(prefix) or len(username) == len(prefix):
        raise OfficeError(f"il nome utente deve cominciare con «{prefix}» (es. {prefix}mrossi)",
                          f"the username must start with '{prefix}' (e.g. {prefix}mrossi)",
                          field="username")
    try:
        made = add_user(session, actor.institution_id, username, role,
                        employee_number=employee_number, unit=unit,
                        display_name=display_name, by_user_id=actor.id)
    except DirectoryError as exc:
        raise OfficeError(f"utente non creato: {exc}", f"{exc}", field="username") from None
    return OneTimePassword(user_row(made.user, employee_number), made.password)


def reset_password(session: Session, actor: User, user_id: int) -> OneTimePassword:
    row = _account(session, actor, user_id)
    password = one_time_password()
    # A new hash changes the session key: every session of this user ends now.
    row.password_hash = hash_password(password)
    row.must_change_password = True
    row.failed_logins, row.locked_until, row.lockouts = 0, None, 0
    record(session, actor, "password_reset", f"user:{row.id}")
    return OneTimePassword(user_row(row, _number(session, row)), password)


def unlock_user(session: Session, actor: User, user_id: int) -> UserRow:
    row = _account(session, actor, user_id)
    row.failed_logins, row.locked_until, row.lockouts = 0, None, 0
    record(session, actor, "user_unlocked", f"user:{row.id}")
    return user_row(row, _number(session, row))


def _require_admin(actor: User) -> None:
    if actor.role != "admin":
        raise NotAllowed("Solo l'amministratore gestisce gli utenti",
                         "Only the administrator manages users")


def _account(session: Session, actor: User, user_id: int) -> User:
    _require_admin(actor)
    row = session.get(User, user_id)
    if row is None or row.institution_id != actor.institution_id:
        raise NotFound("Non trovato", "Not found")
    return row


def _number(session: Session, user: User) -> str | None:
    employee = session.get(Employee, user.employee_id) if user.employee_id else None
    return employee.number if employee else None


class Refusal(Enum):
    """Why a login is refused: all a person is told."""

    LOCKED = "locked"  # too many failures lately
    WRONG = "wrong"  # unknown user, wrong password, or an account that may not log in


def may_log_in(session: Session, user: User) -> bool:
    """An active user, and, when linked to an employee, one who still works here: a
    deactivated employee (`server.office.activation`) is logged out and cannot log in."""
    if not user.active:
        return False
    if user.employee_id is None:
        return True
    employee = session.get(Employee, user.employee_id)
    return employee is not None and employee.active


def log_in(session: Session, username: str, password: str,
           now: datetime | None = None) -> User | Refusal:
    """The user these credentials name, or why not. Every attempt is audited.

    An existing account's attempt is taken before its password is checked, in a
    transaction of its own (`_take_attempt`): of any number of guesses sent at once, only
    `MAX_FAILURES` are checked before the lock, and the last of them sets it. Each lock
    lasts twice the one before (`lock_length`), from a minute to `LONGEST_LOCK`. Every
    refusal costs one password verification, so its time does not tell an unknown name,
    a locked account and a wrong password apart."""
    now = now or datetime.now(UTC)
    username = username.strip()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        verify_password(None, password)
        record(session, None, "login_failed", f"username:{username[:80]}",
               {"reason": "unknown username"})
        return Refusal.WRONG
    attempt = _take_attempt(session, user.id, now)
    if attempt is None:
        verify_password(None, password)
        record(session, user, "login_refused_locked", f"user:{user.id}")
        return Refusal.LOCKED
    # A deactivated employee's user is refused like a wrong password: nothing tells.
    usable = may_log_in(session, user)
    if not verify_password(user.password_hash if usable else None, password):
        record(session, user, "login_failed", f"user:{user.id}", {"attempt": attempt.number})
        if attempt.locked_for is not None:
            record(session, user, "login_locked", f"user:{user.id}",
                   {"minutes": int(attempt.locked_for.total_seconds() // 60)})
        return Refusal.WRONG
    session.execute(update(User).where(User.id == user.id).values(
        failed_logins=0, locked_until=None, lockouts=0))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(session, user, "login", f"user:{user.id}")
    return user


def lock_length(lockouts: int) -> timedelta:
    """The lock after `lockouts` earlier ones since the last good login."""
    length: timedelta = FIRST_LOCK * 2 ** min(lockouts, 16)
    return min(length, LONGEST_LOCK)


@dataclass(frozen=True)
class _Attempt:
    number: int  # 1 to MAX_FAILURES: the failures in a row this one would make
    locked_for: timedelta | None  # set when this attempt locked the account


def _take_attempt(session: Session, user_id: int, now: datetime) -> _Attempt | None:
    """Count an attempt on the account, unless it is locked (None). Committed at once on a
    connection of its own, before the slow password check: a read-modify-write in the
    caller's transaction let 26 parallel guesses through before the lock, not 5."""
    bind = session.get_bind()
    assert isinstance(bind, Engine), "log_in needs a session bound to an engine"
    with bind.begin() as connection:
        taken = connection.execute(
            update(User).where(User.id == user_id, or_(User.locked_until.is_(None),
                                                       User.locked_until <= now))
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins, User.lockouts)).first()
        if taken is None:
            return None
        number, lockouts = taken
        if number < MAX_FAILURES:
            return _Attempt(number, None)
        # The last attempt before the lock sets it: whatever happens to this request, the
        # account is locked, and a right password here lifts it again.
        length = lock_length(lockouts)
        connection.execute(update(User).where(User.id == user_id).values(
            failed_logins=0, locked_until=now + length, lockouts=User.lockouts + 1))
        return _Attempt(number, length)


def change_password(session: Session, user: User, current: str, new: str, confirm: str,
                    now: datetime | None = None) -> list[str]:
    """Change `user`'s password, or say what is wrong (one sentence each, Italian /
    English; nothing changes then). The new password follows the institution's rules in
    force; the one-time password's obligation ends; audited `password_changed`."""
    now = now or datetime.now(UTC)
    rules = password_rules(session, user.institution_id, now)
    if not verify_password(user.password_hash, current):
        return ["La password attuale non è corretta. / The current password is wrong."]
    problems = rules.problems(new, user.username)
    if new != confirm:
        problems.append("Le due nuove password non coincidono. / The two new passwords differ.")
    if new == current:
        problems.append("La nuova password deve essere diversa. / "
                        "The new password must be different.")
    if problems:
        return problems
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now
    record(session, user, "password_changed", f"user:{user.id}", {"rule": rules.source})
    return []
