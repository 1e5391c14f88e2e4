"""Overtime budgets of a unit: `unit_budget ["unit"] D per year` in the `overtime` block.

Seed 001: "Le ore straordinarie, nel limite del monte ore personale o della struttura";
seed 003: "nel limite delle risorse che finanziano il lavoro straordinario del budget
contrattato ed assegnato". The personal limit is `max D per year`; this is the unit's: the
paid overtime of all its employees in a year. It is spent in the order the hours were
worked (by day, then by employee number on the same day); the hours worked once it is
spent are not paid: taken from the month's `overtime_paid`, kept in `over_cap` under
`unit_budget`, explained with the rule's line and flagged. Each employee's months are
first limited by their own rules (`limits.limit_month`); the unit shares what is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from dsl import ast
from server.engine import notes as N
from server.engine.notes import Note
from server.engine.results import Explain, Flag, MonthResult
from server.policy.model import Policy, Version

KEY = "unit_budget"  # the `over_cap` key and the flag's name


def has_unit_budgets(policy: Policy) -> bool:
    key = "unit_budgets"
    if key not in policy.plan_cache:
        policy.plan_cache[key] = any(v.overtime and v.overtime.unit_budgets
                                     for v in policy.versions)
    return bool(policy.plan_cache[key])


def budget_for(version: Version, unit: str | None) -> ast.UnitBudget | None:
    """The unit's own amount, else the one for every unit; None without a unit."""
    if unit is None or version.overtime is None:
        return None
    budgets = {b.unit: b for b in version.overtime.unit_budgets}
    return budgets.get(unit) or budgets.get(None)


@dataclass(frozen=True)
class Member:
    """An employee of the unit: their number (the order on a same day) and their months of
    the year up to the one being evaluated, in order, each limited by their own rules."""

    number: str
    months: Sequence[MonthResult]


def unit_cuts(minutes: int, members: Mapping[int, Member]) -> tuple[dict[int, int], int]:
    """For each member, the paid minutes of their last month beyond the unit's budget; and
    what the unit's year counted."""
    worked: list[tuple[date, str, int, int, int]] = []  # day, number, member, month, minutes
    for key, member in members.items():
        for index, month in enumerate(member.months):
            left = month.overtime_paid  # what the person's own limits left of the days'
            for day in month.days:
                paid = min(day.overtime_paid, left)
                if paid > 0:
                    worked.append((day.day, member.number, key, index, paid))
                    left -= paid
    worked.sort()
    spent = 0
    cuts: dict[int, int] = {}
    for _, _, key, index, paid in worked:
        beyond = min(paid, spent + paid - minutes) if spent + paid > minutes else 0
        spent += paid
        if beyond and index == len(members[key].months) - 1:
            cuts[key] = cuts.get(key, 0) + beyond
    return cuts, spent


def apply_cut(policy: Policy, budget: ast.UnitBudget, unit: str, result: MonthResult,
              cut: int, spent: int) -> None:
    """Take `cut` from the month's paid overtime, with its step and flag."""
    result.overtime_paid -= cut
    result.over_cap[KEY] = result.over_cap.get(KEY, 0) + cut
    pos = budget.pos
    explain = Explain(policy.rule_text(pos), policy.where(pos), "overtime_paid",
                      regulation=policy.regulation(pos))
    note = Note(explain, N.OVER_UNIT_BUDGET, (unit, spent, budget.minutes, cut))
    result.explain.append(note)
    result.flags.append(Flag(f"{KEY}_over_limit", cut, budget.minutes, note.render().detail,
                             policy.where(pos), note.template, note.args))
