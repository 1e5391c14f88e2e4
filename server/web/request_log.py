"""Every request gets an id, one access-log line and a latency sample.

Wrapped around Litestar's router (as its OpenTelemetry plugin is), not in the route
middleware, so requests that match no route are counted too. The id is taken from an
`X-Request-ID` a proxy in front set (when it looks like one), else made here; it goes back
in the response's `x-request-id` header, on every log line of the request, and on the
error pages (server/web/errors.py), so what a person quotes finds the log lines.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.observe.logs import REQUEST_ID
from server.observe.metrics import REQUEST_SECONDS

ACCESS = logging.getLogger("timbra.web.access")
HEADER = "x-request-id"
# What a proxy may hand us: short, and nothing that could forge a log line or a header.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
UNMATCHED = "unmatched"  # one label for every path no route serves: scanners stay one series


def request_id_of(scope: Scope) -> str | None:
    """The id of the request being answered (None outside a request)."""
    state = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def _given(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            text = value.decode("latin-1")
            return text if _GIVEN_ID.fullmatch(text) else None
    return None


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        request_id = _given(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        status = 500  # if nothing was sent, the client saw the connection fail
        start = time.perf_counter()
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            seconds = time.perf_counter() - start
            route = scope.get("path_template") or UNMATCHED
            REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)
            ACCESS.info("%s %s %d", method, route, status, extra={
                "method": method, "route": route, "status": status,
                "duration_ms": round(seconds * 1000, 1)})

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Before the last byte leaves, not after: whoever holds the answer (the next
                # request, a scrape) finds its log line and its sample already there.
                record()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            record()  # nothing sent, or the answer broke off
            REQUEST_ID.reset(token)
