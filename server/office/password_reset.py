"""«Password dimenticata?»: a link mailed to the user, good once for `LIFETIME`, to set a
new password that follows the institution's rules.

Asking tells nothing: whatever the username (unknown, without an address, inactive,
asked too often) the person reads the same answer, and only the audit keeps the reason.
The link goes through the notifications' outbox (`notifications.tell`, `outbox`) in the
user's language; only the token's SHA-256 is stored in `password_resets`. The mail's own
copy of the link is blanked once the mail is sent (`outbox`) or the link is used, so the
outbox keeps no usable link. A user whose institution signs people in through its own
provider, and who never had a password of their own (an account the provider created),
is mailed that instead of a link. Setting the new password ends every session of the user
(the session key follows the hash: `server.web.identity`), lifts a lock, ends the user's
other links, and is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.db.models import User
from server.db.notifications import Notification
from server.db.password_resets import PasswordReset
from server.errors import OfficeError
from server.office.accounts import may_log_in
from server.office.audit import record
from server.office.notifications import tell
from server.office.passwords import hash_password, password_rules

LIFETIME = timedelta(minutes=30)
# Mails one user may be sent in WINDOW: more asks are answered alike and send nothing, so
# nobody can flood a colleague's mailbox from the login page.
PER_USER = 3
WINDOW = timedelta(hours=1)
MAX_TOKEN = 100  # characters: a token is 43; anything longer names no link
RESET_KINDS = ("password_reset", "password_sso")
SPENT_LINK = "/password/forgot"  # what a sent or used mail's link becomes


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def request_reset(session: Session, username: str, *, sso_institutions: Collection[str] = (),
                  now: datetime | None = None) -> None:
    """Mail `username` a reset link (or, for a provider's account, where to sign in), if
    the account may have one; otherwise nothing but the audit. The caller answers the same
    whatever happened."""
    now = now or datetime.now(UTC)
    username = username.strip()[:100]
    user = session.scalar(select(User).where(User.username == username)) if username else None
    reason = _why_not(session, user, now)
    if user is None or reason is not None:
        record(session, user, "password_reset_refused",
               f"user:{user.id}" if user else f"username:{username[:80]}",
               {"reason": reason or "unknown username"},
               institution_id=user.institution_id if user else None, now=now)
        return
    if user.institution_id in sso_institutions and _provider_account(user):
        tell(session, [user], "password_sso", f"password_sso:{now.isoformat()}", {}, "/login",
             now)
        record(session, user, "password_reset_requested", f"user:{user.id}",
               {"sent": "sso"}, now=now)
        return
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(institution_id=user.institution_id, user_id=user.id,
                          token_hash=token_hash(token), created_at=now,
                          expires_at=now + LIFETIME)
    session.add(reset)
    session.flush()
    tell(session, [user], "password_reset", f"password_reset:{reset.id}",
         {"minutes": int(LIFETIME.total_seconds() // 60)}, f"/password/reset/{token}", now)
    record(session, user, "password_reset_requested", f"user:{user.id}",
           {"sent": "link", "expires_at": reset.expires_at.isoformat()}, now=now)


def _why_not(session: Session, user: User | None, now: datetime) -> str | None:
    if user is None:
        return "unknown username"
    if not may_log_in(session, user):
        return "inactive"
    if not user.email:
        return "no e-mail address"
    recent = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind.in_(RESET_KINDS),
        Notification.created_at > now - WINDOW)) or 0
    return "asked too often" if recent >= PER_USER else None


def _provider_account(user: User) -> bool:
    """Created by the sign-in provider (`sso.identities`): never had a password to forget."""
    return user.password_changed_at is None and not user.must_change_password


@dataclass(frozen=True)
class Link:
    reset: PasswordReset
    user: User


def valid_link(session: Session, token: str, now: datetime | None = None) -> Link:
    """The live link `token` opens, or a refusal that does not say why (used, expired,
    unknown look alike)."""
    now = now or datetime.now(UTC)
    reset = session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == token_hash(token))) if 0 < len(token) <= MAX_TOKEN else None
    user = session.get(User, reset.user_id) if reset else None
    if (reset is None or user is None or reset.used_at is not None or reset.expires_at <= now
            or not may_log_in(session, user)):
        raise OfficeError("Il collegamento non è valido o è scaduto: chiedine un altro",
                          "The link is not valid or has expired: ask for another one",
                          field="token")
    return Link(reset, user)


def reset_password(session: Session, token: str, new: str, confirm: str,
                   now: datetime | None = None) -> list[str]:
    """Set the password the link's user chose, or say what is wrong with it (Italian /
    English, one sentence each; nothing changes then). A dead link: `OfficeError`."""
    now = now or datetime.now(UTC)
    link = valid_link(session, token, now)
    user = link.user
    rules = password_rules(session, user.institution_id, now)
    problems = rules.problems(new, user.username)
    if new != confirm:
        problems.append("Le due nuove password non coincidono. / The two new passwords differ.")
    if problems:
        return problems
    user.password_hash = hash_password(new)  # a new hash: every session of the user ends
    user.must_change_password = False
    user.password_changed_at = now
    user.failed_logins, user.locked_until, user.lockouts = 0, None, 0
    session.execute(update(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)).values(used_at=now))
    spend_links(session, user.id)
    record(session, user, "password_reset_done", f"user:{user.id}",
           {"rule": rules.source, "link": link.reset.id}, now=now)
    return []


def spend_links(session: Session, user_id: int | None = None,
                notification_id: int | None = None) -> None:
    """Blank the link of reset mails (a user's, or one just sent): the outbox keeps none."""
    query = update(Notification).where(Notification.kind == "password_reset")
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    session.execute(query.values(link=SPENT_LINK))
