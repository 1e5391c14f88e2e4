"""Leave in days in the engine (`server.engine.leave`): the yearly entitlement of the
national contract by days worked a week and seniority, prorated for part time and the
months under contract, accrued month by month, carried to a date of the next year, half
days, the smart-working days' monthly cap (seed 002's "Pila"), opening balances; each
figure explained by its rule `file:line`."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from math import floor

from dsl.parser import parse
from server.engine.leave import (
    Contract,
    Draw,
    LeaveTerms,
    LeaveYear,
    Opening,
    days,
    leave_balances,
)
from server.engine.results import Explain
from server.policy.compile import compile_policy
from server.policy.model import Policy

RULES = '''institution t { name "T" timezone "Europe/Rome" holidays IT }
rules from 2026-01-01 {
    profile full_time { days mon..fri due 7h12m }
    code "FER" { kind day_absence entered web }
    code "FERM" { kind half_day_morning entered web }
    code "FS" { kind day_absence entered web }
    code "SW" { kind service_day entered web }
    leave ferie {
        label "Ferie"
        entitlement 28 days per year week 5
        entitlement 32 days per year week 6
        entitlement 26 days per year week 5 first 3 years
        entitlement 30 days per year week 6 first 3 years
        prorate part_time, contract
        carry until 30 apr
        half_days
        drawn_by "FER", "FERM"
    }
    leave festivita_soppresse { entitlement 4 days per year  drawn_by "FS" }
    leave smart_working { max 7 days per month  drawn_by "SW" }
}
'''
FULL = LeaveTerms(week_days=5)


def policy(rules: str = RULES) -> Policy:
    return compile_policy(parse(rules, "t.rules"))


def balance(name: str, terms: LeaveTerms, on: date, draws: list[Draw],
            openings: dict[str, Opening] | None = None, rules: str = RULES) -> LeaveYear:
    found = {y.name: y for y in leave_balances(policy(rules), terms, on, draws, openings)}
    return found[name]


def working_days(first: date, count: int, code: str) -> list[Draw]:
    out, day = [], first
    while len(out) < count:
        if day.weekday() < 5:
            out.append(Draw(day, code))
        day += timedelta(days=1)
    return out


def test_the_national_contract_days_by_week_and_seniority() -> None:
    """28/32 days of ferie for a 5/6-day week, 26/30 in the first three years; 4 festività
    soppresse; each figure cites its line."""
    on = date(2026, 6, 1)
    assert balance("ferie", FULL, on, []).entitled == 56  # halves: 28 days
    assert balance("ferie", LeaveTerms(week_days=6), on, []).entitled == 64
    new = LeaveTerms(week_days=5, service_start=date(2024, 9, 1))
    six_new = LeaveTerms(week_days=6, service_start=date(2024, 9, 1))
    assert balance("ferie", new, on, []).entitled == 52
    assert balance("ferie", six_new, on, []).entitled == 60
    third_year_over = LeaveTerms(week_days=5, service_start=date(2022, 9, 1))
    assert balance("ferie", third_year_over, on, []).entitled == 56
    fs = balance("festivita_soppresse", FULL, on, [])
    assert (fs.entitled, fs.left) == (8, 8)
    first = balance("ferie", new, on, []).explain[0]
    assert (first.source, first.rule, first.detail) == (
        "t.rules:12", "entitlement 26 days per year week 5 first 3 years", "26 days a year")


def test_part_time_hired_in_march_is_prorated() -> None:
    """Half time from 1 March: 28 × 50% × 10/12 = 11.67 days, rounded to 11½."""
    terms = LeaveTerms(week_days=5, part_time_percent=50,
                       contracts=(Contract(date(2026, 3, 1), None),))
    year = balance("ferie", terms, date(2026, 4, 1), [])
    assert year.entitled == 23
    assert [e.detail for e in year.explain] == [
        "28 days a year", "part time 50%: 14 days", "10 months of 2026 under contract",
        "prorated by the months under contract: 11½ days"]
    assert {e.source for e in year.explain[1:]} == {"t.rules:14"}


def test_a_change_of_part_time_mid_year_prorates_each_period_by_its_percentage() -> None:
    """`prorate part_time, contract` (t.rules:14): each contract period's months × its
    percentage, over 12. Full time to June, half time from 1 July: 28 × (6 × 100% + 6 × 50%)
    / 12, whichever day of the year is asked about."""
    terms = LeaveTerms(week_days=5, part_time_percent=50, contracts=(
        Contract(None, date(2026, 6, 30), 100), Contract(date(2026, 7, 1), None, 50)))
    expected = round(28 * 2 * (6 * 100 + 6 * 50) / 100 / 12)
    for on in (date(2026, 3, 1), date(2026, 9, 1)):
        year = balance("ferie", terms, on, [])
        assert year.entitled == expected, on
    assert [e.detail for e in year.explain][1:] == [
        "6 months of 2026 at 100%", "6 months of 2026 at 50%",
        f"prorated by each contract's part time: {days(expected)} days"]
    # Hired on 1 March at half time, full time from 1 September: the months before the
    # hiring count for nothing (28 × (6 × 50% + 4 × 100%) / 12, to the nearest half day).
    hired = LeaveTerms(week_days=5, contracts=(
        Contract(date(2026, 3, 1), date(2026, 8, 31), 50), Contract(date(2026, 9, 1), None)))
    halves = Fraction(28 * 2 * (6 * 50 + 4 * 100), 100 * 12)
    assert balance("ferie", hired, date(2026, 12, 1), []).entitled == floor(halves + Fraction(1, 2))
    # `accrue monthly`: a full-time month earns twice what a half-time one does, so by
    # 1 June the six full-time months have earned 28 × 6 / 12 days of the year's 21.
    accruing = RULES.replace("carry until 30 apr", "accrue monthly carry until 30 apr")
    june = balance("ferie", terms, date(2026, 6, 1), [], rules=accruing)
    assert (june.entitled, june.accrued) == (expected, 28 * 2 * 6 // 12)


def test_a_month_counts_when_the_contract_covers_more_than_15_days_of_it() -> None:
    terms = LeaveTerms(week_days=5, contracts=(Contract(date(2026, 3, 16), None),))
    assert balance("ferie", terms, date(2026, 4, 1), []).entitled == 47  # 28 × 10/12 = 23½
    later = LeaveTerms(week_days=5, contracts=(Contract(date(2026, 3, 17), None),))
    assert balance("ferie", later, date(2026, 4, 1), []).entitled == 42  # 9 months: 21


def test_days_taken_and_half_days() -> None:
    """Seed 001: "Per registrare correttamente le ½ giornate di ferie …": a half day of
    ferie draws half a day."""
    draws = [*working_days(date(2026, 7, 6), 10, "FER"), Draw(date(2026, 7, 20), "FERM")]
    year = balance("ferie", FULL, date(2026, 8, 1), draws)
    assert (year.taken, year.left, year.beyond) == (21, 35, [])


def test_unused_days_carry_to_the_next_years_date_then_lapse() -> None:
    """20 of 28 days taken in 2026: 8 carried, usable until 30 April 2027, drawn before
    2027's own days; 3 used in February, the other 5 lapse on 1 May."""
    draws = working_days(date(2026, 7, 1), 20, "FER") + working_days(date(2027, 2, 1), 3, "FER")
    april = balance("ferie", FULL, date(2027, 4, 30), draws)
    assert (april.carried_in, april.carry_until, april.carried_used) == (16, date(2027, 4, 30), 6)
    assert (april.taken, april.left, april.carried_left, april.total_left) == (0, 56, 10, 66)
    may = balance("ferie", FULL, date(2027, 5, 1), draws)
    assert (may.carried_lapsed, may.carried_left, may.total_left) == (10, 0, 56)
    lapsed = may.explain[-1]
    assert (lapsed.source, lapsed.detail) == ("t.rules:15",
                                              "5 days of 2026 lapsed on 30 April 2027")


def test_without_a_carry_what_is_left_lapses_at_the_years_end() -> None:
    fs = balance("festivita_soppresse", FULL, date(2027, 1, 10),
                 [Draw(date(2026, 5, 4), "FS")])
    assert (fs.carried_in, fs.left) == (0, 8)


def test_drawing_beyond_the_balance_is_kept() -> None:
    draws = working_days(date(2026, 9, 1), 5, "FS")
    fs = balance("festivita_soppresse", FULL, date(2026, 12, 31), draws)
    assert (fs.left, [d.day for d in fs.beyond]) == (-2, [draws[4].day])


def test_accrual_month_by_month() -> None:
    """`accrue monthly`: in February two twelfths of 28 days are earned (4½ days)."""
    rules = RULES.replace("carry until 30 apr", "accrue monthly carry until 30 apr")
    draws = working_days(date(2026, 2, 2), 5, "FER")
    year = balance("ferie", FULL, date(2026, 2, 10), draws, rules=rules)
    assert year.accrued == 9 and [d.day for d in year.beyond] == [draws[4].day]
    assert year.explain[-1].detail == "4½ days earned by 10 February 2026"
    assert balance("ferie", FULL, date(2026, 3, 2), draws, rules=rules).accrued == 14


def test_smart_working_days_have_a_monthly_cap() -> None:
    """Seed 002: "se sono già state fruite tutte le giornate di smart working previste nel
    mese …": at most the month's days (7 in the seed's example), the 8th is beyond."""
    draws = working_days(date(2026, 3, 2), 8, "SW")
    sw = balance("smart_working", FULL, date(2026, 3, 31), draws)
    assert (sw.month_cap, sw.month_taken, sw.month_left) == (14, 16, -2)
    assert [d.day for d in sw.beyond] == [draws[7].day]
    assert balance("smart_working", FULL, date(2026, 4, 1), draws).month_left == 14
    assert sw.explain[0].source == "t.rules:20"


def test_an_opening_balance_replaces_what_came_before_adoption() -> None:
    """Adopted on 1 March 2026 with 10 days of 2026 left and 3 of 2025 carried: draws
    before that day are in those figures, draws after it count."""
    draws = working_days(date(2026, 1, 12), 4, "FER") + working_days(date(2026, 3, 2), 4, "FER")
    opening = {"ferie": Opening(date(2026, 3, 1), left=20, carried=6)}
    year = balance("ferie", FULL, date(2026, 3, 31), draws, opening)
    assert (year.carried_used, year.taken, year.left, year.carried_left) == (6, 38, 18, 0)
    assert year.explain[1].detail == "opening balance on 1 March 2026: 10 days left, 3 carried"


def test_a_leave_added_by_a_later_section_counts_from_its_rules() -> None:
    """Smart working added in 2027: no 2026 rules to carry from, and 2027 is counted."""
    rules = RULES.replace('    leave smart_working { max 7 days per month  drawn_by "SW" }\n',
                          "") + ('rules from 2027-01-01 {\n'
                                 '    leave smart_working { max 7 days per month  drawn_by "SW" }\n'
                                 '}\n')
    draws = working_days(date(2027, 3, 1), 2, "SW")
    sw = balance("smart_working", FULL, date(2027, 3, 10), draws, rules=rules)
    assert (sw.month_taken, sw.month_left) == (4, 10)
    assert "smart_working" not in {y.name for y in leave_balances(
        policy(rules), FULL, date(2026, 3, 10), draws)}


def test_days_the_hours_account_draws_count_in_the_balance_and_say_why() -> None:
    """Seed 003: the debt not recovered «entro i due mesi successivi» is compensated «con
    giorni di ferie»: the account's draw (by the leave's name, not a code) is taken from
    the year's days like a request's, and its explanation is the account's rule."""
    why = Explain("not_recovered use leave ferie", "t.rules:40", "account", "1h00 …")
    draw = Draw(date(2026, 3, 31), "", None, "ferie", 3, why)
    before = balance("ferie", FULL, date(2026, 4, 1), working_days(date(2026, 2, 2), 2, "FER"))
    after = balance("ferie", FULL, date(2026, 4, 1),
                    [*working_days(date(2026, 2, 2), 2, "FER"), draw])
    assert after.taken == before.taken + 3 and after.compensated == 3
    assert after.left == before.left - 3
    assert why in after.explain
    assert after.to_json()["compensated"] == 1.5
    other = balance("festivita_soppresse", FULL, date(2026, 4, 1), [draw])
    assert other.taken == 0 and other.compensated == 0
