"""What an employee's contracts give their leave in days: the service seniority a
`first N years` line reads, the months under contract a `prorate … contract` counts, and
the part-time percentage each month counts at (`server.engine.leave`)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TYPE_CHECKING

from dsl import ast

if TYPE_CHECKING:  # the types only: the leave module reads this one
    from server.engine.leave import Contract, LeaveTerms

_MONTH_COUNTS_OVER = 15  # days under contract that make a month count


def matching(leave: ast.Leave, terms: LeaveTerms, day: date) -> ast.Entitlement | None:
    """The most specific line that holds: a seniority step before none (the smallest
    first), a week before any week."""
    years = seniority(terms, day)
    fits = [e for e in leave.entitlements
            if (e.week is None or e.week == terms.week_days)
            and (e.first_years is None or (years is not None and years < e.first_years))]
    if not fits:
        return None
    return min(fits, key=lambda e: (e.first_years is None, e.first_years or 0, e.week is None))


def seniority(terms: LeaveTerms, day: date) -> int | None:
    start = terms.service_start
    if start is None:
        return None
    years = day.year - start.year - ((day.month, day.day) < (start.month, start.day))
    return max(years, 0)


def months_under_contract(terms: LeaveTerms, year: int) -> list[int]:
    counted = []
    for month in range(1, 13):
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        covered = sum(_overlap(c, first, last) for c in terms.contracts)
        if covered > _MONTH_COUNTS_OVER:
            counted.append(month)
    return counted


def percent_of_month(terms: LeaveTerms, year: int, month: int) -> int:
    """The part-time percentage a month counts at: the contract's that covers most of its
    days (a tie: the later one); a month no contract covers, the one in force on the day
    asked about."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    covered = [(_overlap(c, first, last), n, c.part_time_percent)
               for n, c in enumerate(terms.contracts)]
    days_covered, _, percent = max(covered, default=(0, 0, None))
    return terms.part_time_percent if not days_covered or percent is None else percent


def _overlap(contract: Contract, first: date, last: date) -> int:
    start = max(first, contract.start or first)
    end = min(last, contract.end or last)
    return max((end - start + timedelta(days=1)).days, 0)
