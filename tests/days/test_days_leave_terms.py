"""What an employee's contracts say for leave (`server.days.leave.leave_terms`), as the
school's rules count it: a change of part time in the year prorates each period's months
at its own percentage, whichever day the balance is asked about."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from math import floor

from server.days.employment import Contract
from server.days.leave import leave_terms
from server.db.models import Employee
from server.engine.leave import leave_balances
from server.policy.load import load_policy


def test_full_time_to_june_then_half_time_prorates_each_period() -> None:
    """school.rules: `entitlement 28 days per year week 5` and `prorate part_time, contract`:
    28 × (6 months × 100% + 6 months × 50%) / 12, on any day of the year (it was 14 days
    asked in September and 28 in March: one percentage for the whole year)."""
    school = load_policy("school")
    employee = Employee(profile="full_time", part_time_percent=50, active=True)
    contracts = (Contract(date(2020, 9, 1), date(2026, 6, 30), 100, "full_time"),
                 Contract(date(2026, 7, 1), None, 50, "full_time"))
    halves = Fraction(28 * 2 * (6 * 100 + 6 * 50), 100 * 12)
    for on in (date(2026, 3, 2), date(2026, 9, 1)):
        terms = leave_terms(employee, school, on, contracts)
        [ferie] = [y for y in leave_balances(school, terms, on, []) if y.name == "ferie"]
        assert ferie.entitled == floor(halves + Fraction(1, 2)), on
        prorated = [e.detail for e in ferie.explain if e.rule == "prorate part_time, contract"]
        assert prorated[:2] == ["6 months of 2026 at 100%", "6 months of 2026 at 50%"]
