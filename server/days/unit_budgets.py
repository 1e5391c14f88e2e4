"""A unit's overtime budget for the months the pages, the API and the close read: the
unit's other employees are read too, and the budget is shared in the order the hours were
worked (`server.engine.budgets`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Employee
from server.engine import MonthResult
from server.engine.budgets import Member, apply_cut, budget_for, unit_cuts
from server.policy.model import Policy


def unit_peers(session: Session, employees: Sequence[Employee]) -> list[Employee]:
    """The other employees of these employees' units (deactivated ones too: the hours
    they were paid this year were spent from the budget)."""
    known = {e.id for e in employees}
    wanted = {(e.institution_id, e.unit) for e in employees if e.unit is not None}
    if not wanted:
        return []
    rows = session.scalars(select(Employee).where(
        Employee.institution_id.in_({i for i, _ in wanted}),
        Employee.unit.in_({u for _, u in wanted})).order_by(Employee.id))
    return [e for e in rows if e.id not in known and (e.institution_id, e.unit) in wanted]


def share_budgets(policy_of: Callable[[Employee], Policy], last: date,
                  employees: Collection[Employee], year_months: dict[int, list[MonthResult]],
                  results: Sequence[MonthResult], asked: Sequence[Employee]) -> None:
    """Cut from each asked employee's month (`results`, in the order of `asked`; `last` its
    last day, whose rules apply) the paid hours their unit's budget no longer covers."""
    for employee, result in zip(asked, results, strict=True):
        policy = policy_of(employee)
        budget = budget_for(policy.version_on(last), employee.unit)
        if budget is None or employee.unit is None:
            continue
        members = {e.id: Member(e.number, year_months[e.id]) for e in employees
                   if e.institution_id == employee.institution_id and e.unit == employee.unit}
        cuts, spent = unit_cuts(budget.minutes, members)
        cut = cuts.get(employee.id, 0)
        if cut:
            apply_cut(policy, budget, employee.unit, result, cut, spent)
