"""CSRF tokens bound to the session: Litestar's CSRF middleware, whose double-submit
check (the form's token must match the `timbra_csrf` cookie) accepts any pair an attacker
made for himself and planted as a cookie in the victim's browser (a sibling subdomain, a
plain-http response). Once a session exists, the one token it accepts is derived from a
random seed kept in that session (server-side), so a token from another session, or
from before the login, is refused. Anonymous requests (the login form) keep Litestar's
check.

The cookie follows the session: any response whose session has a seed carries its
token when the browser's cookie differs (after login, a password change, a lost cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from secrets import compare_digest
from typing import Any

from litestar.connection import Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_hash
from litestar.types import Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from server.i18n.current import gettext
from server.web.litestar_refusals import CSRF_REFUSED

SEED = "csrf"  # the session key holding the seed


def session_token(secret: str, seed: str) -> str:
    """The session's token, in Litestar's own format (64 hex characters and their HMAC)."""
    token = hmac.new(secret.encode(), f"csrf-session:{seed}".encode(),
                     hashlib.sha256).hexdigest()
    return token + generate_csrf_hash(token=token, secret=secret)


def _seed_of(scope: Scope, create: bool) -> str | None:
    session = scope.get("session")
    if not isinstance(session, dict) or not session:
        return None
    seed = session.get(SEED)
    if not isinstance(seed, str) and create:
        # A session made before tokens were bound, or by a handler: bind it now.
        seed = session[SEED] = secrets.token_hex(16)
    return seed if isinstance(seed, str) else None


class SessionCSRFMiddleware(CSRFMiddleware):
    """Registered after the session middleware (it reads `scope["session"]`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(
            scope=scope, receive=receive)
        follow = self._follow_session(scope, send, request.cookies.get(self.config.cookie_name))
        safe = request.method in self.config.safe_methods
        seed = _seed_of(scope, create=safe)
        if seed is None:
            # Anonymous: Litestar's own double-submit check (the login form).
            await super().__call__(scope, receive, follow)
            return
        expected = session_token(self.config.secret, seed)
        if not safe:
            submitted = request.headers.get(self.config.header_name)
            if not submitted and request.content_type[0] in (RequestEncodingType.URL_ENCODED,
                                                              RequestEncodingType.MULTI_PART):
                submitted = (await request.form()).get("_csrf_token")
            if not isinstance(submitted, str) or not compare_digest(submitted, expected):
                raise PermissionDeniedException(gettext(CSRF_REFUSED))
        ScopeState.from_scope(scope).csrf_token = expected
        await self.app(scope, receive, follow)

    def _follow_session(self, scope: Scope, send: Send, held: str | None) -> Send:
        """Send the session's token as the cookie when the session, as the handler left it
        (a login makes a new one), has a token the browser does not hold yet."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                seed = _seed_of(scope, create=True)
                token = session_token(self.config.secret, seed) if seed else None
                if token is not None and token != held:
                    message.setdefault("headers", [])
                    self._set_cookie_if_needed(message=message, token=token)
            await send(message)

        return wrapped
