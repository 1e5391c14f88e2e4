"""How refusals look: pages get a readable page (or the login form), the API gets JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.response import Redirect, Template

from server.web.guards import PasswordChangeRequired

API_PREFIX = "/api/"


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    path = request.url.path
    if path.startswith(API_PREFIX) or path.startswith("/schema"):
        return Response({"status_code": exc.status_code, "detail": exc.detail},
                        status_code=exc.status_code, media_type=MediaType.JSON)
    if isinstance(exc, NotAuthorizedException):
        target = path + (f"?{request.url.query}" if request.url.query else "")
        next_part = f"?next={quote(target, safe='')}" if request.method == "GET" else ""
        return Redirect(f"/login{next_part}", status_code=302)
    if isinstance(exc, PasswordChangeRequired):
        return Redirect("/password", status_code=302)
    return Template("error.html", status_code=exc.status_code,
                    context={"status": exc.status_code, "detail": exc.detail})


def no_such_row(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An id no row can have (beyond 64 bits: the driver overflows before asking) is a 404,
    like any other id that does not exist, never a server error."""
    return http_error(request, NotFoundException("Non trovato / Not found"))
