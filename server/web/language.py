"""The language of each page and API answer: Italian unless the person chose English.

The choice is a cookie (it must work on the login page, before anyone is known); the
middleware sets it for the whole request, templates translate with `_()` through Jinja's
i18n extension, and `POST /language` changes it. A client of the API without the cookie
asks with `Accept-Language`; a page ignores that header, which is the browser's setting,
not a choice made in timbra.
"""

from __future__ import annotations

from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from typing import Annotated

from jinja2 import Environment
from litestar import post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType, ScopeType
from litestar.params import Body
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from server.errors import OfficeError
from server.i18n.catalogues import LOCALES
from server.i18n.current import (
    current_locale,
    current_zone,
    either,
    gettext,
    keep_locale,
    ngettext,
    pick_locale,
    use_locale,
)
from server.i18n.formats import (
    day_text,
    local_time,
    long_day,
    month_label,
    month_text,
    weekday_text,
)
from server.web.audit_words import audit_action
from server.web.guards import PUBLIC
from server.web.wording import anomaly_name, say

LANGUAGE_COOKIE = "timbra_lang"
API_PREFIX = "/api/"
YEAR = 365 * 24 * 3600


def install(env: Environment) -> None:
    """Jinja's i18n extension with our catalogues, and the date filters."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(current_locale=current_locale, said=said, say=say,
                       anomaly_name=anomaly_name, here=here,
                       audit_action=audit_action)
    env.filters.update(day=day_text, long_day=long_day, month=month_text,
                       weekday=weekday_text, local_time=local_time, month_label=month_label)


def here(moment: datetime | str | None) -> str:
    """A stored moment as the reader's institution tells the time: `03/12/2026 21:30`."""
    return "—" if moment is None else local_time(moment, current_zone())


def said(error: OfficeError) -> str:
    """A refusal in the reader's language (services word each one in both)."""
    return either(error.italian, error.english)


class LanguageMiddleware:
    """Renders the whole request in the language of the `timbra_lang` cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with use_locale(wanted_language(scope)):
            await self.app(scope, receive, send)


def wanted_language(scope: Scope) -> str | None:
    """The cookie's language, else (for the API) the one `Accept-Language` prefers."""
    if scope["type"] != ScopeType.HTTP:
        return None
    wanted = _cookie(scope)
    if wanted is None and scope["path"].startswith(API_PREFIX):
        wanted = _accepted(scope)
    return wanted


async def refusal_language(exc: Exception, scope: Scope) -> None:
    """An `after_exception` hook: a refusal raised before or around `LanguageMiddleware`
    (the router's 404 and 405, a middleware's refusal worded by the error handler) is
    answered, and its page rendered, after the middleware's language has been let go;
    the request's language is kept for the rest of its task."""
    keep_locale(wanted_language(scope))


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:  # a malformed header is the default language
                return None
            morsel = jar.get(LANGUAGE_COOKIE)
            return morsel.value if morsel else None
    return None


def _accepted(scope: Scope) -> str | None:
    """The supported language an API client prefers most (`Accept-Language: en-GB, it;q=0.5`
    is English); None when it names none of them."""
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            ranked: list[tuple[float, str]] = []
            for part in value.decode("latin-1").split(","):
                tag, _, weight = part.strip().partition(";q=")
                language = tag.split("-")[0].strip().lower()
                try:
                    quality = float(weight) if weight else 1.0
                except ValueError:  # a malformed weight counts as not wanted
                    quality = 0.0
                if language in LOCALES and quality > 0:
                    ranked.append((quality, language))
            return max(ranked, key=lambda pair: pair[0])[1] if ranked else None
    return None


@post("/language", opt=PUBLIC, sync_to_thread=False)
def choose_language(data: Annotated[dict[str, str], Body(
        media_type=RequestEncodingType.URL_ENCODED)]) -> Redirect:
    """Switch the pages between Italian and English; back to the page it was asked from."""
    locale = pick_locale(data.get("lang"))
    back = data.get("next", "/")
    if not back.startswith("/") or back.startswith("//"):
        back = "/"  # only our own pages: never an open redirect
    return Redirect(back, status_code=303, cookies=[
        Cookie(key=LANGUAGE_COOKIE, value=locale, max_age=YEAR, httponly=True,
               samesite="lax")])
