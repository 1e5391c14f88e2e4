"""Minutes as people read them, written and parsed in one place.

Two forms: a duration, "7h40" (how the seeds write hours worked, due, balances; "-0h15"
for a deficit; the spreadsheets and the PDF write "7:40"), and a time of day, "08:30"
(a stamp, a deadline). Pages, PDF, reports, the CLI and the engine's explanations write
minutes through these. The rule language keeps its own words in `dsl/formatter.py`
(`duration` "7h15m", `clock`): dsl sits below the server and must not import it.
"""

from __future__ import annotations

import re

_HOURS = re.compile(r"([+-]?)(\d{1,4})(?::(\d{2}))?")
_DECIMAL = re.compile(r"([+-]?)(\d{1,4})(?:[.,](\d{1,2}))?")


def hours(minutes: int, sep: str = "h") -> str:
    """480 → "8h00", -15 → "-0h15"; with `sep=":"`, "8:00"."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    return f"{sign}{whole}{sep}{rest:02d}"


def signed_hours(minutes: int) -> str:
    """A change, signed whichever way it goes: 105 → "+1h45", -105 → "-1h45", 0 → "0h00"."""
    return ("+" if minutes > 0 else "") + hours(minutes)


def clock(minute: int) -> str:
    """510 → "08:30": a minute of the day."""
    if 0 <= minute < len(_CLOCKS):
        return _CLOCKS[minute]
    return f"{minute // 60:02d}:{minute % 60:02d}"


# Every stored day result writes its stamps' times: read from a table, not formatted.
# Two days long: a night shift's morning stamps count past 24:00.
_CLOCKS = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(2 * 24 * 60 + 1))


def parse_clock(text: str) -> int:
    """"08:30", "8.30" or "8" → minutes since midnight (24:00 is 1440); ValueError else."""
    hours_text, _, minutes_text = text.strip().replace(".", ":").partition(":")
    value = int(hours_text) * 60 + int(minutes_text or "0")
    if not 0 <= value <= 24 * 60 or not 0 <= int(minutes_text or "0") < 60:
        raise ValueError(text)
    return value


def parse_hours(text: str, *, signed: bool) -> int:
    """A duration as the office's files write it: "12:15" → 735, "-3:30" → -210 (with
    `signed`), "12" → 720, "7,5" → 450; ValueError otherwise."""
    text = text.strip().replace(" ", "")
    clock = _HOURS.fullmatch(text)
    if clock and (clock.group(3) is None or int(clock.group(3)) < 60):
        sign, whole, minutes = clock.group(1), int(clock.group(2)), int(clock.group(3) or 0)
    else:
        decimal = _DECIMAL.fullmatch(text)
        if decimal is None:
            raise ValueError(text)
        sign, whole = decimal.group(1), int(decimal.group(2))
        minutes = round(float(f"0.{decimal.group(3) or 0}") * 60)
    if sign == "-" and not signed:
        raise ValueError(text)
    total = whole * 60 + minutes
    return -total if sign == "-" else total
