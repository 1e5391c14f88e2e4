"""Days as the office's files write them: `2026-03-16`, or `16/03/2026` as Italian Excel
saves a date cell. One reader for every CSV import (employees' contract start, rota)."""

from __future__ import annotations

from datetime import date


def file_day(text: str) -> date:
    """The day `text` names; a ValueError when it names none (`31/02/2026`, `x`)."""
    if "/" in text:
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)
