"""The installation: plugins and their versions, and the institution's audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import get
from litestar.exceptions import ValidationException
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from server.db.models import AuditEntry
from server.i18n.current import gettext
from server.office.audit import AuditQuery, audit_actions, audit_log, user_named, usernames
from server.plugins import get_plugin_manager, installed_plugins, institutions
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import ADMIN, allow
from server.web.routing import together

PAGE = 100
LAST_PAGE = 10_000  # a million entries back; a page beyond is a typo, not a search


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    institutions: list[str]  # the institution ids it provides


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str | None
    action: str
    target: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditRow]
    page: int
    more: bool  # another page follows


def plugins() -> list[PluginInfo]:
    pm = get_plugin_manager()
    # An institution names its plugin by module ("plugins.school"), the plugin manager by
    # entry-point name ("school"): the loaded module links the two.
    module_of = {pm.get_name(plugin): getattr(plugin, "__name__", "")
                 for plugin in pm.get_plugins()}
    provided: dict[str, list[str]] = {}
    for spec in institutions(pm).values():
        provided.setdefault(spec.plugin, []).append(spec.id)
    return [PluginInfo(name, version, sorted(provided.get(module_of.get(name, name), [])))
            for name, version in installed_plugins(pm)]


@get("/admin/plugins", opt=allow(ADMIN), sync_to_thread=True)
def plugins_page(user: AuthUser) -> Template:
    return Template("admin_plugins.html", context={
        "plugins": plugins(), "mine": user.institution_id})


@get("/api/v1/admin/plugins", opt=allow(ADMIN), sync_to_thread=True)
def plugins_api() -> list[PluginInfo]:
    """The installed plugins, their distribution versions and the institutions they provide.
    Installation-wide, not institution data: every administrator may see it."""
    return plugins()


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        raise ValidationException(gettext("%(name)s: use YYYY-MM-DD", name=name)) from None


def search(db: Session, user: AuthUser, action: str | None, username: str | None,
           target: str | None, since: str | None, until: str | None, page: int) -> AuditPage:
    if page < 1 or page > LAST_PAGE:
        raise ValidationException(gettext("page: from 1 to %(last)s", last=LAST_PAGE))
    user_id = None
    if username:
        # A name from elsewhere or no one's finds nothing (not everything).
        user_id = user_named(db, user.institution_id, username) or -1
    end = _day(until, "until")
    query = AuditQuery(institution_id=user.institution_id, action=action or None,
                       user_id=user_id, target_prefix=target or None,
                       since=_day(since, "since"),
                       until=end + timedelta(days=1) if end else None,  # the whole last day
                       limit=PAGE + 1, offset=(page - 1) * PAGE)
    found = audit_log(db, query)
    names = usernames(db, found)
    return AuditPage([_row(e, names) for e in found[:PAGE]], page, len(found) > PAGE)


def _row(entry: AuditEntry, names: dict[int, str]) -> AuditRow:
    return AuditRow(entry.id, entry.at, names.get(entry.user_id) if entry.user_id else None,
                    entry.action, entry.target, entry.detail or {})


@get("/admin/audit", opt=allow(ADMIN), sync_to_thread=True)
def audit_page(db: DbSession, user: AuthUser, action: FromQuery[str | None] = None,
               username: FromQuery[str | None] = None, target: FromQuery[str | None] = None,
               since: FromQuery[str | None] = None, until: FromQuery[str | None] = None,
               page: FromQuery[int] = 1) -> Template:
    found = search(db, user, action, username, target, since, until, page)
    actions = audit_actions(db, user.institution_id)
    filters = {"action": action or "", "username": username or "", "target": target or "",
               "since": since or "", "until": until or ""}
    query = urlencode({k: v for k, v in filters.items() if v})
    return Template("admin_audit.html", context={
        "found": found, "actions": actions, "filters": filters, "query": query})


@get("/api/v1/admin/audit", opt=allow(ADMIN), sync_to_thread=True)
def audit_api(db: DbSession, user: AuthUser, action: FromQuery[str | None] = None,
              username: FromQuery[str | None] = None, target: FromQuery[str | None] = None,
              since: FromQuery[str | None] = None, until: FromQuery[str | None] = None,
              page: FromQuery[int] = 1) -> AuditPage:
    """The institution's audit log, newest first, 100 a page. Filters: `action`,
    `username`, `target` (a prefix: `user:`, `terminal:3`), `since` and `until` (days,
    both included)."""
    return search(db, user, action, username, target, since, until, page)


ROUTES = together(plugins_page, plugins_api, audit_page, audit_api, tag="Admin: plugins and audit")
