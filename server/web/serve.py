"""Serving the app with uvicorn in a background thread, as `timbra run` does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from sqlalchemy import Engine

from server.settings import DEFAULT_WEB_PORT
from server.web.app import create_app

DEFAULT_PORT = DEFAULT_WEB_PORT


class WebServerError(RuntimeError):
    """The web server did not start (port taken, address unavailable)."""


@contextmanager
def serve_web(engine: Engine, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
              data_dir: Path = Path("timbra-data"),
              secure_cookies: bool = True) -> Iterator[str]:
    """Serve until the block ends; yields the URL."""
    app = create_app(engine, data_dir=data_dir, secure_cookies=secure_cookies)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    # Off the main thread uvicorn leaves the signals alone: the caller owns them.
    thread = threading.Thread(target=server.run, name="timbra-web", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise WebServerError(f"the web server did not start on {host}:{port} (see above)")
        thread.join(0.05)
    try:
        yield f"http://{host}:{port}/"
    finally:
        server.should_exit = True
        thread.join(10)
