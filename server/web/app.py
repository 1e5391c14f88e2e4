"""The Litestar application: `create_app(engine)` is the whole web side.

Outermost, around the router: the request id, access log line and latency sample
(`RequestLogMiddleware`). Every response gets the security headers, and its cookies
`Secure` over TLS (`server.web.headers.security_headers`, a `before_send` hook). Middleware,
outermost first: the reader's language (`LanguageMiddleware`, first so that every refusal
below is worded in it), hostile input refused with a 400 (`InputGuardMiddleware`: NUL
characters, JSON nested too deep), sessions (server-side:
files in the data directory for `timbra run`, the database for `timbra web`), who is asking
(`IdentityMiddleware`), then Litestar's CSRF check on every unsafe method, its token bound
to the session (`SessionCSRFMiddleware`). One app-wide guard (`access_guard`) enforces each
route's declared roles.
"""

from __future__ import annotations

from pathlib import Path

from anyio import to_thread
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from sqlalchemy import Engine

from server.db.migrate import head_revision
from server.engine.leave import days
from server.errors import OfficeError
from server.ingest.settings import BrokerSettings
from server.minutes import clock, hours, signed_hours
from server.office.sso.config import SsoSettings, load_sso
from server.private_files import private_dir
from server.settings import sso_file
from server.web.csrf import SessionCSRFMiddleware
from server.web.day_worker import DayWorker
from server.web.dependencies import provide_db, provide_user
from server.web.errors import http_error, no_such_row, office_refusal, server_error
from server.web.guards import PUBLIC, access_guard, undeclared_handlers
from server.web.headers import security_headers
from server.web.identity import IdentityMiddleware, RotatingSessionConfig
from server.web.input_guard import InputGuardMiddleware
from server.web.language import LanguageMiddleware, choose_language, install, refusal_language
from server.web.navigation import menu_for, role_name
from server.web.request_log import RequestLogMiddleware
from server.web.routes import ROUTE_HANDLERS
from server.web.routes.notifications import unread_notifications
from server.web.secret import load_or_create_secret
from server.web.session_store import DatabaseStore
from server.web.shared_throttle import DatabaseThrottle
from server.web.throttle import LoginThrottle, Throttle

HERE = Path(__file__).resolve().parent
SESSION_HOURS = 8  # a working day; after that, log in again
SESSION_COOKIE = "timbra_session"
CSRF_COOKIE = "timbra_csrf"


def create_app(engine: Engine, *, secure_cookies: bool = True,
               data_dir: Path = Path("timbra-data"), secret: str | None = None,
               session_store: Store | None = None, debug: bool = False,
               sso: SsoSettings | None = None, broker: BrokerSettings | None = None,
               metrics_token: str | None = None) -> Litestar:
    """The app. `secure_cookies=False`: cookies `Secure` only over TLS (plain-http work on
    127.0.0.1, `server.web.headers`). `sso` defaults to `TIMBRA_SSO_FILE`'s; `broker` is
    what `/readyz` checks; `/metrics` exists only with a `metrics_token`."""
    secret = secret or load_or_create_secret(data_dir)
    sessions = RotatingSessionConfig(
        key=SESSION_COOKIE, max_age=SESSION_HOURS * 3600, secure=secure_cookies,
        httponly=True, samesite="lax", renew_on_access=True)
    csrf = CSRFConfig(secret=secret, cookie_name=CSRF_COOKIE, cookie_secure=secure_cookies,
                      cookie_httponly=True, cookie_samesite="lax")
    app = Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            choose_language,
            create_static_files_router("/static", directories=[HERE / "static"], opt=PUBLIC),
        ],
        dependencies={"db": Provide(provide_db),
                      "user": Provide(provide_user, sync_to_thread=False)},
        guards=[access_guard],
        # Litestar's CSRF middleware, bound to the session: after the session middleware.
        middleware=[LanguageMiddleware, InputGuardMiddleware, sessions.middleware,
                    IdentityMiddleware, DefineMiddleware(SessionCSRFMiddleware, config=csrf)],
        before_send=[security_headers],
        after_exception=[refusal_language],
        on_startup=[_forget_the_expired, _work_off_dirty_days],
        template_config=_templates(),
        exception_handlers={HTTPException: http_error, OfficeError: office_refusal,
                            OverflowError: no_such_row, Exception: server_error},
        openapi_config=OpenAPIConfig(
            title="timbra", version="1",
            description="Rilevazione presenze / time and attendance. Log in at /login; "
                        "unsafe methods need the x-csrftoken header.",
            render_plugins=[SwaggerRenderPlugin()],
            openapi_router=Router("/schema", route_handlers=[], opt=PUBLIC)),
        debug=debug,
        # The process configures logging (`timbra run`: plain text; `timbra web`: JSON
        # lines, server/observe/logs.py); Litestar's default would replace its handlers.
        logging_config=None,
    )
    app.state.update(secret=secret, secure_cookies=secure_cookies)
    bind_run(app, engine, data_dir=data_dir, session_store=session_store, sso=sso,
             broker=broker, metrics_token=metrics_token)
    # Around the router, as Litestar's OpenTelemetry plugin wraps it: requests no route
    # matches get their id, log line and latency sample too.
    app.asgi_handler = RequestLogMiddleware(app.asgi_handler)
    missing = undeclared_handlers(list(route_handlers(app)))
    if missing:
        raise RuntimeError(f"routes without opt=PUBLIC or opt=allow(...): {missing}")
    return app


def bind_run(app: Litestar, engine: Engine, *, data_dir: Path = Path("timbra-data"),
             session_store: Store | None = None, sso: SsoSettings | None = None,
             broker: BrokerSettings | None = None, metrics_token: str | None = None) -> None:
    """Everything the app holds of the run it serves, afresh: the database, the stores of
    sessions and of sign-ins under way, the day worker, the login throttles, the SSO and
    broker settings. What is fixed when the app is built (routes, middleware, the secret,
    Secure cookies) is not here. `create_app` calls it once; the tests call it again to
    serve another database with an app they built already, since building one (Litestar
    registering every route) takes a good part of a second."""
    # Session files are written 0600 (mkstemp) into a folder only we may enter.
    store = session_store or FileStore(private_dir(data_dir / "sessions"))
    app.stores = StoreRegistry({"sessions": store,
                                "sso": _pending_store(session_store, data_dir)})
    login, reset = _throttles(session_store)
    app.state.update(engine=engine, day_worker=DayWorker(engine),
                     sso=sso if sso is not None else load_sso(sso_file()),
                     login_throttle=login, reset_throttle=reset,
                     broker=broker, metrics_token=metrics_token, schema_head=head_revision())


def _templates() -> TemplateConfig[JinjaTemplateEngine]:
    templates = TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
    templates.engine_instance.engine.globals.update(
        hours=hours, signed_hours=signed_hours, clock=clock, menu_for=menu_for,
        role_name=role_name, days=days, unread=unread_notifications)
    install(templates.engine_instance.engine)
    return templates


def _pending_store(session_store: Store | None, data_dir: Path) -> Store:
    """Where sign-ins under way wait for the provider's callback, beside the sessions."""
    if isinstance(session_store, DatabaseStore):  # shared by every worker, as sessions are
        return session_store.with_namespace("sso")
    if session_store is not None:
        return MemoryStore()
    return FileStore(private_dir(data_dir / "sso-pending"))


def _throttles(session_store: Store | None) -> tuple[Throttle, Throttle]:
    """The login and reset throttles, kept where the sessions are: in the database when
    every worker shares them there, else in this process (which is then the only one)."""
    if isinstance(session_store, DatabaseStore):
        return (DatabaseThrottle(session_store.engine, "login"),
                DatabaseThrottle(session_store.engine, "reset"))
    return LoginThrottle(), LoginThrottle()


async def _forget_the_expired(app: Litestar) -> None:
    """Expired sessions, and sign-ins abandoned at the provider, are otherwise removed only
    when their cookie or callback comes back; the throttles' rows past use, only by the
    sweep of a later failure."""
    for name in ("sessions", "sso"):
        store = app.stores.get(name)
        if isinstance(store, FileStore | MemoryStore | DatabaseStore):
            await store.delete_expired()
    for throttle in (app.state.login_throttle, app.state.reset_throttle):
        if isinstance(throttle, DatabaseThrottle):
            await to_thread.run_sync(throttle.forget_expired)


async def _work_off_dirty_days(app: Litestar) -> None:
    """Days a previous run marked and did not finish (it stopped mid-way) are not left to
    wait for the next change."""
    app.state.day_worker.kick()


def route_handlers(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    """(path, handler) for every HTTP route of the app, one pair per handler."""
    pairs: list[tuple[str, HTTPRouteHandler]] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler):
                pairs.append((route.path_format if hasattr(route, "path_format") else route.path,
                              handler))
    return pairs


__all__ = ["bind_run", "create_app", "route_handlers"]
