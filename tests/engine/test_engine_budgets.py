"""Overtime budgets of a unit (issue 11). Seed 001: «Le ore straordinarie, nel limite del
monte ore personale o della struttura»; seed 003: «nel limite delle risorse che finanziano
il lavoro straordinario del budget contrattato ed assegnato». `unit_budget "lab" 3h per
year` in the `overtime` block: the unit's paid overtime of the year, spent in the order the
hours were worked; what is worked once it is spent is not paid."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dsl.parser import parse
from server.engine import MonthResult, Stamp, evaluate_month
from server.engine.budgets import KEY, Member, apply_cut, budget_for, unit_cuts
from server.engine.notes import worded
from server.policy.compile import compile_policy
from server.policy.model import Policy

RULES = Path(__file__).parents[1] / "data" / "schedules.rules"
BUDGETS = """
    overtime {
        source "001:l.10" "Le ore straordinarie, nel limite del monte ore personale"
        unit_budget "lab" 3h per year
        unit_budget 100h per year
    }
}
"""


def with_budgets() -> str:
    text = RULES.read_text(encoding="utf-8")
    head, _, tail = text.partition('\n    code "STR" {')
    section_end = tail.index("\n}\n")
    return head + '\n    code "STR" {' + tail[:section_end] + BUDGETS + tail[section_end + 3:]


@pytest.fixture(scope="module")
def clinic() -> Policy:
    return compile_policy(parse(with_budgets(), RULES.name))


def overtime(policy: Policy, year: int, month: int, *days: int) -> MonthResult:
    """2h of paid overtime (code STR at the exit) on each of these days."""
    stamps = {date(year, month, d): [Stamp(8 * 60, "in"), Stamp(17 * 60 + 12, "out", "STR")]
              for d in days}
    return evaluate_month(policy, "full_time", year, month, stamps)


def test_the_budget_is_spent_in_the_order_the_hours_were_worked(clinic: Policy) -> None:
    ann_march, bob_march = overtime(clinic, 2026, 3, 3), overtime(clinic, 2026, 3, 4)
    ann_april = overtime(clinic, 2026, 4, 1)
    # March as the pages read it: Ann's 2h of the 3rd fit; Bob's 2h of the 4th pass by 1h.
    cuts, spent = unit_cuts(180, {1: Member("A1", [ann_march]), 2: Member("B2", [bob_march])})
    assert (cuts, spent) == ({2: 60}, 240)
    # April: the budget was spent in March, so all of Ann's 2h of the 1st are beyond it.
    cuts, spent = unit_cuts(180, {1: Member("A1", [ann_march, ann_april]),
                                  2: Member("B2", [bob_march, overtime(clinic, 2026, 4)])})
    assert (cuts, spent) == ({1: 120}, 360)


def test_the_same_day_goes_by_employee_number(clinic: Policy) -> None:
    ann, bob = overtime(clinic, 2026, 3, 3), overtime(clinic, 2026, 3, 3)
    assert unit_cuts(180, {1: Member("B2", [ann]), 2: Member("A1", [bob])})[0] == {1: 60}


def test_a_cut_is_taken_from_the_paid_hours_explained_and_flagged(clinic: Policy) -> None:
    month = overtime(clinic, 2026, 3, 4)
    version = clinic.version_on(date(2026, 3, 31))
    budget = budget_for(version, "lab")
    assert budget is not None and budget.minutes == 180
    assert budget_for(version, "library") is not None
    assert budget_for(version, "library").minutes == 100 * 60  # type: ignore[union-attr]
    assert budget_for(version, None) is None
    apply_cut(clinic, budget, "lab", month, 60, 240)
    assert month.overtime_paid == 60 and month.over_cap[KEY] == 60
    (step,) = [e for e in month.explanations() if e.rule == 'unit_budget "lab" 3h per year']
    assert step.detail == ("unit lab: 4h00 of paid overtime this year, over its budget of "
                           "3h00: 1h00 of this month not paid")
    assert step.regulation == "001:l.10" and step.figure == "overtime_paid"
    assert [(f.name, f.count, f.over) for f in month.flags] == [("unit_budget_over_limit",
                                                                 60, 180)]
    # The manager's flag is worded in the reader's language, as the step is.
    (flag,) = month.flags
    assert flag.message == step.detail
    assert worded(flag.message_id, flag.args, "it").startswith(
        "unità lab: 4h00 di straordinario retribuito quest'anno")
