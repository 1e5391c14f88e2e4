"""What the engine says, in the reader's language.

Each explanation step and anomaly carries a message id (English) and its arguments; the
page translates the id through the catalogue and words it with the same formatter the
engine uses (`{:hm}` 7h15, `{:clock}` 08:05, `{:day}` 31 marzo 2026, `{:month}` febbraio
2026, in the reader's language; a count in the form it asks for, "1 mese", "2 mesi").
Results stored before message ids existed show their English words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import holidays

from dsl.errors import M
from server.engine.notes import HOLIDAY, WORD_ARGS, worded
from server.i18n.current import N_, current_locale, gettext
from server.i18n.formats import day_text

# The `holidays` library's language for each of ours.
HOLIDAY_LANGUAGES = {"it": "it_IT", "en": "en_US"}

# The short weekdays, Monday first, as message ids (a page writes `_(WEEKDAYS[i])`).
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))

# Where a stamp came from, as message ids.
SOURCE_LABELS = {"terminal": N_("terminal"), "web": N_("web workstation"), "app": N_("app"),
                 "manual": N_("office correction"), "declared": N_("declared (missed stamp)")}


def source_label(source: str) -> str:
    return gettext(SOURCE_LABELS[source]) if source in SOURCE_LABELS else source


# What each anomaly is called where a page lists it by kind.
ANOMALY_NAMES = {
    "absent": N_("Absence to justify"),
    "unpaired_stamps": N_("Stamp missing"),
    "not_alternating": N_("Stamps out of order"),
    "unknown_code": N_("Unknown code"),
    "needs_approval": N_("Approval missing"),
    "pause_outside_band": N_("Pause outside its band"),
    "schedule_missing": N_("Schedule missing"),
    "schedule_invalid": N_("Schedule not valid"),
}


# The request that fixes an anomaly, for the timecard's link to its form on the requests'
# page, and what the link says.
FIX_FORMS = {"unpaired_stamps": "missed_stamp", "not_alternating": "missed_stamp",
             "absent": "justification"}
FIX_LINKS = {"missed_stamp": N_("Declare the missed stamp"),
             "justification": N_("Justify the day")}


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def say(item: Any, english_field: str = "detail") -> str:
    """A step's detail or an anomaly's message, in the reader's language."""
    message_id = _field(item, "message_id")
    if not message_id:
        return str(_field(item, english_field) or "")
    args = tuple(gettext(a) if isinstance(a, str) and a in WORD_ARGS else a
                 for a in _field(item, "args") or ())
    if message_id == HOLIDAY:
        args = _holiday(args)
    try:
        return worded(message_id, args, current_locale())
    except (IndexError, KeyError, ValueError, StopIteration):  # a translation lost a field
        return str(_field(item, english_field) or "")


def _holiday(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The day in the reader's format and the holiday named in their language (results
    stored before the calendar rode along keep the name they have)."""
    try:
        day = date.fromisoformat(str(args[0]))
    except (IndexError, ValueError):
        return args
    name = args[1] if len(args) > 1 else ""
    if len(args) >= 4:
        name = _holiday_name(day, str(args[2]), str(args[3]), current_locale()) or name
    return (day_text(day), name)


@lru_cache(maxsize=64)
def _holiday_name(day: date, country: str, subdivision: str, locale: str) -> str | None:
    try:
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=day.year,
            language=HOLIDAY_LANGUAGES.get(locale, "it_IT"))
    except NotImplementedError:  # a country the library does not know
        return None
    name = calendar.get(day)
    return str(name) if name else None


def anomaly_name(code: str) -> str:
    return gettext(ANOMALY_NAMES[code]) if code in ANOMALY_NAMES else code


def say_rule(text: str | None) -> str | None:
    """A rule file's message or hint (`dsl.errors.M`: its English words, template and
    arguments), in the reader's language; an argument that is itself such a message is
    worded first. Plain text (already worded in the reader's language) is given as it is."""
    if text is None or not isinstance(text, M):
        return text
    args = tuple(say_rule(a) if isinstance(a, M) else a for a in text.args)
    try:
        return gettext(text.template).format(*args) if args else gettext(text.template)
    except (IndexError, KeyError, ValueError):  # a translation lost a field
        return str(text)


def rule_args(text: str | None) -> list[str]:
    """The arguments of a rule file's message, as the English words fill them."""
    return [str(a) for a in text.args] if isinstance(text, M) else []
