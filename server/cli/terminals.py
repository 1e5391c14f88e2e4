"""`timbra terminals add|list|mosquitto`: badge terminals and their broker credentials.

The password of a terminal is printed once, by `add`, and never stored: the
database keeps only its Mosquitto-format hash, from which `mosquitto` writes
the broker's password file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.broker.acl import SERVER_USER
from server.broker.mosquitto import BrokerSettings, write_config
from server.cli.base import help_command
from server.cli.db import schema_problem
from server.db.directory import DirectoryError, add_terminal, ensure_institution
from server.db.engine import make_engine, make_sessionmaker
from server.db.models import Institution, Terminal
from server.plugins import institutions
from server.settings import database_url
from terminals.protocol import topic, valid_name

USAGE_ERROR = 2


class TerminalsError(Exception):
    """Something the administrator asked for that cannot be done, told plainly."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "terminals", help="register badge terminals and configure the MQTT broker",
        description="Badge terminals: their broker credentials and Mosquitto's configuration.")
    group.set_defaults(func=help_command(group))
    commands = group.add_subparsers(title="terminals commands", metavar="COMMAND")

    add = commands.add_parser(
        "add", help="register a terminal and print its credentials once",
        description="Register a terminal. Its MQTT password is printed now and never again; "
        "afterwards run `timbra terminals mosquitto` and reload the broker.")
    add.add_argument("--institution", required=True, metavar="ID")
    add.add_argument("--terminal", required=True, metavar="CODE",
                     help="lowercase letters, digits, '-' or '_'; the topic level of the terminal")
    add.add_argument("--location", default="", metavar="TEXT",
                     help='e.g. "Via Festa del Perdono 7, atrio"')
    _database_option(add)
    add.set_defaults(func=run_add)

    listing = commands.add_parser("list", help="list the registered terminals")
    listing.add_argument("--institution", metavar="ID", help="only this institution's")
    _database_option(listing)
    listing.set_defaults(func=run_list)

    mosquitto = commands.add_parser(
        "mosquitto", help="write mosquitto.conf, passwd and acl for the registered terminals",
        description="Write Mosquitto's configuration (mosquitto.conf, passwd, acl) into DIR. "
        "See docs/mosquitto.md for installing it.")
    mosquitto.add_argument("--out", required=True, type=Path, metavar="DIR")
    mosquitto.add_argument("--port", type=int, default=1883)
    mosquitto.add_argument("--bind", default="0.0.0.0", metavar="ADDRESS",
                           help="address to listen on (default: every interface)")
    mosquitto.add_argument("--data-dir", type=Path, metavar="DIR",
                           help="persistence directory (default: DIR/data)")
    mosquitto.add_argument("--include-dir", type=Path, metavar="DIR",
                           help="also read every *.conf here (a TLS listener, logging)")
    mosquitto.add_argument("--user", metavar="ACCOUNT",
                           help="account mosquitto switches to when started as root")
    mosquitto.add_argument("--server-users", type=int, default=1, metavar="N",
                           help="server users to write, one per ingest process sharing the "
                           "subscription: timbra-server, timbra-server-2, ... (default 1)")
    _database_option(mosquitto)
    mosquitto.set_defaults(func=run_mosquitto)


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL", default=None,
                        help="SQLAlchemy URL (default: $TIMBRA_DATABASE_URL or "
                        "sqlite:///timbra-data/timbra.db)")


def run_add(args: argparse.Namespace) -> int:
    if not valid_name(args.institution):
        return _fail(args, f"invalid institution id {args.institution!r}")
    try:
        with _session(args.database) as session:
            _ensure_known_institution(session, args.institution)
            created = add_terminal(session, args.institution, args.terminal, args.location)
            session.commit()
    except (DirectoryError, TerminalsError) as exc:
        return _fail(args, str(exc))
    terminal = created.terminal
    prefix = topic(terminal.institution_id, terminal.code, "stamp").rsplit("/", 1)[0]
    print(f"terminal     {terminal.institution_id}/{terminal.code}"
          + (f" ({terminal.location})" if terminal.location else ""))
    print(f"username     {terminal.username}")
    print(f"password     {created.password}")
    print(f"topic prefix {prefix}/")
    print("The password is shown only now: put it in the terminal's configuration file.",
          file=sys.stderr)
    print("Then run `timbra terminals mosquitto --out DIR` and reload mosquitto (SIGHUP).",
          file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    try:
        with _session(args.database) as session:
            query = select(Terminal).order_by(Terminal.institution_id, Terminal.code)
            if args.institution:
                query = query.where(Terminal.institution_id == args.institution)
            rows = list(session.scalars(query))
    except TerminalsError as exc:
        return _fail(args, str(exc))
    if not rows:
        print("no terminals registered", file=sys.stderr)
        return 0
    header = ("institution", "terminal", "username", "status", "last seen", "location")
    table = [header] + [
        (t.institution_id, t.code, t.username, t.status,
         t.last_seen.isoformat(timespec="seconds") if t.last_seen else "-", t.location)
        for t in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def run_mosquitto(args: argparse.Namespace) -> int:
    settings = BrokerSettings(port=args.port, bind=args.bind, data_dir=args.data_dir,
                              user=args.user, include_dir=args.include_dir)
    try:
        with _session(args.database) as session:
            written = write_config(session, args.out, settings,
                                   server_count=max(1, min(args.server_users, 64)))
    except OSError as exc:
        return _fail(args, f"cannot write into {args.out}: {exc.strerror or exc}")
    except TerminalsError as exc:
        return _fail(args, str(exc))
    print(f"wrote {written.conf}, {written.passwd.name} and {written.acl.name} "
          f"({written.terminals} terminals)")
    if written.server_password is not None:
        print(f"server user  {SERVER_USER}")
        print(f"password     {written.server_password}")
        print("The server's password is shown only now: set it in TIMBRA_MQTT_URL, e.g. "
              f"mqtt://{SERVER_USER}:PASSWORD@HOST:{args.port}", file=sys.stderr)
    print("Reload mosquitto to apply: kill -HUP $(pidof mosquitto)", file=sys.stderr)
    return 0


def _ensure_known_institution(session: Session, institution_id: str) -> None:
    if session.get(Institution, institution_id) is not None:
        return
    spec = institutions().get(institution_id)
    if spec is None:
        known = ", ".join(sorted(institutions())) or "none"
        raise TerminalsError(
            f"unknown institution {institution_id!r} (installed institutions: {known})")
    ensure_institution(session, spec.id, spec.name)


@contextmanager
def _session(url: str | None) -> Iterator[Session]:
    try:
        engine = make_engine(url or database_url())
    except SQLAlchemyError as exc:
        # The DBAPI's own message, not the URL: a URL may carry a password.
        reason = getattr(exc, "orig", None) or type(exc).__name__
        raise TerminalsError(f"cannot open the database: {reason}") from exc
    problem = schema_problem(engine)
    if problem is not None:
        engine.dispose()
        raise TerminalsError(problem)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _fail(args: argparse.Namespace, message: str) -> int:
    print(f"timbra terminals: {message}", file=sys.stderr)
    return USAGE_ERROR
