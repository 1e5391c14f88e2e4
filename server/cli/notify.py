"""`timbra notify`: tell people what waits for them, and send the outbox's e-mails.

Each round adds the notifications found by looking (anomalies whose fix-by is within
`--within` hours, terminals not connected) and sends the e-mails due, through the server
of `TIMBRA_SMTP_*` (server/settings.py). Without `--loop` it runs one round; with it, a
round every N seconds until stopped. SMTP down: the e-mails wait in the outbox and are
sent by a later round.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.cli.db import SCHEMA_REFUSED, refuse_schema
from server.db.engine import make_engine
from server.office.outbox import deliver
from server.office.reminders import scan
from server.settings import database_url, smtp_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "notify", help="add deadline and terminal notifications, send the e-mails",
        description="Add the notifications of anomalies due soon and of terminals not "
        "connected, then send the e-mails waiting in the outbox (TIMBRA_SMTP_HOST, "
        "TIMBRA_SMTP_PORT, TIMBRA_SMTP_STARTTLS, TIMBRA_SMTP_USER, TIMBRA_SMTP_PASSWORD, "
        "TIMBRA_SMTP_FROM).")
    parser.add_argument("--within", type=int, default=24, metavar="HOURS",
                        help="tell of anomalies whose fix-by is this near (1-720, default 24)")
    parser.add_argument("--loop", type=int, default=0, metavar="SECONDS",
                        help="run a round every SECONDS (10-86400) until stopped")
    parser.add_argument("--database", metavar="URL", default=None,
                        help="SQLAlchemy URL (default: TIMBRA_DATABASE_URL or timbra-data/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.within <= 720 or not (args.loop == 0 or 10 <= args.loop <= 86400):
        print("timbra notify: --within goes from 1 to 720, --loop from 10 to 86400",
              file=sys.stderr)
        return 2
    try:
        smtp_settings()
    except ValueError as error:
        print(f"timbra notify: {error}", file=sys.stderr)
        return 2
    engine = make_engine(args.database or database_url())
    try:
        if refuse_schema(engine, "notify"):
            return SCHEMA_REFUSED
        while True:
            one_round(engine, timedelta(hours=args.within))
            if not args.loop:
                return 0
            time.sleep(args.loop)
    except SQLAlchemyError as error:
        print(f"timbra notify: database error: {error.__class__.__name__}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def one_round(engine: Engine, within: timedelta) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        found = scan(session, now, within)
    for problem in found.problems:
        print(f"timbra notify: {problem}", file=sys.stderr)
    smtp = smtp_settings()
    if smtp is None:
        print(f"notified: {found.deadlines} deadlines, {found.terminals} terminals; "
              "no TIMBRA_SMTP_HOST: e-mails stay in the outbox")
        return
    sent = deliver(engine, smtp, now=now)
    print(f"notified: {found.deadlines} deadlines, {found.terminals} terminals; "
          f"e-mails sent {sent.sent}, to retry {sent.retrying}, given up {sent.failed}")
