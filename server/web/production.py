"""The app each of `timbra web`'s worker processes builds.

Each uvicorn worker is a fresh process that calls `app_from_environment()` and reads the
same environment variables as `timbra web` (production_settings.py).
"""

from __future__ import annotations

import os

from litestar import Litestar

from server.db import make_engine
from server.observe.logs import configure_logging, log_format
from server.web.app import create_app
from server.web.production_settings import WebSettings
from server.web.session_store import DatabaseStore


def app_from_environment() -> Litestar:
    """The app of one worker process (uvicorn's factory): settings, logs, the database's
    session store. `timbra web` has checked the settings and the schema before."""
    settings = WebSettings.from_environment(os.environ)
    configure_logging(log_format(default="json"))
    engine = make_engine(settings.database_url)
    return create_app(engine, secret=settings.secret, session_store=DatabaseStore(engine),
                      secure_cookies=settings.behind_tls, broker=settings.broker,
                      metrics_token=settings.metrics_token)
