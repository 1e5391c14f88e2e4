"""From an identity the institution's provider vouches for to the timbra user it is.

The provider has checked the person (OIDC, SAML, LDAP bind); what is left is which user of
*this* institution the identity's value names, by the institution's `match` field. An
identity naming nobody here, or a user of another institution, or an account that may not
log in, is refused with a sentence the person can take to the office, and audited with the
reason. Accounts are created only where the institution's settings say `provision`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Employee, User
from server.errors import OfficeError
from server.office.accounts import may_log_in
from server.office.audit import record
from server.office.passwords import hash_password
from server.office.sso.config import InstitutionSso

MAX_IDENTITY = 200  # longer than any uid, e-mail or fiscal code


class IdentityRefused(OfficeError):
    """The provider's identity is no usable user of this institution."""


def sign_in(session: Session, sso: InstitutionSso, method: str, value: str,
            now: datetime | None = None) -> User:
    """The user `value` names in `sso.institution_id`, logged in through `method`
    ("oidc", "saml", "ldap"); audited `login` with the method, or `sso_refused`."""
    now = now or datetime.now(UTC)
    inst = sso.institution_id
    value = value.strip()
    if not value or len(value) > MAX_IDENTITY or not value.isprintable():
        _refuse(session, inst, method, value, "no usable identity")
    user = _user_named(session, sso, value)
    if user is None and sso.provision:
        user = _provision(session, sso, value, now)
    if user is None:
        _refuse(session, inst, method, value, "no user")
    assert user is not None
    if user.institution_id != inst:
        _refuse(session, inst, method, value, "another institution's user")
    if not may_log_in(session, user):
        record(session, user, "sso_refused", f"user:{user.id}",
               {"method": method, "reason": "inactive"}, now=now)
        raise IdentityRefused(
            "Il tuo account timbra non è attivo: rivolgiti all'ufficio del personale.",
            "Your timbra account is not active: ask the personnel office.")
    record(session, user, "login", f"user:{user.id}", {"method": method, "identity": value},
           now=now)
    return user


def _user_named(session: Session, sso: InstitutionSso, value: str) -> User | None:
    if sso.match == "username":
        return session.scalar(select(User).where(User.username == value))
    employee = session.scalar(select(Employee).where(
        Employee.institution_id == sso.institution_id, Employee.number == value))
    if employee is None:
        return None
    return session.scalar(select(User).where(User.employee_id == employee.id)
                          .order_by(User.id).limit(1))


def _provision(session: Session, sso: InstitutionSso, value: str,
               now: datetime) -> User | None:
    """An employee account for the employee numbered `value`, if there is one and the
    username is free; its local password is random and never shown: it signs in here."""
    employee = session.scalar(select(Employee).where(
        Employee.institution_id == sso.institution_id, Employee.number == value))
    username = f"{sso.institution_id}.{value}"
    if employee is None or session.scalar(
            select(User.id).where(User.username == username)) is not None:
        return None
    user = User(institution_id=sso.institution_id, username=username,
                display_name=employee.name, role="employee", employee_id=employee.id,
                password_hash=hash_password(secrets.token_urlsafe(32)),
                must_change_password=False, failed_logins=0, active=True, created_at=now)
    session.add(user)
    session.flush()
    record(session, None, "user_provisioned", f"user:{user.id}",
           {"username": username, "employee": value}, institution_id=sso.institution_id,
           now=now)
    return user


def _refuse(session: Session, inst: str, method: str, value: str, reason: str) -> None:
    """One answer whatever the reason: who the users of other institutions are stays
    unknown; the audit keeps the reason."""
    shown = shown_identity(value)
    record(session, None, "sso_refused", f"identity:{shown}",
           {"method": method, "reason": reason}, institution_id=inst)
    raise IdentityRefused(
        f"L'identità «{shown}» non corrisponde a nessun utente di timbra di questo ente: "
        "rivolgiti all'ufficio del personale.",
        f"The identity '{shown}' matches no timbra user of this institution: "
        "ask the personnel office.")


def shown_identity(value: str, limit: int = 80) -> str:
    """What a page and the audit show of an identity: printable, at most `limit`
    characters (PostgreSQL refuses a NUL in text; a provider's value is not ours to trust)."""
    return "".join(c if c.isprintable() else "?" for c in value.strip()[:limit])


def record_failure(session: Session, institution_id: str, method: str, reason: str,
                   identity: str = "") -> None:
    """A sign-in the provider or the directory refused, or whose answer was not
    trusted: audited `sso_failed` in the institution, with what the person gave."""
    record(session, None, "sso_failed", f"identity:{shown_identity(identity)}",
           {"method": method, "reason": shown_identity(reason, 300)},
           institution_id=institution_id)
