"""Only `timbra db upgrade` migrates: every other command on the database refuses a schema
that is missing or behind, exit 2, with the message that says to run the upgrade, and
leaves the database as it found it. Several `timbra ingest` sharing a subscription on
PostgreSQL must never each migrate at their start.

"Left as found" is: no file (nor its folder, nor a -wal) where the SQLite URL named none,
the same revision and tables on the PostgreSQL database one revision behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from server.cli.main import main
from server.db import make_engine
from server.db.migrate import alembic_config, schema_state

ROOT = Path(__file__).parents[2]
NO_SCHEMA = "the database has no timbra schema: run `timbra db upgrade` first"

# One command of each module that opens the database; each refuses before its own work.
COMMANDS = {
    "users": ["users", "add", "--institution", "school", "--username", "anna",
              "--role", "office"],
    "close": ["close", "--institution", "school", "--month", "2026-04", "--as", "office"],
    "notify": ["notify"],
    "purge": ["purge"],
    "terminals": ["terminals", "add", "--institution", "school", "--terminal", "t1"],
}


def timbra(*argv: str, database: str) -> subprocess.Popen[str]:
    """A process of its own, as a unit starts it: settings from the environment. (The
    ingest and the worker set up the process's logging, which is not the tests' to lose.)"""
    env = {**os.environ, "TIMBRA_DATABASE_URL": database,
           "TIMBRA_MQTT_URL": "mqtt://127.0.0.1:1"}  # never reached: refused before
    env.pop("TIMBRA_LOG_FORMAT", None)
    return subprocess.Popen([sys.executable, "-m", "server.cli.main", *argv], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=60)
    return process.returncode, err


def tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_ingest_and_the_worker_refuse_a_missing_sqlite_file_and_create_nothing(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'timbra-data' / 'timbra.db'}"
    started = [timbra("ingest", database=url), timbra("recompute", database=url)]
    for name, process in zip(("ingest", "recompute"), started, strict=True):
        code, err = finished(process)
        assert code == 2, err
        assert f"timbra {name}: {NO_SCHEMA}" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # on main: timbra-data/timbra.db, 4 KB


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_admin_command_refuses_a_missing_sqlite_file_and_creates_nothing(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'timbra-data' / 'timbra.db'}"
    assert main([*COMMANDS[name], "--database", url]) == 2
    out, err = capsys.readouterr()
    assert NO_SCHEMA in err and err.startswith("timbra ")
    assert "password" not in out  # nothing was made, nothing is shown
    assert list(tmp_path.iterdir()) == []


def test_an_empty_sqlite_file_is_refused_and_keeps_no_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is there (made by hand, or by a version before) is opened to read its
    revision; still nothing is migrated."""
    database = tmp_path / "timbra.db"
    database.touch()
    url = f"sqlite:///{database}"
    assert main([*COMMANDS["users"], "--database", url]) == 2
    assert NO_SCHEMA in capsys.readouterr().err
    assert tables(url) == []


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_revision_behind_they_refuse_and_migrate_nothing(
        db_url: str, db_engine: sa.Engine, capsys: pytest.CaptureFixture[str]) -> None:
    command.downgrade(alembic_config(db_engine), "-1")  # left behind by an older version
    behind = schema_state(db_engine)
    before = tables(db_url)
    # Two ingests at once, as shared subscriptions start them, and a worker beside.
    started = [timbra("ingest", "--share", "timbra", database=db_url) for _ in range(2)]
    started.append(timbra("recompute", database=db_url))
    assert main([*COMMANDS["users"], "--database", db_url]) == 2
    refusals = [capsys.readouterr().err] + [finished(p)[1] for p in started]
    assert [p.returncode for p in started] == [2, 2, 2], refusals
    for err in refusals:
        assert (f"the database schema is at revision {behind.current}, this timbra needs "
                f"{behind.head}: run `timbra db upgrade` first") in err, err
    assert schema_state(db_engine) == behind
    assert tables(db_url) == before
