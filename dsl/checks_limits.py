"""The checker's rules for limits and approvals: what `check` refuses in a code's `approval`,
`max … per …`, `not_for` and `allowance`, in the `overtime` block and in a pause's
`skipped_with`. Called by `dsl.checker` with what the sections so far define."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from dsl import ast
from dsl.errors import one_of
from dsl.formatter import duration, quote
from dsl.vocabulary import OVERTIME_KINDS, PAUSE_SKIP_KINDS

Error = Callable[..., None]
# Kinds where minutes over a limit mean nothing: nothing is credited or paid by them.
_UNCAPPED_KINDS = frozenset({"pause_outside_band", "day_swap", "pause_waiver"})


def check_code_limits(error: Error, code: ast.CodeDef, profiles: Collection[str]) -> None:
    kind = code.kind.value if code.kind else "hourly_absence"
    if code.allowance is not None and kind in OVERTIME_KINDS:
        # An allowance counts absences against an entitlement; overtime would be ignored by it.
        error(code.allowance.pos, f"overtime code {quote(code.code)} cannot draw on an allowance",
              "limit overtime with 'max 20h per month' in the code or an overtime { … } block",
              word="allowance")
    _caps(error, code.caps, f"code {quote(code.code)}")
    if code.window is not None and code.window.anchor.isoweekday() != 1:
        error(code.window.pos, f"the window starts on {code.window.anchor}, not a Monday",
              "weeks run Monday to Sunday: count the windows from a Monday", word="max")
    if code.caps and kind in _UNCAPPED_KINDS:
        error(code.caps[0].pos, f"a code of kind {kind} credits nothing to limit",
              "remove the max", word="max")
    for listed in (code.not_for, code.approval_except):
        if listed is not None:
            _profiles(error, listed, profiles)
    timed = [x for x in (code.approval_prior, code.approval_within, code.approval_except) if x]
    if timed and code.approval is None:  # cannot happen from the grammar; kept for AST users
        error(timed[0].pos, "approval options without an approver")
    if code.not_for and code.approval_except:
        both = set(code.not_for.value) & set(code.approval_except.value)
        if both:
            name = sorted(both)[0]
            error(code.approval_except.pos, f"profile '{name}' may not use code "
                  f"{quote(code.code)}: it needs no waiver of its approval",
                  "remove it from 'except' or from 'not_for'", word=name)


def check_overtime(error: Error, block: ast.Overtime) -> None:
    _caps(error, block.caps, "overtime")
    seen: dict[str | None, ast.UnitBudget] = {}
    for budget in block.unit_budgets:
        if budget.unit in seen:
            which = "every unit" if budget.unit is None else f"unit {quote(budget.unit)}"
            error(budget.pos, f"two budgets for {which}",
                  f"the other is at line {seen[budget.unit].pos.line}; keep one",
                  word="unit_budget")
        seen.setdefault(budget.unit, budget)
    for cap in block.caps:
        if cap.period == "day":
            error(cap.pos, "the overtime block limits months and years",
                  "a day's limit goes on the code: max 2h per day", word="day")


def check_skipped_with(error: Error, pause: ast.Pause, kinds: Mapping[str, str]) -> None:
    item = pause.skipped_with
    if item is None:
        return
    code = item.value
    if code not in kinds:
        hint = one_of(code, set(kinds)) if kinds else f"define code {quote(code)}"
        error(item.pos, f"unknown code '{code}'", hint, word=code)
    elif kinds[code] not in PAUSE_SKIP_KINDS:
        error(item.pos, f"code {quote(code)} is of kind {kinds[code]}: a skipped pause is "
              "given back (kind pause_waiver) or counted as overtime",
              "give it kind pause_waiver, overtime_paid or overtime_banked", word=code)


def _caps(error: Error, caps: tuple[ast.Cap, ...], where: str) -> None:
    seen: dict[str, ast.Cap] = {}
    for cap in caps:
        if cap.period in seen:
            error(cap.pos, f"{where} has two limits per {cap.period}",
                  f"the other is at line {seen[cap.period].pos.line}; keep one", word="max")
        seen.setdefault(cap.period, cap)
    day, month, year = (seen.get(p) for p in ("day", "month", "year"))
    for small, large in ((day, month), (month, year), (day, year)):
        if small and large and small.minutes > large.minutes:
            error(small.pos, f"the limit of {duration(small.minutes)} per {small.period} is more "
                  f"than the {duration(large.minutes)} per {large.period}",
                  f"that one is at line {large.pos.line}", word="max")


def _profiles(error: Error, listed: ast.At[tuple[str, ...]], profiles: Collection[str]) -> None:
    for name in listed.value:
        if name not in profiles:
            hint = one_of(name, set(profiles)) if profiles else "define the profile first"
            error(listed.pos, f"unknown profile '{name}'", hint, word=name)
