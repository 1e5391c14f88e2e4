"""Databases of a test's own, copied from templates built once per run.

Running the migrations takes ~0.2 s on SQLite and ~0.5 s on PostgreSQL, and the web tests'
demo world (its stamps, day results and commits) seconds more; a thousand tests paid that
each. Now each template is built the first time a test asks for it, by the same code as
before, and every test gets a copy of its own: on SQLite a copy of the file, on PostgreSQL
`CREATE DATABASE … TEMPLATE`, a copy made by the server. A copy is as isolated as a database
built for the test: nothing a test writes reaches the template or another test. The tests of
the migrations themselves still start from an empty database and run alembic.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from services import POSTGRES_ADMIN

from server.db import make_engine, upgrade

BACKENDS = ("sqlite", "postgresql")


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
            source = f"timbra_tpl_{uuid.uuid4().hex[:12]}"
            admin = _admin()
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{source}"'))
            admin.dispose()
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

    def close(self) -> None:
        postgres = [t.source for t in self._built.values() if t.backend == "postgresql"]
        if postgres:
            admin = _admin()
            with admin.connect() as connection:
                for name in postgres:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._built.clear()
        self._folder = None


def _fold_wal(path: Path) -> None:
    """Everything in the main file, so copying that one file copies the database."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_sqlite(template: Template, path: Path) -> str:
    """A copy of `template` at `path` (a new file); returns its URL."""
    shutil.copyfile(template.source, path)
    return f"sqlite:///{path}"


@contextmanager
def postgres_database(template: Template | None = None) -> Iterator[str]:
    """A database of its own for one test, empty or a copy of `template`; dropped afterwards."""
    name = f"timbra_t_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    copy = f' TEMPLATE "{template.source}"' if template is not None else ""
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield postgres_url(name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# One per test process, closed when the run ends (tests/conftest.py).
TEMPLATES = Templates()
