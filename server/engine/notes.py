"""Explanation steps of a day, and their wording.

A step is recorded as the rule it cites, a template and the raw figures; the
text is only formatted when someone reads it, so evaluating a month for
thousands of employees pays for no string nobody looks at. The general and
the fast path of the day share these templates, so they cannot word a step
differently. In a template `{:hm}` prints minutes as 7h15 and `{:clock}`
prints minutes since midnight as 08:05; `{:day}` an ISO date as people say it (31 March
2026) and `{:month}` a `YYYY-MM` month (February 2026), in the `locale` the text is worded
in (`server.i18n.formats`): English for the stored detail, the reader's on a page.

A template that counts something ("1 month", "2 months") is marked `Nn_(singular, plural)`
and writes its count `{:n}`: the step keeps the singular as its message id, and is worded in
the form the count asks for, in English by `word`, in the reader's language by `worded`
(gettext's plural forms: Italian "1 mese", "2 mesi").
"""

from __future__ import annotations

from functools import lru_cache
from string import Formatter
from typing import Any, NamedTuple

from server.engine.results import Explain
from server.i18n.current import N_, PLURALS, Nn_, translated
from server.i18n.formats import long_day, month_label
from server.minutes import clock, hours

DUE = N_("{:hm} due on a working day")
DUE_PART_TIME = N_("{:hm} due on a working day: {:hm} at the contract's {}% part time")
REST_DAY = N_("not a working day of the profile: nothing due")
HOLIDAY = N_("{} is a holiday ({})")
HALF_DAY = N_("half day of leave ({})")
CODE = N_("{} {}: {:hm}")
DOUBLE_SWIPE = N_("{:clock} ignored: double swipe")
ROUNDED = "{}"
BEFORE_ENTRY = N_("work before {:clock} not counted (entry {:clock})")
AFTER_COUNT = N_("work after {:clock} not counted ({:hm})")
CREDITED_UNTIL = N_("code {} credited until {:clock}")
PAUSE_DUE = N_("{:hm} of work: a pause is due")
PAUSE_TAKEN = N_("{:hm} of work, pause of {:hm} taken: nothing deducted")
PAUSE_SHORT = N_("pause of {:hm}: {:hm} deducted")
PAUSE_ON_DUTY = N_("pause taken inside the span of code {}: {:hm} deducted from it")
NO_PAUSE = N_("no pause stamped: {:hm} deducted")
CONTINUOUS = N_("{:hm} of continuous work")
ABSENT = N_("no stamp and no justification: {:hm} unjustified")
DAY_SWAPPED = N_("day swapped by code {}: {:hm} due")
LATE = N_("entry at {:clock}: {:hm} late")
EARLY = N_("exit at {:clock}: {:hm} early")
MARGIN = N_("{:hm} short: within the margin")
OVER_CAP = N_("code {} over its limit of {:hm} a {}: {:hm} not counted")
PAUSE_SKIPPED = N_("pause skipped, approved by code {}: {:hm} not deducted")
PAUSE_AS_OVERTIME = N_("{} {}: pause worked, approved: {:hm} counted as overtime")
EXCESS = N_("{:hm} beyond the due without an approved overtime request: not credited")
OVER_UNIT_BUDGET = N_("unit {}: {:hm} of paid overtime this year, over its budget of {:hm}: "
                      "{:hm} of this month not paid")
OVER_WINDOW = Nn_("code {} in the {:n} week from {:day}: {:hm}, over {}% of its due {:hm} "
                  "({:hm}): {:hm} not counted",
                  "code {} in the {:n} weeks from {:day}: {:hm}, over {}% of their due {:hm} "
                  "({:hm}): {:hm} not counted")
MEAL = N_("meal voucher {}")
MEAL_EARNED = N_("earned")
MEAL_NOT_EARNED = N_("not earned: no regular pause")

# Arguments that are themselves words to translate (the rest are figures, codes, names).
PER_DAY = N_("day")
THIS_PERIOD = {"month": N_("this month"), "year": N_("this year")}
COUNTED = {"missed_stamps": N_("missed stamps"), "tolerated_margins": N_("margins tolerated"),
           "anomaly_days": N_("days with anomalies")}
UNITS = {"week": N_("week"), "month": N_("month")}  # a monte ore's unit and period
WORD_ARGS = frozenset({MEAL_EARNED, MEAL_NOT_EARNED, PER_DAY, *THIS_PERIOD.values(),
                       *COUNTED.values(), *UNITS.values()})

# The month's own steps.
M_MARGIN_DEBT = Nn_("margin used on {:n} day (limit {}): {:hm} become debt",
                    "margin used on {:n} days (limit {}): {:hm} become debt")
M_MONTE_ORE_DUE = Nn_("monte ore of {:hm} a {} over the {}: {:n} working day, {:hm} due",
                      "monte ore of {:hm} a {} over the {}: {:n} working days, {:hm} due")
M_DRAWN = N_("code {}: {:hm} beyond {} drawn on {}")
# What a month's deadline asks of the person, by the deadline's name (`dsl.vocabulary`; a
# missed stamp's is told with each anomaly, not by the month).
DEADLINE_STEPS = {
    "negative_balance": N_("negative balance to recover by {:day}"),
    "anomaly_fix": N_("anomalies to fix by {:day}"),
    "report": N_("monthly report due by {:day}"),
    "correction_request": N_("correction requests accepted until {:day}"),
    "compensatory_rest": N_("compensatory rest to take by {:day}"),
}

# Flags: what the manager is told about a month, with their arguments.
F_CODE_OVER_LIMIT = N_("code {}: {:hm} {}, over the limit of {:hm}: {:hm} not counted")
F_OVERTIME_OVER_LIMIT = N_("overtime: {:hm} {}, over the limit of {:hm}: {:hm} not counted")
F_MONTE_ORE = N_("monte ore not reached: {:hm} of {:hm} ({:hm} short)")
F_OVER_HALF_DAY = N_("{}: {:hm} of {}, more than half the day's {:hm}")
F_COUNT = N_("{}: {} in the month (more than {})")

# Anomalies: the message ids of what a person must fix, with their arguments.
A_UNKNOWN_CODE = N_("code {} is not defined by the rules in force")
A_NOT_FOR_PROFILE = N_("code {} is not for {}")
A_TWO_ENTRIES = N_("two entries in a row ({:clock})")
A_EXIT_WITHOUT_ENTRY = N_("an exit without an entry ({:clock})")
A_NO_EXIT = N_("entry at {:clock} has no exit")
A_NEEDS_APPROVAL = N_("code {} ({}) needs the {}'s approval")
A_PAUSE_OUTSIDE_BAND = N_("lunch pause stamped outside its band")
A_PAUSE_OUTSIDE_BAND_CODE = N_("lunch pause stamped outside its band: justify with code {}")
A_ABSENT = N_("working day without stamps or justification")
A_SHIFT_NOT_IN_SHIFTS = N_("the rota sets shift '{}', but profile '{}' does not work in shifts")
A_CHOSEN_NOT_ALLOWED = N_("the employee's record chooses {}, but profile '{}' lets no days "
                          "be chosen")
A_CHOSEN_MISSING = N_("'{}' ({}) needs the employee's chosen days; their record names none")
A_CHOSEN_WRONG = N_("the employee's record chooses {}, which does not fit '{}' ({})")
A_SHIFT_UNLISTED = N_("the rota sets shift '{}', which '{}' ({}) does not list")

# Which argument of a template is the amount of the figure its step explains (None:
# the step says the figure is 0). A template absent here states no amount of its
# figure: its minutes, if any, are context (the gross work before a pause, the
# longest stretch worked).
AMOUNT: dict[str, int | None] = {
    DUE: 0, DUE_PART_TIME: 0, CODE: 2, PAUSE_TAKEN: None, PAUSE_SHORT: 1, PAUSE_ON_DUTY: 1,
    NO_PAUSE: 0, ABSENT: 0, DAY_SWAPPED: 1, LATE: 1, EARLY: 1, MARGIN: 0, PAUSE_AS_OVERTIME: 2,
    PAUSE_SKIPPED: None,
}
# Templates whose minutes are what a limit took away, not an amount of their figure.
TAKEN_AWAY = frozenset({OVER_CAP, EXCESS, OVER_WINDOW, OVER_UNIT_BUDGET})
# Templates of the month's steps and flags, never a day's: their minutes are the month's.
MONTH = frozenset({F_CODE_OVER_LIMIT, F_OVERTIME_OVER_LIMIT, F_MONTE_ORE, F_OVER_HALF_DAY,
                   M_MARGIN_DEBT, M_MONTE_ORE_DUE, M_DRAWN})



def plain(args: tuple[object, ...]) -> tuple[object, ...]:
    """Arguments as stored with a result: numbers and text (a rounding's moves as text)."""
    return tuple(a if isinstance(a, int | str) else format(a) for a in args)


def _field(value: Any, spec: str, locale: str) -> str:
    if spec == "hm":
        return hours(value)
    if spec == "clock":
        return clock(value)
    if spec == "day":
        return long_day(str(value), locale)
    if spec == "month":
        return month_label(str(value), locale)
    if spec == "n":  # a count: a whole number, or half days as leave prints them (12½)
        return str(value)
    return str(format(value, spec))


def count_of(template: str, args: tuple[object, ...]) -> int | None:
    """The count (`{:n}`) of a template with a plural, as gettext counts to choose a form; None
    for a template without one. Gettext counts integers: a lone half reads as half a day
    ("½ giorno", "½ day"), so it counts as 1; 1½ and more are plural ("1½ giorni"), 2."""
    index = _count_field(template)
    if index is None or index >= len(args):
        return None
    value = args[index]
    try:
        number = float(value if isinstance(value, int | float) else
                       str(value).replace("½", ".5"))
    except ValueError:  # not a number: the plural, the form most counts take
        return 2
    return int(number) if number.is_integer() else 1 if abs(number) < 1 else 2


@lru_cache(maxsize=256)
def _count_field(template: str) -> int | None:
    """Which field of a template with a plural (`Nn_`) is its count; None for any other."""
    if template not in PLURALS:
        return None
    specs = [spec for _, spec in _pieces(template) if spec is not None]
    return specs.index("n") if "n" in specs else None


@lru_cache(maxsize=256)
def _pieces(template: str) -> tuple[tuple[str, str | None], ...]:
    """A template cut once into (text, the spec of the field after it or None)."""
    return tuple((text, None if name is None else spec or "")
                 for text, name, spec, _ in Formatter().parse(template))


def word(template: str, args: tuple[object, ...], locale: str = "en") -> str:
    """The template with its positional fields filled; `{:hm}`, `{:clock}`, `{:day}` and
    `{:month}` as above, dates and months in `locale` (English: the message ids' own); a
    message id with a plural in the English form its count asks for.
    Cut once per template: `string.Formatter` parses it again at every call, and a
    month's stored results word a few steps of every day."""
    if template in PLURALS and count_of(template, args) != 1:
        template = PLURALS[template]
    out, fields = [], iter(args)
    for text, spec in _pieces(template):
        out.append(text)
        if spec is not None:
            out.append(_field(next(fields), spec, locale))
    return "".join(out)


def worded(message_id: str, args: tuple[object, ...], locale: str) -> str:
    """A message id said in `locale`: its translation (of one with a plural, the form its
    count asks for there) filled as `word` fills it. For readers of stored steps: the
    engine words its English with `word` and reads no catalogue."""
    return word(translated(message_id, count_of(message_id, args), locale), args, locale)


class Note(NamedTuple):
    """An explanation step whose detail text is only formatted when someone reads it."""

    explain: Explain
    template: str = ""
    args: tuple[object, ...] = ()

    def render(self) -> Explain:
        e = self.explain
        if not self.template:
            return e
        return Explain(e.rule, e.source, e.figure, word(self.template, self.args),
                       self.template, plain(self.args), e.regulation)

    def to_json(self) -> dict[str, str]:
        """`render().to_json()`; a step repeated across days and employees (the same rule,
        the same figures) is worded once."""
        try:
            return dict(_json(self))
        except TypeError:  # an argument that cannot be hashed
            return self.render().to_json()


@lru_cache(maxsize=4096)
def _json(note: Note) -> dict[str, str]:
    return note.render().to_json()  # shared: `Note.to_json` hands out copies


class Moves(NamedTuple):
    """The stamps rounding moved, worked out only when the explanation is read."""

    stamps: tuple[Any, ...]  # the day's stamps (anything with a minute), in time order
    step: int

    def __format__(self, spec: str) -> str:
        half, step = self.step // 2, self.step
        moves = ((s.minute, (s.minute + half) // step * step) for s in self.stamps)
        return ", ".join(f"{clock(a)} → {clock(b)}" for a, b in moves if a != b)
