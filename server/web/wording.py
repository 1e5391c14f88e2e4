"""What the engine says, in the reader's language.

Each explanation step and anomaly carries a message id (English) and its arguments; the
page translates the id through the catalogue and words it with the same formatter the
engine uses (`{:hm}` 7h15, `{:clock}` 08:05). Results stored before message ids existed
show their English words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.engine.notes import WORD_ARGS, word
from server.i18n.current import N_, gettext

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


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def say(item: Any, english_field: str = "detail") -> str:
    """A step's detail or an anomaly's message, in the reader's language."""
    message_id = _field(item, "message_id")
    if not message_id:
        return str(_field(item, english_field) or "")
    args = tuple(gettext(a) if isinstance(a, str) and a in WORD_ARGS else a
                 for a in _field(item, "args") or ())
    try:
        return word(gettext(message_id), args)
    except (IndexError, KeyError, ValueError, StopIteration):  # a translation lost a field
        return str(_field(item, english_field) or "")


def anomaly_name(code: str) -> str:
    return gettext(ANOMALY_NAMES[code]) if code in ANOMALY_NAMES else code
