"""The closed word lists of the language: what a NAME may be in each place.

The grammar reads these places as plain names so that a typo gets a
"did you mean" instead of a bare syntax error; this module is the list the
transformer and the engine agree on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

SOURCES = frozenset({"terminal", "web", "app", "manual"})
DIRECTIONS = frozenset({"keys", "alternate"})
CATEGORIES = frozenset({"stamping", "presence_only", "signature_sheet"})
WORKING_MODES = frozenset({"full", "part"})
ARRANGEMENTS = frozenset({"horizontal", "vertical"})
# A monte ore: hours owed per unit, settled over a period (`monte_ore 36h per week over month`).
MONTE_ORE_UNITS = frozenset({"week"})
MONTE_ORE_PERIODS = frozenset({"month"})
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The same days as the users say them (`days lun..ven`), accepted wherever the English ones
# are; the formatter prints the English ones, like every other keyword of the language.
DAYS_IT = ("lun", "mar", "mer", "gio", "ven", "sab", "dom")
# And in full (`days lunedì..venerdì`), with the accent or, as many keyboards type it, without.
DAYS_IT_FULL = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
DAYS_IT_PLAIN = tuple(name.replace("ì", "i") for name in DAYS_IT_FULL)
_DAY_LISTS = (DAYS, DAYS_IT, DAYS_IT_FULL, DAYS_IT_PLAIN)
DAY_NAMES = frozenset(name for names in _DAY_LISTS for name in names)


def day_number(word: str) -> int | None:
    """The ISO weekday (1 = Monday) of a day name, English or Italian; None if it is none."""
    for names in _DAY_LISTS:
        if word in names:
            return names.index(word) + 1
    return None


CODE_KINDS = frozenset(
    {
        "service",  # time away on duty: counts as worked
        "service_day",  # a whole day on duty elsewhere: the day's due counts as worked
        "hourly_absence",  # justified hours away: credited, unless the allowance is recovered
        "day_absence",  # a whole justified day: the day's due is credited
        "half_day_morning",  # half a day of leave in the morning
        "half_day_afternoon",  # half a day of leave in the afternoon
        "overtime_paid",  # work beyond the schedule, counted apart, to be paid
        "overtime_banked",  # work beyond the schedule, counted apart, banked as rest
        "pause_outside_band",  # allows the lunch pause outside its band
        "day_swap",  # part-time vertical: works a day instead of another
        "pause_waiver",  # an authorised skipped pause: nothing deducted, voucher kept
    }
)
OVERTIME_KINDS = frozenset({"overtime_paid", "overtime_banked"})
# What a pause's `skipped_with` code may be: given back, or recognised as overtime.
PAUSE_SKIP_KINDS = frozenset({"pause_waiver", *OVERTIME_KINDS})
# The windows a `max … per …` limit counts over.
CAP_PERIODS = ("day", "month", "year")
ENTRY_CHANNELS = frozenset({"terminal", "web", "app"})
APPROVERS = frozenset({"manager", "director", "office"})

DEADLINES = frozenset(
    {
        "anomaly_fix",  # anomalies of a month fixed by
        "missed_stamp",  # a missed stamp declared by
        "negative_balance",  # a month's negative balance recovered by
        "report",  # the monthly report available by
        "correction_request",  # corrections asked within
        "compensatory_rest",  # banked overtime used as rest by
    }
)
# Leave in days (`leave NAME { … }`): what prorates it, how it accrues, the window of a
# `max … days per …`, the code kinds that draw on it and how much each draws (in halves).
LEAVE_PRORATE = frozenset({"part_time", "contract"})
LEAVE_ACCRUALS = frozenset({"monthly"})
LEAVE_CAP_PERIODS = frozenset({"month"})
LEAVE_DRAWS = {"day_absence": 2, "service_day": 2, "half_day_morning": 1,
               "half_day_afternoon": 1}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTHS_IT = ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")
MONTH_NAMES = frozenset(MONTHS) | frozenset(MONTHS_IT)


def month_number(word: str) -> int | None:
    """The month (1 = January) of a month name, English or Italian; None if it is none."""
    for names in (MONTHS, MONTHS_IT):
        if word in names:
            return names.index(word) + 1
    return None


FLAG_METRICS = frozenset({"missed_stamps", "tolerated_margins", "anomaly_days"})
PASSWORD_REQUIREMENTS = frozenset({"digit", "letter", "uppercase", "symbol"})



@dataclass(slots=True, kw_only=True)
class MinuteFigures:
    """The minute figures a day has and a month sums, in the order results print them.

    The one declaration of them: the engine's day and month results inherit these
    fields, and an example may expect any of them (`expect worked 7h15`)."""

    worked: int = 0
    due: int = 0
    balance: int = 0
    pause_deducted: int = 0
    credited: int = 0
    unjustified: int = 0
    negative_flex: int = 0
    tolerated: int = 0
    to_recover: int = 0
    overtime_paid: int = 0
    overtime_banked: int = 0


MINUTE_FIGURES = tuple(f.name for f in fields(MinuteFigures))
BOOL_FIGURES = frozenset({"meal_voucher"})
ANOMALIES = frozenset(
    {
        "unpaired_stamps",  # an odd number of stamps, or two entries in a row
        "not_alternating",  # stamps out of the entry-exit order
        "pause_outside_band",  # lunch pause stamped outside its band, no code 49
        "needs_approval",  # a code that needs an approval that is not there
        "unknown_code",  # a code the rules in force do not define
        "code_outside_schedule",  # a code typed outside the first/last scheduled stamp
        "code_not_for_profile",  # a code the profile may not use (`not_for`)
        "absent",  # a working day with no stamp and no justification
        "schedule_missing",  # the profile needs the employee's chosen days; none recorded
        "schedule_invalid",  # chosen days or a shift that the profile does not allow
    }
)
