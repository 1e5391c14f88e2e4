"""The checker's rules for `leave` blocks: what `check` refuses in an entitlement, a cap,
a carry-over or the codes that draw on the leave. Called by `dsl.checker` with the codes
the sections so far define (name → kind) and the codes already drawn by another leave."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping

from dsl import ast
from dsl.errors import M, one_of
from dsl.formatter import quote
from dsl.vocabulary import LEAVE_DRAWS

Error = Callable[..., None]
_MONTH_DAYS = 31


def check_leave(error: Error, leave: ast.Leave, kinds: Mapping[str, str],
                drawn: MutableMapping[str, str]) -> None:
    if not leave.entitlements and not leave.caps:
        error(leave.pos, M("leave '{}' gives no days", leave.name),
              M("add: entitlement 28 days per year, or max 7 days per month"), word=leave.name)
    _entitlements(error, leave)
    for cap in leave.caps:
        if cap.days > _MONTH_DAYS:
            error(cap.pos, M("a month has no {} days of leave", cap.days),
                  M("give at most {}", _MONTH_DAYS), word=str(cap.days))
    if len(leave.caps) > 1:
        error(leave.caps[1].pos, M("leave '{}' has two limits per month", leave.name),
              M("the other is at line {}; keep one", leave.caps[0].pos.line), word="max")
    if not leave.entitlements:
        for item, word in ((leave.prorate, "prorate"), (leave.accrue, "accrue"),
                           (leave.carry, "carry")):
            if item is not None:
                error(item.pos, M("leave '{}' has no yearly entitlement to {}", leave.name, word),
                      M("add: entitlement N days per year, or remove the line"), word=word)
    if leave.prorate is not None:
        words = leave.prorate.value
        for twice in sorted({w for w in words if words.count(w) > 1}):
            error(leave.prorate.pos, M("'{}' is given twice in prorate", twice), M("keep one"),
                  word=twice)
    _codes(error, leave, kinds, drawn)


def _entitlements(error: Error, leave: ast.Leave) -> None:
    seen: dict[tuple[int | None, int | None], ast.Entitlement] = {}
    for item in leave.entitlements:
        key = (item.week, item.first_years)
        if key in seen:
            error(item.pos, M("leave '{}' gives two entitlements for the same week and seniority",
                              leave.name), M("the other is at line {}; keep one",
                                             seen[key].pos.line),
                  word="entitlement")
        seen.setdefault(key, item)


def _codes(error: Error, leave: ast.Leave, kinds: Mapping[str, str],
           drawn: MutableMapping[str, str]) -> None:
    if leave.drawn_by is None:
        error(leave.pos, M("no code draws on leave '{}'", leave.name),
              M("add: drawn_by \"FER\" (a code of kind day_absence or half_day_morning)"),
              word=leave.name)
        return
    pos = leave.drawn_by.pos
    for code in leave.drawn_by.value:
        kind = kinds.get(code)
        if kind is None:
            hint = one_of(code, set(kinds)) if kinds else M("define code {} first", quote(code))
            error(pos, M("unknown code '{}'", code), hint, word=code)
        elif kind not in LEAVE_DRAWS:
            error(pos, M("code {} is of kind {}: leave is drawn in whole or half days",
                         quote(code), kind), M("give it kind day_absence, service_day, "
                                               "half_day_morning or half_day_afternoon"), word=code)
        elif LEAVE_DRAWS[kind] == 1 and leave.half_days is None:
            error(pos, M("code {} draws half a day, but leave '{}' is taken in whole days",
                         quote(code), leave.name), M("add: half_days"), word=code)
        if code in drawn and drawn[code] != leave.name:
            error(pos, M("code {} already draws on leave '{}'", quote(code), drawn[code]),
                  M("a code draws on one leave"), word=code)
        drawn.setdefault(code, leave.name)
