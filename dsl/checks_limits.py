"""The checker's rules for limits and approvals: what `check` refuses in a code's `approval`,
`max … per …`, `not_for` and `allowance`, in the `overtime` block and in a pause's
`skipped_with`. Called by `dsl.checker` with what the sections so far define."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from dsl import ast
from dsl.errors import M, one_of
from dsl.formatter import duration, quote
from dsl.vocabulary import OVERTIME_KINDS, PAUSE_SKIP_KINDS

Error = Callable[..., None]
# Kinds where minutes over a limit mean nothing: nothing is credited or paid by them.
_UNCAPPED_KINDS = frozenset({"pause_outside_band", "day_swap", "pause_waiver"})


def check_code_limits(error: Error, code: ast.CodeDef, profiles: Collection[str]) -> None:
    kind = code.kind.value if code.kind else "hourly_absence"
    if code.allowance is not None and kind in OVERTIME_KINDS:
        # An allowance counts absences against an entitlement; overtime would be ignored by it.
        error(code.allowance.pos, M("overtime code {} cannot draw on an allowance",
                                    quote(code.code)),
              M("limit overtime with 'max 20h per month' in the code or an overtime { … } block"),
              word="allowance")
    _caps(error, code.caps, M("code {}", quote(code.code)))
    if code.window is not None and code.window.anchor.isoweekday() != 1:
        error(code.window.pos, M("the window starts on {}, not a Monday", code.window.anchor),
              M("weeks run Monday to Sunday: count the windows from a Monday"), word="max")
    if code.caps and kind in _UNCAPPED_KINDS:
        error(code.caps[0].pos, M("a code of kind {} credits nothing to limit", kind),
              M("remove the max"), word="max")
    for listed in (code.not_for, code.approval_except):
        if listed is not None:
            _profiles(error, listed, profiles)
    timed = [x for x in (code.approval_prior, code.approval_within, code.approval_except) if x]
    if timed and code.approval is None:  # cannot happen from the grammar; kept for AST users
        error(timed[0].pos, M("approval options without an approver"))
    if code.not_for and code.approval_except:
        both = set(code.not_for.value) & set(code.approval_except.value)
        if both:
            name = sorted(both)[0]
            error(code.approval_except.pos,
                  M("profile '{}' may not use code {}: it needs no waiver of its approval", name,
                    quote(code.code)),
                  M("remove it from 'except' or from 'not_for'"), word=name)


def check_overtime(error: Error, block: ast.Overtime) -> None:
    _caps(error, block.caps, M("overtime"))
    seen: dict[str | None, ast.UnitBudget] = {}
    for budget in block.unit_budgets:
        if budget.unit in seen:
            which = M("every unit") if budget.unit is None else M("unit {}", quote(budget.unit))
            error(budget.pos, M("two budgets for {}", which),
                  M("the other is at line {}; keep one", seen[budget.unit].pos.line),
                  word="unit_budget")
        seen.setdefault(budget.unit, budget)
    for cap in block.caps:
        if cap.period == "day":
            error(cap.pos, M("the overtime block limits months and years"),
                  M("a day's limit goes on the code: max 2h per day"), word="day")


def check_skipped_with(error: Error, pause: ast.Pause, kinds: Mapping[str, str]) -> None:
    item = pause.skipped_with
    if item is None:
        return
    code = item.value
    if code not in kinds:
        hint = one_of(code, set(kinds)) if kinds else M("define code {}", quote(code))
        error(item.pos, M("unknown code '{}'", code), hint, word=code)
    elif kinds[code] not in PAUSE_SKIP_KINDS:
        error(item.pos,
              M("code {} is of kind {}: a skipped pause is given back (kind pause_waiver) or "
                "counted as overtime", quote(code), kinds[code]),
              M("give it kind pause_waiver, overtime_paid or overtime_banked"), word=code)


def _caps(error: Error, caps: tuple[ast.Cap, ...], where: str) -> None:
    seen: dict[str, ast.Cap] = {}
    for cap in caps:
        if cap.period in seen:
            error(cap.pos, M("{} has two limits per {}", where, cap.period),
                  M("the other is at line {}; keep one", seen[cap.period].pos.line), word="max")
        seen.setdefault(cap.period, cap)
    day, month, year = (seen.get(p) for p in ("day", "month", "year"))
    for small, large in ((day, month), (month, year), (day, year)):
        if small and large and small.minutes > large.minutes:
            error(small.pos, M("the limit of {} per {} is more than the {} per {}",
                               duration(small.minutes), small.period, duration(large.minutes),
                               large.period),
                  M("that one is at line {}", large.pos.line), word="max")


def _profiles(error: Error, listed: ast.At[tuple[str, ...]], profiles: Collection[str]) -> None:
    for name in listed.value:
        if name not in profiles:
            hint = one_of(name, set(profiles)) if profiles else M("define the profile first")
            error(listed.pos, M("unknown profile '{}'", name), hint, word=name)
