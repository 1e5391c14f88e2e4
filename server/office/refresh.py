"""Recompute the stored day results of days a decision or a correction changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.orm import Session

from server.ingest.lookup import Lookup
from server.ingest.recompute import recompute


def refresh_days(session: Session, days: Iterable[tuple[str, int, date]], now: datetime) -> int:
    """Same path as ingest, in the caller's transaction, so the timecard shows it at once."""
    return recompute(session, Lookup(), set(days), now)
