"""`timbra purge`: remove what the retention settings no longer keep (server/office/
retention.py): rejected messages, old audit entries, expired web sessions. Meant for a
daily timer; every run that removes is itself audited."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.cli.db import SCHEMA_REFUSED, refuse_schema, unreachable
from server.db import make_engine
from server.errors import OfficeError
from server.office.retention import Retention, purge
from server.settings import database_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "purge", help="remove rejected messages and audit entries older than their retention")
    parser.add_argument("--database", default=None,
                        help="SQLAlchemy URL (default: $TIMBRA_DATABASE_URL or SQLite)")
    parser.add_argument("--rejected-older-than", type=int, metavar="DAYS", default=None,
                        help="rejected messages (default $TIMBRA_RETAIN_REJECTED_DAYS or 90)")
    parser.add_argument("--audit-older-than", type=int, metavar="DAYS", default=None,
                        help="audit entries (default $TIMBRA_RETAIN_AUDIT_DAYS or 1825)")
    parser.add_argument("--dry-run", action="store_true",
                        help="count what would be removed, remove nothing")
    parser.set_defaults(func=run_purge)


def run_purge(args: argparse.Namespace) -> int:
    try:
        configured = Retention.from_environment()
        retention = Retention(
            rejected_days=_given(args.rejected_older_than, configured.rejected_days),
            audit_days=_given(args.audit_older_than, configured.audit_days))
    except OfficeError as exc:
        print(f"timbra purge: {exc.english}", file=sys.stderr)
        return 2
    engine = make_engine(args.database or database_url())
    try:
        if refuse_schema(engine, "purge"):
            return SCHEMA_REFUSED
        with Session(engine) as session, session.begin():
            purged = purge(session, retention, datetime.now(UTC), dry_run=args.dry_run)
    except SQLAlchemyError as exc:
        print(f"timbra purge: {unreachable(exc)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    verb = "would remove" if args.dry_run else "removed"
    print(f"rejected messages received before {purged.rejected_before:%Y-%m-%d}: "
          f"{verb} {purged.rejected}")
    print(f"audit entries before {purged.audit_before:%Y-%m-%d}: {verb} {purged.audit}")
    print(f"expired web sessions: {verb} {purged.sessions}")
    return 0


def _given(value: int | None, default: int) -> int:
    return default if value is None else value
