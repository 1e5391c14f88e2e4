"""Whether a month is open, being closed or closed (when, by whom), as the printed files
state it: a timecard or a report printed from an open month may still change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import MonthClose, User
from server.i18n.current import gettext
from server.i18n.formats import local_time


@dataclass(frozen=True)
class MonthStatus:
    state: str  # open (never closed, or reopened), closing, closed
    closed_at: datetime | None = None
    closed_by: str | None = None  # the display name of who began the close


def month_status(session: Session, institution_id: str, year: int, month: int) -> MonthStatus:
    row = session.execute(select(MonthClose, User.display_name).join(
        User, User.id == MonthClose.started_by).where(
        MonthClose.institution_id == institution_id, MonthClose.year == year,
        MonthClose.month == month)).first()
    if row is None or row[0].state == "reopened":
        return MonthStatus("open")
    close, name = row
    return MonthStatus(close.state, close.closed_at, name)


def status_text(status: MonthStatus, zone: str) -> str:
    """In the current language: "Mese chiuso il 04/05/2026 10:12 da Ufficio personale"."""
    if status.state == "closed" and status.closed_at is not None:
        return gettext("Month closed on %(date)s by %(name)s",
                       date=local_time(status.closed_at, zone), name=status.closed_by or "")
    if status.state == "closing":
        return gettext("Month being closed: figures may still change")
    return gettext("Month open: figures may still change")
