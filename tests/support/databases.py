"""Databases of a test's own, copied from templates built once per run.

Running the migrations takes ~0.2 s on SQLite and ~0.5 s on PostgreSQL, and the web tests'
demo world (its stamps, day results and commits) seconds more; a thousand tests paid that
each. Now each template is built the first time a test asks for it, by the same code as
before, and every test gets a copy of its own: on SQLite a copy of the file, on PostgreSQL
`CREATE DATABASE … TEMPLATE`, a copy made by the server. A copy is as isolated as a database
built for the test: nothing a test writes reaches the template or another test. The tests of
the migrations themselves still start from an empty database and run alembic.

On PostgreSQL the server's copying and dropping (a second or more on a busy machine) is done
on threads of their own, off the tests' path: the next copies of a template are made while a
test runs, and a test's database is dropped while the next ones run. Copying and dropping
have threads apart: a DROP DATABASE waits for a checkpoint of the whole server (seconds when
others write), and a copy queued behind it made the next test wait.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from services import POSTGRES_ADMIN

from server.db import make_engine, upgrade

BACKENDS = ("sqlite", "postgresql")
AHEAD = 2  # copies of each PostgreSQL template kept ready: a few quick tests in a row
# Threads; the server does the work, they only wait for it. Each DROP DATABASE waits for a
# checkpoint, and drops waiting together share one: eight at once took what two in a row did.
COPIERS, DROPPERS = 2, 8


def postgres_url(name: str) -> str:
    return sa.engine.make_url(POSTGRES_ADMIN).set(database=name).render_as_string(False)


def _admin() -> sa.Engine:
    return make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")


@dataclass(frozen=True)
class Template:
    """A database filled once: `source` is its SQLite file or PostgreSQL database name,
    `made` what its build returned (the ids of what it holds)."""

    backend: str
    source: str
    made: Any


class Templates:
    """The run's templates by (backend, kind), each built on first use; `close` drops them."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, str], Template] = {}
        self._folder: Path | None = None
        self._copier: ThreadPoolExecutor | None = None
        self._dropper: ThreadPoolExecutor | None = None
        self._ahead: dict[str, deque[Future[str]]] = {}  # template → its next copies' names

    def get(self, backend: str, kind: str, build: Callable[[sa.Engine], Any]) -> Template:
        """The template `kind` on `backend`; `build(engine)` fills a migrated database."""
        key = (backend, kind)
        if key not in self._built:
            self._built[key] = self._make(backend, kind, build)
        return self._built[key]

    def migrated(self, backend: str) -> Template:
        return self.get(backend, "schema", lambda engine: None)

    def _make(self, backend: str, kind: str, build: Callable[[sa.Engine], Any]) -> Template:
        if backend == "sqlite":
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="timbra-templates-"))
            source = str(self._folder / f"{kind.replace(' ', '_')}.db")
            url = f"sqlite:///{source}"
        else:
            source = _create(None)
            url = postgres_url(source)
        engine = make_engine(url)
        try:
            upgrade(engine)
            made = build(engine)
        finally:
            # No connection may be left open: PostgreSQL copies only an idle template,
            # and the last SQLite connection to close folds the -wal file into the file.
            engine.dispose()
        if backend == "sqlite":
            _fold_wal(Path(source))
        return Template(backend, source, made)

    def postgres_copy(self, template: Template) -> str:
        """The name of a new copy of `template`, made ahead if it could; and as many are
        started now as the next tests will want (`AHEAD`)."""
        ahead = self._ahead.setdefault(template.source, deque())
        name = ahead.popleft().result() if ahead else _create(template.source)
        if self._copier is None:
            self._copier = ThreadPoolExecutor(COPIERS, thread_name_prefix="test-db-copy")
        while len(ahead) < AHEAD:
            ahead.append(self._copier.submit(_create, template.source))
        return name

    def drop_later(self, name: str) -> None:
        if self._dropper is None:
            self._dropper = ThreadPoolExecutor(DROPPERS, thread_name_prefix="test-db-drop")
        self._dropper.submit(_drop, name)

    def close(self) -> None:
        """Drops the copies made ahead and the templates, removes the files."""
        for ahead in self._ahead.values():
            for made in ahead:
                self.drop_later(made.result())
        self._ahead.clear()
        for pool in (self._copier, self._dropper):
            if pool is not None:
                pool.shutdown(wait=True)
        self._copier = self._dropper = None
        for template in self._built.values():
            if template.backend == "postgresql":
                _drop(template.source)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._built.clear()
        self._folder = None


def _create(template: str | None) -> str:
    name = f"timbra_t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template is not None else ""
    admin = _admin()
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    finally:
        admin.dispose()
    return name


def _drop(name: str) -> None:
    admin = _admin()
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _fold_wal(path: Path) -> None:
    """Everything in the main file, so copying that one file copies the database."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()  # the last connection: SQLite removes the -wal file
    if Path(f"{path}-wal").exists():
        raise AssertionError(f"{path}-wal is left: a connection to the template is open")


def copy_sqlite(template: Template, path: Path) -> str:
    """A copy of `template` at `path` (a new file); returns its URL."""
    shutil.copyfile(template.source, path)
    return f"sqlite:///{path}"


def migrated_sqlite(path: Path) -> str:
    """A SQLite database at the newest schema at `path` (a new file); returns its URL."""
    return copy_sqlite(TEMPLATES.migrated("sqlite"), path)


@contextmanager
def postgres_database(template: Template | None = None) -> Iterator[str]:
    """A database of its own for one test, empty or a copy of `template`; dropped afterwards."""
    name = TEMPLATES.postgres_copy(template) if template is not None else _create(None)
    try:
        yield postgres_url(name)
    finally:
        TEMPLATES.drop_later(name)


# One per test process, closed when the run ends (tests/conftest.py).
TEMPLATES = Templates()
