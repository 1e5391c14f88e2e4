"""How refusals look: pages get a readable page (or the login form), the API gets JSON.

Both the office's refusals (`server.errors.OfficeError` and its kinds) and Litestar's own
HTTP exceptions come here, registered once in `create_app`; `STATUS` is the one table
from a refusal's kind to its HTTP status.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotAuthorizedException,
    NotFoundException,
)
from litestar.response import Redirect, Template

from server.errors import Busy, MonthClosed, NotAllowed, NotFound, OfficeError
from server.i18n.current import gettext
from server.web.guards import PasswordChangeRequired
from server.web.language import API_PREFIX, said
from server.web.litestar_refusals import SERVER_FAULT, reworded
from server.web.request_log import request_id_of
from server.web.scope import NOT_FOUND

LOG = logging.getLogger("timbra.web.errors")

# The most specific kind first. A closed month is 409: the request was right, the month is
# not; anything else the person can fix (a field, a date) is 400.
STATUS: tuple[tuple[type[OfficeError], int], ...] = (
    (NotFound, 404), (NotAllowed, 403), (MonthClosed, 409), (Busy, 503), (OfficeError, 400))
RETRY_AFTER_S = 5  # told with every 503: the work it waited for takes a few seconds


def status_of(error: OfficeError) -> int:
    return next(status for kind, status in STATUS if isinstance(error, kind))


def is_api(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return path.startswith(API_PREFIX) or path.startswith("/schema")


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        LOG.error("%s %s answered %d", request.method, request.url.path, exc.status_code,
                  exc_info=exc)
    return _answer(request, exc)


def _answer(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    path = request.url.path
    # A fault of ours names its request, so what the person quotes finds the log lines.
    request_id = request_id_of(request.scope) if exc.status_code >= 500 else None
    # Litestar's own refusal of the data speaks msgspec's English: ours replaces it.
    words = reworded(exc)
    detail, extra = (words.detail, words.extra) if words else (exc.detail, exc.extra)
    if is_api(request):
        body = {"status_code": exc.status_code, "detail": detail}
        if extra:  # what a refusal lists item by item (an import's lines, fields)
            body["extra"] = extra
        if request_id:
            body["request_id"] = request_id
        return Response(body, status_code=exc.status_code, media_type=MediaType.JSON)
    if isinstance(exc, NotAuthorizedException):
        target = path + (f"?{request.url.query}" if request.url.query else "")
        next_part = f"?next={quote(target, safe='')}" if request.method == "GET" else ""
        return Redirect(f"/login{next_part}", status_code=302)
    if isinstance(exc, PasswordChangeRequired):
        return Redirect("/password", status_code=302)
    # A 403 or 404 page says so in its title, in the reader's language; which record or
    # role it was is for the API.
    detail = "" if exc.status_code in (403, 404) else detail
    return Template("error.html", status_code=exc.status_code,
                    context={"status": exc.status_code, "detail": detail,
                             "request_id": request_id})


def office_refusal(request: Request[Any, Any, Any], exc: OfficeError) -> Response[Any]:
    """A refusal no handler turned into its own form: JSON with the form `field` for the
    API, the error page for a page. The unit of work has already rolled back."""
    status = status_of(exc)
    headers = {"retry-after": str(RETRY_AFTER_S)} if status == 503 else {}
    if is_api(request):
        return Response({"status_code": status, "detail": said(exc), "field": exc.field},
                        status_code=status, media_type=MediaType.JSON, headers=headers)
    return Template("error.html", status_code=status, headers=headers,
                    context={"status": status, "detail": said(exc)})


def no_such_row(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An id no row can have (beyond 64 bits: the driver overflows before asking) is a 404,
    like any other id that does not exist, never a server error."""
    return http_error(request, NotFoundException(gettext(NOT_FOUND)))


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything no other handler knows is a fault of ours: logged with its traceback (the
    person sees only that it failed), answered as a 500 page or JSON."""
    LOG.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _answer(request, InternalServerException(gettext(SERVER_FAULT)))  # logged once
