"""Where and in which language a user's notifications are e-mailed: set by the
administrator or the personnel office of the user's institution, audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import User
from server.errors import NotAllowed, NotFound, OfficeError
from server.i18n.catalogues import LOCALES
from server.office.audit import record

MAX_EMAIL = 254  # RFC 5321's limit on a path
# One address, nothing around it: no spaces, no second @, no header-breaking characters.
EMAIL = re.compile(r"[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[^@\s<>,;:\".]+")
EDITORS = ("admin", "office")


@dataclass(frozen=True)
class Contact:
    user_id: int
    username: str
    display_name: str
    role: str
    email: str | None
    language: str | None


def contacts(session: Session, actor: User) -> list[Contact]:
    """The institution's users with their e-mail address and language, by username."""
    _editor(actor)
    return [Contact(u.id, u.username, u.display_name, u.role, u.email, u.language)
            for u in session.scalars(select(User).where(
                User.institution_id == actor.institution_id).order_by(User.username))]


def set_contact(session: Session, actor: User, user_id: int, email: str,
                language: str) -> User:
    """Set (or clear, with an empty text) a user's address, and their language."""
    _editor(actor)
    user = session.get(User, user_id)
    if user is None or user.institution_id != actor.institution_id:
        raise NotFound(f"Utente {user_id} non trovato", f"User {user_id} not found")
    email = email.strip()
    if len(email) > MAX_EMAIL or (email and not EMAIL.fullmatch(email)):
        raise OfficeError("Indirizzo e-mail non valido", "Not a valid e-mail address",
                          field="email")
    if language not in LOCALES:
        raise OfficeError("Lingua non disponibile", "Language not available", field="language")
    before = {"email": user.email, "language": user.language}
    user.email, user.language = email or None, language
    session.flush()
    record(session, actor, "user_contact_changed", f"user:{user.id}",
           {"before": before, "after": {"email": user.email, "language": user.language}})
    return user


def _editor(actor: User) -> None:
    if actor.role not in EDITORS:
        raise NotAllowed("Solo l'amministratore o l'ufficio del personale",
                         "Only the administrator or the personnel office")
