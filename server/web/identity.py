"""Who is asking: the session, the user it names, and the middleware that puts them on
every request as `request.user` (a `CurrentUser`, or None when nobody is logged in).

A session holds the user's id and a key derived from their password hash, so changing the
password ends every other session of that user. The session id is replaced at login
(session fixation) and the old one deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, ScopeSession, Send
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_at
from server.db.models import User
from server.i18n.current import use_zone
from server.office.accounts import may_log_in

SESSION_USER = "uid"
SESSION_KEY = "key"
# Set on request.state by the login handler: issue a fresh session id with this response.
ROTATE_SESSION = "timbra_rotate_session"


@dataclass(frozen=True)
class CurrentUser:
    """The person behind a request, as every handler sees them."""

    id: int
    username: str
    display_name: str
    role: str  # employee, manager, office, admin
    institution_id: str
    employee_id: int | None
    unit: str | None
    must_change_password: bool
    timezone: str = "Europe/Rome"  # the institution's, as its rules in force say

    @classmethod
    def of(cls, user: User, timezone: str = "Europe/Rome") -> CurrentUser:
        return cls(user.id, user.username, user.display_name, user.role, user.institution_id,
                   user.employee_id, user.unit, user.must_change_password, timezone)


def session_key(secret: str, user: User) -> str:
    """Changes whenever the password does, which ends the user's older sessions."""
    message = f"{user.id}:{user.password_hash}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def session_for(secret: str, user: User) -> dict[str, Any]:
    """The session data of a logged-in `user` (tests use it to skip the login form)."""
    return {SESSION_USER: user.id, SESSION_KEY: session_key(secret, user)}


def load_user(engine: Engine, secret: str, data: dict[str, Any]) -> CurrentUser | None:
    """The active user a session names, or None. A lockout stops new logins only: failing
    five logins on someone's name must not throw them out of the session they are in."""
    uid = data.get(SESSION_USER)
    if not isinstance(uid, int):
        return None
    with Session(engine) as session:
        user = session.get(User, uid)
        if user is None or not may_log_in(session, user):
            return None
        if not hmac.compare_digest(str(data.get(SESSION_KEY, "")), session_key(secret, user)):
            return None
        return CurrentUser.of(user, _timezone(session, user.institution_id))


_ZONES: dict[str, tuple[float, str]] = {}
ZONE_SECONDS = 300  # a rule file's new time zone shows on the pages within five minutes


def _timezone(session: Session, institution_id: str) -> str:
    """The institution's time zone, for the times pages show (never UTC)."""
    known = _ZONES.get(institution_id)
    if known is not None and time.monotonic() - known[0] < ZONE_SECONDS:
        return known[1]
    try:
        zone = policy_at(session, institution_id, datetime.now(UTC))[0].timezone
    except LookupError:
        zone = "Europe/Rome"
    _ZONES[institution_id] = (time.monotonic(), zone)
    return zone


class IdentityMiddleware:
    """Sets `scope["user"]` for every HTTP request; guards decide what it may reach."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            state = scope["app"].state
            data = scope.get("session")
            user = None
            if isinstance(data, dict) and data:
                user = await anyio.to_thread.run_sync(load_user, state.engine, state.secret,
                                                      data)
            scope["user"] = user
            if user is not None:
                with use_zone(user.timezone):  # the times the pages show
                    await self.app(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, plus a new session id when a handler asks for one."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE_SESSION):
            fresh = state.get("timbra_fresh_session_id")
            if fresh is None:
                fresh = state["timbra_fresh_session_id"] = self.generate_session_id()
            return str(fresh)
        return super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        old = connection.cookies.get(self.config.key)
        if not scope_session:
            # Only logged-in people have a stored session: anonymous requests must not
            # each leave a file behind.
            if not old or old == "null":
                return
            scope_session = Empty
        await super().store_in_message(scope_session, message, connection)
        if old and connection.scope.get("state", {}).get(ROTATE_SESSION):
            await self.delete(old, self.config.get_store_from_app(connection.scope["app"]))


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
