"""The checker's rules for `leave` blocks: what `check` refuses in an entitlement, a cap,
a carry-over or the codes that draw on the leave. Called by `dsl.checker` with the codes
the sections so far define (name → kind) and the codes already drawn by another leave."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping

from dsl import ast
from dsl.errors import one_of
from dsl.formatter import quote
from dsl.vocabulary import LEAVE_DRAWS

Error = Callable[..., None]
_MONTH_DAYS = 31


def check_leave(error: Error, leave: ast.Leave, kinds: Mapping[str, str],
                drawn: MutableMapping[str, str]) -> None:
    if not leave.entitlements and not leave.caps:
        error(leave.pos, f"leave '{leave.name}' gives no days",
              "add: entitlement 28 days per year, or max 7 days per month", word=leave.name)
    _entitlements(error, leave)
    for cap in leave.caps:
        if cap.days > _MONTH_DAYS:
            error(cap.pos, f"a month has no {cap.days} days of leave",
                  f"give at most {_MONTH_DAYS}", word=str(cap.days))
    if len(leave.caps) > 1:
        error(leave.caps[1].pos, f"leave '{leave.name}' has two limits per month",
              f"the other is at line {leave.caps[0].pos.line}; keep one", word="max")
    if not leave.entitlements:
        for item, word in ((leave.prorate, "prorate"), (leave.accrue, "accrue"),
                           (leave.carry, "carry")):
            if item is not None:
                error(item.pos, f"leave '{leave.name}' has no yearly entitlement to {word}",
                      "add: entitlement N days per year, or remove the line", word=word)
    if leave.prorate is not None:
        words = leave.prorate.value
        for twice in sorted({w for w in words if words.count(w) > 1}):
            error(leave.prorate.pos, f"'{twice}' is given twice in prorate", "keep one",
                  word=twice)
    _codes(error, leave, kinds, drawn)


def _entitlements(error: Error, leave: ast.Leave) -> None:
    seen: dict[tuple[int | None, int | None], ast.Entitlement] = {}
    for item in leave.entitlements:
        key = (item.week, item.first_years)
        if key in seen:
            error(item.pos, f"leave '{leave.name}' gives two entitlements for the same week "
                  "and seniority", f"the other is at line {seen[key].pos.line}; keep one",
                  word="entitlement")
        seen.setdefault(key, item)


def _codes(error: Error, leave: ast.Leave, kinds: Mapping[str, str],
           drawn: MutableMapping[str, str]) -> None:
    if leave.drawn_by is None:
        error(leave.pos, f"no code draws on leave '{leave.name}'",
              'add: drawn_by "FER" (a code of kind day_absence or half_day_morning)',
              word=leave.name)
        return
    pos = leave.drawn_by.pos
    for code in leave.drawn_by.value:
        kind = kinds.get(code)
        if kind is None:
            hint = one_of(code, set(kinds)) if kinds else f"define code {quote(code)} first"
            error(pos, f"unknown code '{code}'", hint, word=code)
        elif kind not in LEAVE_DRAWS:
            error(pos, f"code {quote(code)} is of kind {kind}: leave is drawn in whole or "
                  "half days", "give it kind day_absence, service_day, half_day_morning or "
                  "half_day_afternoon", word=code)
        elif LEAVE_DRAWS[kind] == 1 and leave.half_days is None:
            error(pos, f"code {quote(code)} draws half a day, but leave '{leave.name}' is "
                  "taken in whole days", "add: half_days", word=code)
        if code in drawn and drawn[code] != leave.name:
            error(pos, f"code {quote(code)} already draws on leave '{drawn[code]}'",
                  "a code draws on one leave", word=code)
        drawn.setdefault(code, leave.name)
