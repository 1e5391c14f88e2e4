"""Input no handler should see, refused at the edge with a 400 before any route runs.

A NUL character cannot be stored in a PostgreSQL text column (the driver raises, which
was a 500), and JSON nested hundreds deep overflows the decoder's recursion (another
500). `InputGuardMiddleware` reads the body of every unsafe request once, refuses both in
the query string, a form (urlencoded or the text parts and file names of a multipart
one) and JSON, and hands the same bytes on unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.middleware import MiddlewareProtocol
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, ReceiveMessage, Scope, Send

from server.i18n.current import N_, gettext

MAX_DEPTH = 32  # timbra's deepest document is 3; anything near the decoder's limit is abuse
MAX_BODY = 10_000_000  # Litestar's own request_max_body_size, held while reading once
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Message ids, worded when raised: the language middleware runs before this one.
NUL_REFUSED = N_("The NUL character (0x00) is not allowed in text fields")
TOO_DEEP = N_("JSON nested more than %(depth)s levels deep is not allowed")


class InputGuardMiddleware(MiddlewareProtocol):
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or _has_nul(parse_qsl(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)):
            raise ClientException(gettext(NUL_REFUSED))
        if scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        check_body(Headers.from_scope(scope).get("content-type", ""), body)
        await self.app(scope, _replay(body, receive), send)


def check_body(content_type: str, body: bytes) -> None:
    """Raises a 400 for a NUL in any text the body carries, or JSON nested too deep."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        if _has_nul(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)):
            raise ClientException(gettext(NUL_REFUSED))
    elif kind == "multipart/form-data":
        _check_multipart(content_type, body)
    elif body.strip()[:1] in (b"{", b"["):
        _check_json(body)


def _check_json(body: bytes) -> None:
    try:
        document = json.loads(body)
    except RecursionError:
        raise ClientException(gettext(TOO_DEEP, depth=MAX_DEPTH)) from None
    except ValueError:
        return  # not JSON: Litestar's own decoding answers it
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ClientException(gettext(NUL_REFUSED))
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ClientException(gettext(TOO_DEEP, depth=MAX_DEPTH))
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def _check_multipart(content_type: str, body: bytes) -> None:
    """File contents may hold any byte (a PDF does); the text fields and the file names
    (stored as the attachment's name) may not."""
    boundary = next((p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";")
                     if p.strip().lower().startswith("boundary=")), "")
    if not boundary:
        return
    for part in body.split(b"--" + boundary.encode("latin-1")):
        head, _, content = part.partition(b"\r\n\r\n")
        is_file = b"filename" in head.lower()
        if b"\x00" in head or b"%00" in head or (not is_file and b"\x00" in content):
            raise ClientException(gettext(NUL_REFUSED))


def _has_nul(pairs: list[tuple[str, str]]) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(status_code=413, detail=gettext("Request too large"))
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once, as one message; then whatever the client sends (a disconnect)."""
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        event: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
        return event

    return replay
