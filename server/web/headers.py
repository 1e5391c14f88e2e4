"""Security headers on every response, and `Secure` on every cookie of a request that came
over TLS.

The scheme is the one the ASGI server gives: uvicorn reports `https` when it terminates TLS
itself, or when a proxy among its `forwarded_allow_ips` (default: 127.0.0.1) says so in
`X-Forwarded-Proto`. HSTS is sent only then: over plain http a browser ignores it, and on a
development machine it would pin the name to https.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import Message, Scope

# Pages use only their own scripts, styles and images (static/*.js, no inline code) and are
# never framed. The API documentation (Swagger UI) loads its bundle from a CDN and starts it
# inline, so /schema only keeps the framing rule.
PAGES_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SCHEMA_CSP = "frame-ancestors 'none'"
ALWAYS = (("x-frame-options", "DENY"), ("x-content-type-options", "nosniff"),
          ("referrer-policy", "same-origin"))
HSTS = "max-age=31536000"


async def security_headers(message: Message, scope: Scope) -> None:
    """Litestar's `before_send` hook: it sees every response, a 404 for a path no route
    has and a refusal by a middleware included (a middleware would not)."""
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    csp = SCHEMA_CSP if scope.get("path", "").startswith("/schema") else PAGES_CSP
    headers = MutableScopeHeaders.from_message(message)
    for name, value in (*ALWAYS, ("content-security-policy", csp)):
        headers.setdefault(name, value)
    if scope.get("scheme") == "https":
        headers.setdefault("strict-transport-security", HSTS)
        _secure_cookies(message)


def _secure_cookies(message: Message) -> None:
    """Adds `Secure` to every Set-Cookie the response carries without it."""
    fixed: list[tuple[bytes, bytes]] = []
    given: list[tuple[bytes, bytes]] = list(message.get("headers", []))  # type: ignore[call-overload]
    for name, value in given:
        if name.lower() == b"set-cookie" and b"secure" not in [
                part.strip().lower() for part in value.split(b";")]:
            value = value + b"; Secure"
        fixed.append((name, value))
    message["headers"] = fixed  # type: ignore[typeddict-unknown-key]
