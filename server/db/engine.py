"""Engines: SQLite (WAL, fsync on commit) by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from server.db.json_text import json_text
from server.private_files import private_dir, private_file

# libpq's settings for a link to PostgreSQL that dies without a word (a firewall dropping
# the flow, a switch gone): without them a statement, or the recompute turn's unlock,
# waits for the kernel's default of about fifteen minutes. Unacknowledged data is given
# up after a minute; an idle link is probed after 30 s, every 10 s, three times.
DEAD_LINK_BOUNDS = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                    "keepalives_count": 3, "tcp_user_timeout": 60_000}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get their directory and durable pragmas.

    A SQLite file that is not there is made at the first connection, not here: a command
    that refuses before connecting (`server.cli.db.schema_problem`) leaves none behind."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text,
                               **kwargs)
        database = sqlite_file(engine)
        if database is not None:
            if database.exists():  # an older version's readable file, tightened at once
                private_file(database)
            event.listen(engine, "do_connect", _MakeFile(database))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Name the driver we ship, so a bare postgresql:// URL works.
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(False))
    connect_args = {**DEAD_LINK_BOUNDS, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, json_serializer=json_text,
                         connect_args=connect_args, **kwargs)


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite engine's database; None for another database, an in-memory
    one or a `file:` URI (whose path SQLite itself reads)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


class _MakeFile:
    """Before each connection: the file made (with its folder) owner-only before SQLite
    makes it, since the -wal and -shm files take the database file's mode."""

    def __init__(self, database: Path) -> None:
        self.database = database

    def __call__(self, *_: Any) -> None:
        if not self.database.parent.exists():
            private_dir(self.database.parent)
        private_file(self.database)


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # An ack goes out after the commit, so the commit must be on disk: FULL, not NORMAL.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
