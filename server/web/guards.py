"""Who may reach which route. Secure by default: `create_app` refuses to start if a route
declares neither `opt=PUBLIC` nor `opt=allow(...)`, and one app-wide guard enforces it.

    @get("/office/closes", opt=allow(OFFICE, ADMIN), sync_to_thread=True)

Anonymous requests to a page are sent to the login page; to the API they get 401. A user who
must change their password reaches only routes marked `password_change=True`. Scoping *within*
an institution (whose data) is the handler's job, with `server.web.scope`.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler

from server.i18n.current import gettext
from server.web.identity import CurrentUser

EMPLOYEE, MANAGER, OFFICE, ADMIN = "employee", "manager", "office", "admin"
EVERYONE = (EMPLOYEE, MANAGER, OFFICE, ADMIN)
# Reachable without logging in: the login page, static files, the OpenAPI document.
PUBLIC: dict[str, Any] = {"public": True}


def allow(*roles: str, password_change: bool = False) -> dict[str, Any]:
    """The `opt` of a route that these roles may reach (`allow(*EVERYONE)` for all)."""
    unknown = set(roles) - set(EVERYONE)
    if unknown or not roles:
        raise ValueError(f"allow(): unknown or missing roles {sorted(unknown)}")
    return {"roles": frozenset(roles), "password_change": password_change}



# Who files and reads requests: everyone with a timecard to look after.
PEOPLE = allow(EMPLOYEE, MANAGER, OFFICE)

class PasswordChangeRequired(PermissionDeniedException):
    """The user logged in with a one-time password and has not changed it yet."""

    def __init__(self) -> None:
        super().__init__(detail=gettext("Password change required"))


def access_guard(connection: ASGIConnection[Any, Any, Any, Any],
                 handler: BaseRouteHandler) -> None:
    """The app-wide guard: logged in, password changed, role allowed."""
    if handler.opt.get("public") or _automatic_options(handler):
        return
    roles = handler.opt.get("roles")
    if not roles:  # create_app checks this at start; this keeps a bypass impossible
        raise PermissionDeniedException(gettext("Not allowed"))
    user = connection.scope.get("user")
    if not isinstance(user, CurrentUser):
        raise NotAuthorizedException(gettext("Login required"))
    if user.must_change_password and not handler.opt.get("password_change"):
        raise PasswordChangeRequired()
    if user.role not in roles:
        raise PermissionDeniedException(gettext("Not allowed for your role"))


def _automatic_options(handler: BaseRouteHandler) -> bool:
    """Litestar's own OPTIONS answer on every path: it tells the allowed methods, no data."""
    return isinstance(handler, HTTPRouteHandler) and handler.http_methods == {"OPTIONS"}


def undeclared_handlers(handlers: list[tuple[str, HTTPRouteHandler]]) -> list[str]:
    """The paths whose handlers declare neither PUBLIC nor allow(...)."""
    return [path for path, handler in handlers
            if not handler.opt.get("public") and not handler.opt.get("roles")
            and not _automatic_options(handler)]


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    """The logged-in user of a guarded route (a dependency: `user: CurrentUser`)."""
    user = connection.scope.get("user")
    if not isinstance(user, CurrentUser):
        raise NotAuthorizedException(gettext("Login required"))
    return user
