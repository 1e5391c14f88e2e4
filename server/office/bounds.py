"""How much text and how far ahead the office's services accept.

A note is read by a person on a page: 2,000 characters is a long letter, and without a
limit one 9 MB note made every listing that shows it 9 MB. A request dated years ahead
(9999-12-31 was accepted and approved) falls in a month no page can show or close, so a
request may be filed at most `DAYS_AHEAD` days after today; before the institution's
first rules the rules lookup already refuses it.
"""

from __future__ import annotations

from datetime import date, timedelta

from server.errors import OfficeError

MAX_TEXT = 2000  # characters of a note, circumstances or reason
MAX_FILE_NAME = 255  # what file systems and browsers keep of a name
DAYS_AHEAD = 366


def bounded_text(text: str, field: str, limit: int = MAX_TEXT) -> str:
    """`text` unchanged, or a refusal naming the field and the limit."""
    if len(text) > limit:
        raise OfficeError(f"Testo troppo lungo: al massimo {limit} caratteri ({len(text)} dati)",
                          f"Text too long: at most {limit} characters ({len(text)} given)",
                          field=field)
    return text


def within_reach(day: date, today: date, field: str = "day") -> date:
    """`day` unchanged if it is at most `DAYS_AHEAD` days after `today`."""
    last = today + timedelta(days=DAYS_AHEAD)
    if day > last:
        raise OfficeError(f"Data troppo lontana: al più tardi il {last:%d/%m/%Y}",
                          f"Date too far ahead: {last.isoformat()} at the latest", field=field)
    return day
