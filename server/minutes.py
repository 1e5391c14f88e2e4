"""Minutes as people read them, written and parsed in one place.

Two forms: a duration, "7h40" (how the seeds write hours worked, due, balances; "-0h15"
for a deficit; the spreadsheets and the PDF write "7:40"), and a time of day, "08:30"
(a stamp, a deadline). Pages, PDF, reports, the CLI and the engine's explanations write
minutes through these. The rule language keeps its own words in `dsl/formatter.py`
(`duration` "7h15m", `clock`): dsl sits below the server and must not import it.
"""

from __future__ import annotations


def hours(minutes: int, sep: str = "h") -> str:
    """480 → "8h00", -15 → "-0h15"; with `sep=":"`, "8:00"."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    return f"{sign}{whole}{sep}{rest:02d}"


def clock(minute: int) -> str:
    """510 → "08:30": a minute of the day."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_clock(text: str) -> int:
    """"08:30", "8.30" or "8" → minutes since midnight (24:00 is 1440); ValueError else."""
    hours_text, _, minutes_text = text.strip().replace(".", ":").partition(":")
    value = int(hours_text) * 60 + int(minutes_text or "0")
    if not 0 <= value <= 24 * 60 or not 0 <= int(minutes_text or "0") < 60:
        raise ValueError(text)
    return value
