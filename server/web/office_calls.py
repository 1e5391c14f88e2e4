"""Calling the office services from a handler: the acting `User` row, their refusals as
HTTP statuses, and the small parsers the forms share (times, days, months).

The services take the database `User` (not the session's `CurrentUser`) because they
check `active` and write the audit entry with it; they raise `OfficeError`, which a page
shows next to its form and the API returns as JSON with the matching status.
"""

from __future__ import annotations

from datetime import date

from litestar.exceptions import (
    NotFoundException,
)
from sqlalchemy.orm import Session

from server import minutes
from server.db.models import User
from server.errors import OfficeError
from server.i18n.current import gettext
from server.web.identity import CurrentUser
from server.web.scope import MAX_ID, NOT_FOUND
from server.web.timecard import parse_month


def acting_user(session: Session, user: CurrentUser) -> User:
    row = session.get(User, user.id)
    if row is None:  # deleted since the session was read: as good as logged out
        raise NotFoundException(gettext(NOT_FOUND))
    return row


def parse_clock(text: str | None, italian: str, english: str, field: str) -> int | None:
    """'08:05' → 485; '' → None; anything else an OfficeError on that field."""
    if not (text or "").strip():
        return None
    try:
        return minutes.parse_clock(text or "")
    except ValueError:
        raise OfficeError(f"{italian}: usa HH:MM", f"{english}: use HH:MM",
                          field=field) from None


def parse_day(text: str | None, field: str = "day") -> date:
    """ISO (2026-11-02, what `<input type=date>` sends) or Italian (02/11/2026)."""
    text = (text or "").strip()
    try:
        if "/" in text:
            day_text, month_text, year_text = text.split("/")
            return date(int(year_text), int(month_text), int(day_text))
        return date.fromisoformat(text)
    except ValueError:
        raise OfficeError("Data non valida: usa GG/MM/AAAA", "Invalid date: use YYYY-MM-DD",
                          field=field) from None


def month_of(text: str | None, today: date) -> tuple[int, int]:
    try:
        return parse_month(text, today)
    except ValueError:
        raise OfficeError("Mese non valido: usa AAAA-MM", "Invalid month: use YYYY-MM",
                          field="month") from None


def previous_month(today: date) -> str:
    """The month a close or a report is usually about: the one that just ended."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def form_id(text: str | None) -> int:
    """An id typed in a form; anything that is not one becomes 0, which matches no row
    (so the caller's scoping answers 404, as for an id of another institution)."""
    try:
        value = int((text or "").strip())
    except ValueError:
        return 0
    return value if 0 < value <= MAX_ID else 0
