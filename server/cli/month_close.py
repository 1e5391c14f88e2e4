"""`timbra close`: the month close from the command line, as the office page runs it.

It begins the close (or resumes one left "closing" by a stopped process or server) and
commits after every batch, printing the progress; killed at any point, running it again
goes on from the first employee not yet evaluated. `--check` prints the pre-check only.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.cli.db import SCHEMA_REFUSED, refuse_schema
from server.db.engine import make_engine
from server.db.models import User
from server.errors import OfficeError
from server.office import closing
from server.settings import database_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "close", help="close (or resume closing) a month of an institution",
        description="Close a month as the personnel office's page does: with pending "
        "requests or open anomalies a --reason is required (audited). A close left "
        "unfinished is resumed where it stopped.")
    parser.add_argument("--institution", required=True, metavar="ID")
    parser.add_argument("--month", required=True, metavar="YYYY-MM")
    parser.add_argument("--as", dest="username", required=True, metavar="USER",
                        help="the personnel office's user the close is made as (audited)")
    parser.add_argument("--reason", metavar="TEXT",
                        help="why the month is closed with requests or anomalies open")
    parser.add_argument("--check", action="store_true",
                        help="only list each employee's pending requests and open anomalies")
    parser.add_argument("--batch", type=int, default=50, metavar="N",
                        help="employees evaluated per committed step (1-500, default 50)")
    parser.add_argument("--database", metavar="URL", default=None,
                        help="SQLAlchemy URL (default: TIMBRA_DATABASE_URL or timbra-data/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        year, month = _month(args.month)
        if not 1 <= args.batch <= 500:
            raise OfficeError("--batch va da 1 a 500", "--batch goes from 1 to 500")
    except OfficeError as error:
        print(f"timbra close: {error}", file=sys.stderr)
        return 2
    engine = make_engine(args.database or database_url())
    try:
        if refuse_schema(engine, "close"):
            return SCHEMA_REFUSED
        with Session(engine, expire_on_commit=False) as session:
            actor = session.scalar(select(User).where(
                User.username == args.username, User.institution_id == args.institution,
                User.active.is_(True)))
            if actor is None:
                raise OfficeError(
                    f"Nessun utente attivo {args.username} in {args.institution}",
                    f"No active user {args.username} in {args.institution}")
            if args.check:
                _print_check(closing.precheck(session, actor, year, month))
                return 0
            final = closing.close_month(
                session, actor, year, month, batch=args.batch, reason=args.reason,
                on_progress=lambda p: print(f"{p.done}/{p.total}", flush=True))
            print(f"{args.month}: {final.state}, {final.done}/{final.total}")
            return 0
    except OfficeError as error:
        print(f"timbra close: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"timbra close: database error: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _month(text: str) -> tuple[int, int]:
    year, _, month = text.partition("-")
    if len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return int(year), int(month)
    raise OfficeError(f"Mese non valido: {text!r} (AAAA-MM)",
                      f"Not a month: {text!r} (YYYY-MM)")


def _print_check(check: closing.Precheck) -> None:
    print(f"{check.month}: {check.pending_requests} richieste in sospeso / pending requests,"
          f" {check.open_anomalies} anomalie aperte / open anomalies")
    for item in check.employees:
        print(f"{item.number}\t{item.name}\t{item.pending_requests}\t{item.open_anomalies}")
