"""What the browser tests share: Debian's Chromium driven by Playwright, and the real app
(uvicorn on a free port) on a SQLite database holding the demo and its demo users."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from databases import TEMPLATES, copy_sqlite
from fault_harness import free_port
from world import cheap_hashing

from server.db import make_engine
from server.demo.load import load_demo
from server.demo.users import create_demo_users
from server.web.serve import serve_web

CHROMIUM = Path("/usr/bin/chromium")
# The machine has no network: nothing Chromium would fetch on its own is wanted.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Screenshots of the pages, for a person to look at.
ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def _demo(engine: sa.Engine) -> None:
    load_demo(engine, date.today())
    with cheap_hashing():
        create_demo_users(engine)  # with their one-time demo passwords


@contextmanager
def demo_site(folder: Path) -> Iterator[str]:
    """The app on a copy of the run's demo database in `folder`; yields its URL, no
    trailing slash. Plain http on 127.0.0.1, as `timbra run` serves it: Secure cookies
    would be dropped. Password hashing is cheap meanwhile (see tests/support/world.py):
    the pages are under test, not argon2's costs, and a login hashes up to three times."""
    engine = make_engine(copy_sqlite(TEMPLATES.get("sqlite", "demo", _demo),
                                     folder / "timbra.db"))
    try:
        with cheap_hashing(), serve_web(engine, port=free_port(), data_dir=folder / "data",
                       secure_cookies=False) as url:
            yield url.rstrip("/")
    finally:
        engine.dispose()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, for the tests that share it; each opens a context (cookies,
    viewport) of its own."""
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: `make browser` installs Debian's chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()
