"""Schedules in the engine: a day's due, windows and end resolved from the profile and the
employee's `Schedule`, each figure explained by the statement it came from
(`tests/data/schedules.rules`, whose examples `timbra rules test` also runs)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dsl.parser import parse_file
from server.engine import Request, Stamp, evaluate_day, evaluate_month
from server.engine.context import context_for
from server.engine.examples import run_examples
from server.engine.inputs import Schedule
from server.engine.results import DayResult
from server.policy.compile import compile_policy
from server.policy.load import load_policy
from server.policy.model import Policy

RULES = Path(__file__).parents[1] / "data" / "schedules.rules"
LINES = RULES.read_text(encoding="utf-8").splitlines()
TUE, WED, THU = date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)
RETURNS = Schedule("full_time_returns", frozenset({2, 4}))


@pytest.fixture(scope="module")
def policy() -> Policy:
    return compile_policy(parse_file(RULES))


def line_of(text: str, after: str = "") -> str:
    """`schedules.rules:N` of the first line holding `text` after the line holding `after`."""
    start = next(i for i, line in enumerate(LINES) if after in line) if after else 0
    number = next(i for i, line in enumerate(LINES) if i >= start and text in line) + 1
    return f"schedules.rules:{number}"


def sources(result: DayResult, figure: str) -> list[str]:
    return [n.render().source for n in result.explain if n.explain.figure == figure]


def day(policy: Policy, schedule: Schedule | str, when: date, *minutes: int,
        requests: tuple[Request, ...] = ()) -> DayResult:
    stamps = [Stamp(m, ("in", "out")[i % 2]) for i, m in enumerate(minutes)]
    return evaluate_day(policy, schedule, when, stamps, requests)


def test_the_examples_of_the_schedules_file_pass() -> None:
    outcomes = run_examples(parse_file(RULES))
    assert [o.failures for o in outcomes if not o.passed] == []
    assert len(outcomes) == 13


def test_a_chosen_return_day_owes_9h_named_by_its_choose_block(policy: Policy) -> None:
    result = day(policy, RETURNS, TUE, 480, 750, 780, 1050)
    assert (result.due, result.worked, result.balance) == (540, 540, 0)
    assert sources(result, "due") == [line_of("due 9h", "choose 2 of")]


def test_the_other_days_of_who_returns_owe_the_ordinary_6h(policy: Policy) -> None:
    result = day(policy, RETURNS, WED, 480, 840)
    assert (result.due, result.balance) == (360, 0)
    assert sources(result, "due") == [line_of("due 6h", "profile full_time_returns")]


def test_returns_without_chosen_days_are_an_anomaly_naming_the_rule(policy: Policy) -> None:
    result = day(policy, "full_time_returns", TUE, 480, 840)
    assert [a.code for a in result.anomalies] == ["schedule_missing"]
    assert f"'choose 2 of mon..thu' ({line_of('choose 2 of')})" in result.anomalies[0].message
    assert result.due == 360  # the ordinary day's due, and the day cannot close unnoticed


@pytest.mark.parametrize("chosen", [{2}, {2, 5}, {1, 2, 3}])
def test_chosen_days_of_the_wrong_count_or_outside_the_set_are_an_anomaly(
        policy: Policy, chosen: set[int]) -> None:
    result = day(policy, Schedule("full_time_returns", frozenset(chosen)), TUE, 480, 840)
    assert [a.code for a in result.anomalies] == ["schedule_invalid"]


def test_chosen_days_on_a_profile_that_chooses_none_are_an_anomaly(policy: Policy) -> None:
    result = day(policy, Schedule("full_time", frozenset({2})), TUE, 480, 912)
    assert [a.code for a in result.anomalies] == ["schedule_invalid"]


def test_work_after_count_until_is_not_counted_and_says_by_which_rule(policy: Policy) -> None:
    result = day(policy, RETURNS, TUE, 540, 780, 810, 1230)
    assert (result.worked, result.balance) == (570, 30)  # 4h + 7h less 1h30 after 19:00
    cut = [n.render() for n in result.explain if "not counted" in n.render().detail]
    assert [(e.source, e.detail) for e in cut] == [
        (line_of("exit 16:30..19:00"), "work after 19:00 not counted (1h30)")]


def test_an_approved_overtime_request_keeps_the_work_after_count_until(policy: Policy) -> None:
    asked = (Request("STR", 1140, 1230),)
    result = day(policy, RETURNS, TUE, 540, 780, 810, 1230, requests=asked)
    assert (result.worked, result.anomalies) == (660, [])
    partly = day(policy, RETURNS, TUE, 540, 780, 810, 1230, requests=(Request("STR", 1140, 1200),))
    assert partly.worked == 630  # the half hour after the request is not counted


def test_overtime_typed_on_the_exit_is_not_cut_and_still_needs_its_approval(
        policy: Policy) -> None:
    stamps = [Stamp(540, "in"), Stamp(780, "out"), Stamp(810, "in"), Stamp(1230, "out", "STR")]
    result = evaluate_day(policy, RETURNS, TUE, stamps)
    assert (result.worked, result.overtime_paid) == (540, 120)
    assert [a.code for a in result.anomalies] == ["needs_approval"]


def test_an_uneven_week_owes_9h_on_monday_and_6h45_otherwise(policy: Policy) -> None:
    month = evaluate_month(policy, "uneven", 2026, 3, {})
    mondays = [d for d in month.days if d.day.isoweekday() == 1]
    others = [d for d in month.days if d.day.isoweekday() in {2, 3, 4, 5}]
    assert {d.due for d in mondays} == {540} and {d.due for d in others} == {405}
    assert month.due == 5 * 540 + 17 * 405  # March 2026: 5 Mondays, 17 other weekdays


def test_vertical_part_time_works_the_contract_days_of_the_record(policy: Policy) -> None:
    schedule = Schedule("part_time_vertical", frozenset({1, 3, 5}))
    month = evaluate_month(policy, schedule, 2026, 3, {})
    working = {d.day.isoweekday() for d in month.days if d.working_day}
    assert working == {1, 3, 5} and month.due == 13 * 360  # March 2026: 13 of them
    rest = day(policy, schedule, TUE)
    assert sources(rest, "due") == [line_of("days choose 3 of mon..fri")]


def test_vertical_part_time_without_contract_days_owes_nothing_and_says_so(
        policy: Policy) -> None:
    result = day(policy, "part_time_vertical", WED)
    assert (result.working_day, result.due) == (False, 0)
    assert [a.code for a in result.anomalies] == ["schedule_missing"]


@pytest.mark.parametrize(("when", "due", "week"), [
    (date(2026, 1, 9), 432, "week 1"), (date(2026, 1, 15), 540, "week 2"),
    (date(2026, 1, 16), 0, "week 2"),
    (date(2026, 1, 2), 0, "week 2"),  # before the anchor: weeks count backwards too
])
def test_a_cycle_counts_its_weeks_from_the_anchor(
        policy: Policy, when: date, due: int, week: str) -> None:
    result = day(policy, "alternating", when)
    assert result.due == due
    figure = "due"
    wanted = line_of("due" if due else "days", week)
    assert sources(result, figure) == [wanted]


def test_a_night_shift_counts_on_the_day_it_starts(policy: Policy) -> None:
    night = Schedule("nurse", shift="night")
    result = day(policy, night, TUE, 1255, 1440 + 420)
    assert (result.working_day, result.due, result.worked, result.balance) == (True, 600, 600, 0)
    assert sources(result, "due") == [line_of("due 10h", "shift night")]
    assert [(s[0], s[1]) for s in result.stamps] == [("in", 1255), ("out", 1860)]
    # the day owns the next morning's stamps up to the span's end plus two hours
    assert context_for(policy, night, TUE).plan.stamps_until == 1440 + 540


def test_a_shift_without_a_due_owes_its_span_and_ends_at_its_end(policy: Policy) -> None:
    result = day(policy, Schedule("nurse", shift="morning"), TUE, 420, 780)
    assert (result.due, result.unjustified) == (420, 60)
    assert sources(result, "due") == [line_of("span 07:00..14:00")]
    assert sources(result, "unjustified") == [line_of("span 07:00..14:00")]


def test_no_shift_on_the_rota_is_a_rest_day(policy: Policy) -> None:
    result = day(policy, "nurse", TUE)
    assert (result.working_day, result.due, result.anomalies) == (False, 0, [])
    assert sources(result, "due") == [line_of("shifts morning, night")]


def test_a_shift_the_profile_does_not_list_is_an_anomaly(policy: Policy) -> None:
    result = day(policy, Schedule("nurse", shift="evening"), TUE, 840, 1260)
    assert [a.code for a in result.anomalies] == ["schedule_invalid"]
    assert result.working_day is False
    wrong = day(policy, Schedule("full_time", shift="night"), TUE, 480, 912)
    assert [a.code for a in wrong.anomalies] == ["schedule_invalid"]


def test_a_month_takes_each_days_schedule_from_the_rota(policy: Policy) -> None:
    rota = {date(2026, 3, d): Schedule("nurse", shift="night") for d in (2, 4, 6)}
    stamps = {d: [Stamp(1260, "in"), Stamp(1860, "out")] for d in rota}
    month = evaluate_month(policy, "nurse", 2026, 3, stamps, schedules=rota)
    assert (month.due, month.worked, month.balance) == (1800, 1800, 0)
    assert [d.day.day for d in month.days if d.working_day] == [2, 4, 6]


def test_plans_are_resolved_once_per_weekday_and_schedule(policy: Policy) -> None:
    first = context_for(policy, RETURNS, TUE).plan
    assert context_for(policy, RETURNS, date(2026, 3, 10)).plan is first
    assert context_for(policy, RETURNS, WED).plan is not first


def test_school_vertical_part_time_works_the_three_days_of_the_contract() -> None:
    """Seed 003 l.51: «tempo parziale verticale, con l'espletamento del 50%: per 3 giorni
    lavorativi (dal lunedì al venerdì) con orario giornaliero di 6 ore»."""
    school = load_policy("school")
    ann = Schedule("part_time_vertical", frozenset({1, 3, 4}))
    week = [evaluate_day(school, ann, date(2026, 4, d), []) for d in range(20, 25)]
    assert [d.due for d in week] == [360, 0, 360, 360, 0]
    assert sum(d.due for d in week) == 18 * 60
    bob = Schedule("part_time_vertical", frozenset({2, 5, 1}))
    assert [evaluate_day(school, bob, date(2026, 4, d), []).due for d in range(20, 25)] == [
        360, 360, 0, 0, 360]
    four = evaluate_day(school, Schedule("part_time_vertical", frozenset({1, 2, 3, 4})),
                        date(2026, 4, 20), [])
    assert [a.code for a in four.anomalies] == ["schedule_invalid"]
