"""Explanation steps of a day, and their wording.

A step is recorded as the rule it cites, a template and the raw figures; the
text is only formatted when someone reads it, so evaluating a month for
thousands of employees pays for no string nobody looks at. The general and
the fast path of the day share these templates, so they cannot word a step
differently. In a template `{:hm}` prints minutes as 7h15 and `{:clock}`
prints minutes since midnight as 08:05.
"""

from __future__ import annotations

from string import Formatter
from typing import Any, NamedTuple

from server.engine.results import Explain

DUE = "{:hm} due on a working day"
REST_DAY = "not a working day of the profile: nothing due"
HOLIDAY = "{} is a holiday ({})"
HALF_DAY = "half day of leave ({})"
CODE = "{} {}: {:hm}"
DOUBLE_SWIPE = "{:clock} ignored: double swipe"
ROUNDED = "{}"
BEFORE_ENTRY = "work before {:clock} not counted (entry {:clock})"
CREDITED_UNTIL = "code {} credited until {:clock}"
PAUSE_DUE = "{:hm} of work: a pause is due"
PAUSE_SHORT = "pause of {:hm}: {:hm} deducted"
PAUSE_ON_DUTY = "pause taken inside the code's span: {:hm} deducted"
NO_PAUSE = "no pause stamped: {:hm} deducted"
CONTINUOUS = "{:hm} of continuous work"
LATE = "entry at {:clock}: {:hm} late"
EARLY = "exit at {:clock}: {:hm} early"
MARGIN = "{:hm} short: within the margin"
MEAL = "meal voucher {}"
MEAL_EARNED = "earned"
MEAL_NOT_EARNED = "not earned: no regular pause"


def hm(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{rest:02d}"


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class _Wording(Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "hm":
            return hm(value)
        if format_spec == "clock":
            return clock(value)
        return str(format(value, format_spec))


_WORDING = _Wording()


class Note(NamedTuple):
    """An explanation step whose detail text is only formatted when someone reads it."""

    explain: Explain
    template: str = ""
    args: tuple[object, ...] = ()

    def render(self) -> Explain:
        e = self.explain
        detail = _WORDING.format(self.template, *self.args) if self.template else e.detail
        return Explain(e.rule, e.source, e.figure, detail)


class Moves(NamedTuple):
    """The stamps rounding moved, worked out only when the explanation is read."""

    stamps: tuple[Any, ...]  # the day's stamps (anything with a minute), in time order
    step: int

    def __format__(self, spec: str) -> str:
        half, step = self.step // 2, self.step
        moves = ((s.minute, (s.minute + half) // step * step) for s in self.stamps)
        return ", ".join(f"{clock(a)} → {clock(b)}" for a, b in moves if a != b)
