"""The notifications no user action triggers, found by looking: anomalies whose fix-by is
near, terminals gone quiet. `timbra notify` runs `scan` before sending the outbox; each
event is told once however often it runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Institution
from server.errors import OfficeError
from server.office import notifications
from server.office.home import near_deadlines

DEFAULT_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class Scan:
    deadlines: int  # notifications added
    terminals: int
    problems: list[str]  # institutions whose month could not be computed, and why


def scan(session: Session, now: datetime, within: timedelta = DEFAULT_WITHIN) -> Scan:
    """Add the notifications due now; the caller commits."""
    deadlines, problems = 0, []
    for institution in session.scalars(select(Institution.id).order_by(Institution.id)):
        try:
            near = near_deadlines(session, institution, now, within)
        except (OfficeError, LookupError) as error:
            problems.append(f"{institution}: {error}")
            continue
        deadlines += notifications.anomaly_deadlines(session, near, now)
    return Scan(deadlines, notifications.terminals_offline(session, now), problems)
