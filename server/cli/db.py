"""`timbra db`: the database schema, migrated as a step of its own.

`timbra db upgrade` brings the database named by `--database` or TIMBRA_DATABASE_URL to
the schema of this version; `timbra db current` says where it stands (exit 1 if behind).
Run the upgrade once per deployment, before starting the new version's processes: every
other command on the database (but the demo's `timbra run`) refuses a schema that is not
its own (`refuse_schema`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from server.cli.base import help_command
from server.db import make_engine, upgrade
from server.db.engine import sqlite_file
from server.db.migrate import schema_state
from server.settings import database_url

# The exit code of a command refused for the schema: the operator must act, as for a
# missing setting (`timbra web` exits so too).
SCHEMA_REFUSED = 2
NO_SCHEMA = ("the database has no timbra schema: run `timbra db upgrade` first "
             "(with the same TIMBRA_DATABASE_URL or --database)")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="the database schema: upgrade, current")
    parser.set_defaults(func=help_command(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, func, text in (("upgrade", run_upgrade, "migrate to this version's schema"),
                             ("current", run_current, "print the schema revision")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--database", default=None,
                             help="SQLAlchemy URL (default: $TIMBRA_DATABASE_URL or SQLite)")
        command.set_defaults(func=func)


def run_upgrade(args: argparse.Namespace) -> int:
    engine = make_engine(args.database or database_url())
    try:
        before = schema_state(engine)
        upgrade(engine)
        after = schema_state(engine)
    except SQLAlchemyError as exc:
        print(f"timbra db upgrade: {unreachable(exc)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if before.current == after.current:
        print(f"schema already at {after.current}")
    else:
        print(f"schema upgraded from {before.current or 'empty'} to {after.current}")
    return 0


def run_current(args: argparse.Namespace) -> int:
    engine = make_engine(args.database or database_url())
    try:
        state = schema_state(engine)
    except SQLAlchemyError as exc:
        print(f"timbra db current: {unreachable(exc)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    word = "up to date" if state.up_to_date else "behind: run timbra db upgrade"
    print(f"schema {state.current or 'empty'}, this version {state.head} ({word})")
    return 0 if state.up_to_date else 1


def unreachable(exc: SQLAlchemyError) -> str:
    """The driver's first line says why (refused, unknown role, …); the rest is noise."""
    cause = getattr(exc, "orig", None) or exc
    return f"cannot reach the database: {str(cause).strip().splitlines()[0]}"


def schema_problem(engine: Engine) -> str | None:
    """Why a process of this version must not work on `engine`'s database, or None.

    It only reads the revision: a database with no schema is left without one, so a
    process started by mistake on the wrong URL (or before the upgrade) changes nothing.
    A SQLite file that is not there is not opened (connecting would make it)."""
    database = sqlite_file(engine)
    if database is not None and not database.exists():
        return NO_SCHEMA
    try:
        state = schema_state(engine)
    except SQLAlchemyError as exc:
        return unreachable(exc)
    if state.current is None:
        return NO_SCHEMA
    if not state.up_to_date:
        return (f"the database schema is at revision {state.current}, this timbra needs "
                f"{state.head}: run `timbra db upgrade` first")
    return None


def refuse_schema(engine: Engine, command: str) -> bool:
    """The check every command on the database makes before working, but `timbra db
    upgrade` and the demo's `timbra run`: only the upgrade migrates, once per deployment,
    never each of several processes at its start. True, with the reason printed, when
    `timbra COMMAND` must stop (with SCHEMA_REFUSED)."""
    problem = schema_problem(engine)
    if problem is not None:
        print(f"timbra {command}: {problem}", file=sys.stderr)
    return problem is not None
