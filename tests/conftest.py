"""Shared fixtures: a fresh database on SQLite and on the real PostgreSQL.

The run needs a PostgreSQL and a Mosquitto; when one is down it stops before the first
test with one line naming it and the command that starts it, rather than failing test
after test with connection errors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from databases import BACKENDS, TEMPLATES, Template, copy_sqlite, postgres_database
from fault_harness import PrivateMosquitto
from services import POSTGRES_ADMIN, missing_services
from world import WebWorld, cheap_hashing, lent_app, web_world_on, web_world_template

from server.db import make_engine, upgrade


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = missing_services()
    if missing:
        # Never a skip: a run without them would pass while testing much less. A usage
        # error is printed as it is, once, and the run ends with a failing status.
        raise pytest.UsageError("\n".join(missing))


def pytest_sessionfinish(session: pytest.Session) -> None:
    TEMPLATES.close()


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """A command run in-process configures the root logger onto the stderr pytest captured
    for that test; a later test's log line would be written to that closed capture."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """(host, port) of a Mosquitto of the module's own, for tests that play the only server
    or the only terminal on the wire. On the machine's, another run's ingest answers our
    terminals' stamps too (rejected: an institution it does not know), and a terminal drops
    a rejected stamp from its queue."""
    broker = PrivateMosquitto(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    try:
        yield "127.0.0.1", broker.port
    finally:
        broker.stop()


# The template db_url's database is a copy of, for db_engine and web_world.
FILLED = pytest.StashKey[Template]()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own. Empty, unless the test uses `db_engine` (then at the
    newest schema) or `web_world` (the demo world): a copy of the run's template of it."""
    backend = request.param
    template = None
    if "web_world" in request.fixturenames:
        template = web_world_template(backend)
    elif "db_engine" in request.fixturenames:
        template = TEMPLATES.migrated(backend)
    if template is not None:
        request.node.stash[FILLED] = template
    if backend == "sqlite":
        path = tmp_path / "timbra.db"
        yield copy_sqlite(template, path) if template is not None else f"sqlite:///{path}"
        return
    with ExitStack() as opened:
        try:
            url = opened.enter_context(postgres_database(template))
        except sa.exc.OperationalError as exc:  # a missing PostgreSQL must fail, not skip
            pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN}: {exc}")
        yield url


@pytest.fixture
def db_engine(request: pytest.FixtureRequest, db_url: str) -> Iterator[sa.Engine]:
    """An engine on `db_url`'s database, at the newest schema."""
    engine = make_engine(db_url)
    if FILLED not in request.node.stash:  # asked for by name, not cloned: migrate it here
        upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def web_world(request: pytest.FixtureRequest, db_url: str, db_engine: sa.Engine,
              tmp_path: Path) -> Iterator[WebWorld]:
    """The demo world of tests/support/world.py on SQLite and on PostgreSQL."""
    with cheap_hashing(), lent_app(db_engine, tmp_path) as app:
        yield web_world_on(db_engine, tmp_path, request.node.stash[FILLED].made, app)


@pytest.fixture
def web(db_url: str, db_engine: sa.Engine) -> Iterator[sa.Engine]:
    """A second engine on the same database, as the web process has its own: nothing
    it does goes through the ingest's objects."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    """Closes what a test opens (test clients, sessions) in reverse order."""
    with ExitStack() as opened:
        yield opened
