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
from server.minutes import clock, hours

DUE = "{:hm} due on a working day"
REST_DAY = "not a working day of the profile: nothing due"
HOLIDAY = "{} is a holiday ({})"
HALF_DAY = "half day of leave ({})"
CODE = "{} {}: {:hm}"
DOUBLE_SWIPE = "{:clock} ignored: double swipe"
ROUNDED = "{}"
BEFORE_ENTRY = "work before {:clock} not counted (entry {:clock})"
AFTER_COUNT = "work after {:clock} not counted ({:hm})"
CREDITED_UNTIL = "code {} credited until {:clock}"
PAUSE_DUE = "{:hm} of work: a pause is due"
PAUSE_TAKEN = "{:hm} of work, pause of {:hm} taken: nothing deducted"
PAUSE_SHORT = "pause of {:hm}: {:hm} deducted"
PAUSE_ON_DUTY = "pause taken inside the span of code {}: {:hm} deducted from it"
NO_PAUSE = "no pause stamped: {:hm} deducted"
CONTINUOUS = "{:hm} of continuous work"
ABSENT = "no stamp and no justification: {:hm} unjustified"
DAY_SWAPPED = "day swapped by code {}: {:hm} due"
LATE = "entry at {:clock}: {:hm} late"
EARLY = "exit at {:clock}: {:hm} early"
MARGIN = "{:hm} short: within the margin"
MEAL = "meal voucher {}"
MEAL_EARNED = "earned"
MEAL_NOT_EARNED = "not earned: no regular pause"

# Which argument of a template is the amount of the figure its step explains (None:
# the step says the figure is 0). A template absent here states no amount of its
# figure: its minutes, if any, are context (the gross work before a pause, the
# longest stretch worked).
AMOUNT: dict[str, int | None] = {
    DUE: 0, CODE: 2, PAUSE_TAKEN: None, PAUSE_SHORT: 1, PAUSE_ON_DUTY: 1, NO_PAUSE: 0,
    ABSENT: 0, DAY_SWAPPED: 1, LATE: 1, EARLY: 1, MARGIN: 0,
}



class _Wording(Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "hm":
            return hours(value)
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
