"""Which blocks of a profile shape one day, in the order they apply: the one definition the
checker (a week's hours) and the engine (a day's plan) share.

The profile's own statements first, then its `on` blocks for the weekday, then the cycle's
week and that week's `on` blocks, then the `choose` block on a chosen day: a later block
says what it says and inherits the rest. A shift replaces them all on a rota day.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from dsl import ast

Layer = ast.Profile | ast.DayPattern | ast.Shift
T = TypeVar("T")
WEEKDAYS = (1, 2, 3, 4, 5)  # a profile without `days` works Monday to Friday


def week_of(cycle: ast.Cycle, day: date) -> ast.CycleWeek | None:
    """The cycle's week a day falls in, counting whole weeks from the anchor (a Monday)."""
    number = (day - cycle.anchor).days // 7 % cycle.weeks + 1
    return next((w for w in cycle.items if w.number == number), None)


def layers(p: ast.Profile, weekday: int, week: ast.CycleWeek | None,
           chosen: bool) -> list[Layer]:
    found: list[Layer] = [p, *(o.pattern for o in p.on if weekday in o.days)]
    if week is not None:
        found += [week.pattern, *(o.pattern for o in week.pattern.on if weekday in o.days)]
    if chosen and p.choose is not None and p.choose.pattern is not None:
        found.append(p.choose.pattern)
    return found


def working_days(p: ast.Profile, week: ast.CycleWeek | None) -> ast.At[tuple[int, ...]] | None:
    """The `days` statement in force: the week's, else the profile's (None: Monday to Friday)."""
    if week is not None and week.pattern.days is not None:
        return week.pattern.days
    return p.days


def last(found: list[Layer], name: str) -> ast.At[int] | None:
    """The value of a day statement (`due`, `entry_from`, …) the latest block gives."""
    for layer in reversed(found):
        value: ast.At[int] | None = getattr(layer, name)
        if value is not None:
            return value
    return None


def pause_of(found: list[Layer]) -> ast.Pause | None:
    for layer in reversed(found):
        if not isinstance(layer, ast.Shift) and layer.pause is not None:
            return layer.pause
    return None


def week_minutes(p: ast.Profile, week: ast.CycleWeek | None) -> int:
    """A week's due, with the `choose` block on as many of its days as it chooses."""
    if p.contract_days is not None:
        due = last([p], "due")
        return p.contract_days.count * (due.value if due else 0)
    days = working_days(p, week)
    total = 0
    for weekday in days.value if days else WEEKDAYS:
        due = last(layers(p, weekday, week, False), "due")
        total += due.value if due else 0
    c = p.choose
    if c is not None and c.pattern is not None and c.pattern.due is not None:
        plain = last(layers(p, c.among[0], week, False), "due") if c.among else None
        total += c.count * (c.pattern.due.value - (plain.value if plain else 0))
    return total


MINUTES_PER_DAY = 24 * 60
# A night shift's day owns the next morning's stamps up to the span's end plus this much
# (or up to its `count_until`): room to stamp out late, and far from the next day's shift.
OVERNIGHT_MARGIN = 120


def shift_end(shift: ast.Shift) -> int | None:
    """Minutes from the start day's midnight: past 1440 when the span crosses midnight."""
    if shift.span is None:
        return None
    start, end = shift.span.value
    return end + MINUTES_PER_DAY if end <= start else end


def stamps_until(shift: ast.Shift) -> int:
    """The last minute of the stamps that belong to the shift's start day."""
    end = shift_end(shift)
    if end is None or end <= MINUTES_PER_DAY:
        return MINUTES_PER_DAY
    if shift.count_until is not None:
        return max(end, shift.count_until.value + MINUTES_PER_DAY)
    return end + OVERNIGHT_MARGIN
