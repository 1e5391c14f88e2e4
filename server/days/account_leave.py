"""The days of leave the hours account drew (`not_recovered use leave NAME`), for the
leave balances (`server.days.leave`): as the close kept them for a closed month, carried
as the account carries (`server.days.account_carry`) for the months after it that are over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.account_carry import beginning_of, carry, month_after, month_before
from server.days.month import PolicySource, month_bounds, month_runs
from server.db.keys import one_of
from server.db.models import Employee, MonthClose, MonthCloseEntry
from server.engine.account import AccountState
from server.engine.leave import Draw
from server.engine.results import Explain

Month = tuple[int, int]


def leave_draws(session: Session, rules: PolicySource, employees: Iterable[Employee],
                on: date, *, now: datetime | None = None) -> dict[int, list[Draw]]:
    """The leave the account drew in `on`'s year by `on`, each on the last day of the month
    that settled it; nothing for those whose rules never draw leave, without a query."""
    now = now or datetime.now(UTC)
    out: dict[int, list[Draw]] = {}
    todo: dict[int, tuple[Employee, Month]] = {}
    for employee in employees:
        out[employee.id] = []
        policy = rules.on(employee.institution_id, on)
        if policy is None or not any(v.account is not None and v.account.not_recovered
                                     and v.account.not_recovered.kind == "leave"
                                     for v in policy.versions):
            continue
        today = now.astimezone(ZoneInfo(policy.timezone)).date()
        # The last month that is over: its settlements are in.
        through = min((on.year, on.month), month_before((today.year, today.month)))
        if through >= (on.year, 1):
            todo[employee.id] = (employee, through)
    if not todo:
        return out
    for key, year, month, kept in session.execute(
            select(MonthCloseEntry.employee_id, MonthClose.year, MonthClose.month,
                   MonthCloseEntry.account_leave)
            .join(MonthClose, MonthClose.id == MonthCloseEntry.month_close_id)
            .where(one_of(MonthCloseEntry.employee_id, list(todo)), MonthClose.state == "closed",
                   MonthClose.year == on.year, MonthClose.month <= on.month,
                   MonthCloseEntry.account_leave.is_not(None))):
        last = month_bounds(year, month)[1]
        out[key] += [Draw(last, "", None, d["leave"], int(d["halves"]),
                          Explain(**{**d["explain"], "args": tuple(d["explain"]["args"])}))
                     for d in kept]
    starts: dict[int, tuple[Month, AccountState]] = {}
    for key, (employee, through) in todo.items():
        policy = rules.on(employee.institution_id, on)
        assert policy is not None
        starts[key] = beginning_of(session, employee, month_after(through), policy)
    earlier = [employee for key, (employee, through) in todo.items()
               if starts[key][0] <= through]
    if not earlier:
        return out
    first = min(starts[e.id][0] for e in earlier)
    last_month = max(todo[e.id][1] for e in earlier)
    for key, runs in month_runs(session, rules, earlier, first, last_month, now=now).items():
        start, state = starts[key]
        for pm in runs:
            month_of = (pm.result.year, pm.result.month)
            if not start <= month_of <= todo[key][1]:
                continue
            account = carry(rules, pm, state)
            state = account.closing
            if month_of[0] == on.year:
                last = month_bounds(*month_of)[1]
                out[key] += [Draw(last, "", None, m.leave, m.halves, m.explain)
                             for m in account.movements if m.leave is not None]
    return out
