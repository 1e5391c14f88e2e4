"""Shared fixtures: a fresh database on SQLite and on the real PostgreSQL.

The run needs a PostgreSQL and a Mosquitto; when one is down it stops before the first
test with one line naming it and the command that starts it, rather than failing test
after test with connection errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import sqlalchemy as sa
from services import POSTGRES_ADMIN, missing_services

from server.db import make_engine, upgrade


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = missing_services()
    if missing:
        # Never a skip: a run without them would pass while testing much less. A usage
        # error is printed as it is, once, and the run ends with a failing status.
        raise pytest.UsageError("\n".join(missing))


def _postgres_database() -> Iterator[str]:
    """A database of its own for one test, dropped afterwards."""
    name = f"timbra_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # a missing PostgreSQL must fail, not skip
        pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN}: {exc}")
    url = sa.engine.make_url(POSTGRES_ADMIN).set(database=name).render_as_string(False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/timbra.db"
    else:
        yield from _postgres_database()


@pytest.fixture
def db_engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


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
