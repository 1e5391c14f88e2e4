"""Dates, months and times as each language writes them (Babel's CLDR data).

Italian: `03/12/2026`, `dicembre 2026`, `mer 03`; times in the institution's time zone,
never UTC on a page. Inside a sentence a date reads as people say it: `31 marzo 2026`
(`long_day`), the month `febbraio 2026` (`month_text`). `locale` defaults to the reader's;
the engine's English words (the API's `detail`) pass `"en"`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from server.i18n.current import current_locale


def day_text(day: date | str) -> str:
    """`03/12/2026`: day first in both languages, as the offices that read them write it."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(value, "dd/MM/yyyy", locale=current_locale())


def long_day(day: date | str, locale: str | None = None) -> str:
    """`31 marzo 2026` / `31 March 2026`: a date inside a sentence."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(value, "d MMMM yyyy", locale=locale or current_locale())


def month_text(year: int, month: int, locale: str | None = None) -> str:
    """`dicembre 2026` / `December 2026`."""
    return format_date(date(year, month, 1), "LLLL yyyy", locale=locale or current_locale())


def month_label(month: str, locale: str | None = None) -> str:
    """`2026-12` (as URLs carry a month) → `dicembre 2026` / `December 2026`."""
    return month_text(int(month[:4]), int(month[5:7]), locale)


def weekday_text(day: date | str) -> str:
    """The short weekday: `mer` / `Wed`."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(value, "EEE", locale=current_locale())


def local_time(moment: datetime | str, zone: str) -> str:
    """`03/12/2026 21:30` for a moment (stored in UTC), in the institution's time zone."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(ZoneInfo(zone)), "dd/MM/yyyy HH:mm",
                           locale=current_locale())
