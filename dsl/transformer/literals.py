"""The literal forms of the language as numbers: durations, times of day, quoted text."""

from __future__ import annotations

import re

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def minutes_of(text: str) -> int:
    m = _DURATION.fullmatch(text)
    if not m or not text:
        raise ValueError(f"not a duration: {text}")
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def clock_of(text: str) -> int:
    """Minutes since midnight of a time of day, 00:00 to 24:00; anything else is refused."""
    m = _CLOCK.fullmatch(text)
    if m is None or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 24 * 60:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM, 00:00 to 24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])
