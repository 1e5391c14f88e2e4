"""`timbra users add`: accounts for the web pages.

The one-time password is printed once and never stored: the database keeps its argon2
hash, and the user must change it at the first login.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.cli.base import help_command
from server.cli.db import SCHEMA_REFUSED, refuse_schema
from server.db.directory import DirectoryError
from server.db.engine import make_engine
from server.office.accounts import ROLES, add_user
from server.settings import database_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("users", help="accounts for the web pages",
                                  description="Accounts people log in with.")
    group.set_defaults(func=help_command(group))
    commands = group.add_subparsers(title="users commands", metavar="COMMAND")
    add = commands.add_parser(
        "add", help="create an account and print its one-time password",
        description="Create an account. Its one-time password is printed now and never "
        "again; it must be changed at the first login.")
    add.add_argument("--institution", required=True, metavar="ID")
    add.add_argument("--username", required=True, metavar="U")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--employee", metavar="NUMBER",
                     help="the employee number (matricola) this account belongs to")
    add.add_argument("--unit", metavar="UNIT", help="for a manager: the unit they approve for")
    add.add_argument("--name", metavar="TEXT", help="display name (default: the employee's)")
    add.add_argument("--database", metavar="URL", default=None,
                     help="SQLAlchemy URL (default: TIMBRA_DATABASE_URL or timbra-data/)")
    add.set_defaults(func=run_add)


def run_add(args: argparse.Namespace) -> int:
    engine = make_engine(args.database or database_url())
    try:
        if refuse_schema(engine, "users add"):
            return SCHEMA_REFUSED
        with Session(engine) as session, session.begin():
            made = add_user(session, args.institution, args.username, args.role,
                            employee_number=args.employee, unit=args.unit,
                            display_name=args.name)
            user_id = made.user.id
    except DirectoryError as exc:
        print(f"timbra users add: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"timbra users add: database error: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"user {args.username} (id {user_id}, {args.role}, {args.institution})")
    print(f"one-time password: {made.password}")
    print("Shown only now; it must be changed at the first login. / "
          "Mostrata solo ora; va cambiata al primo accesso.")
    return 0
