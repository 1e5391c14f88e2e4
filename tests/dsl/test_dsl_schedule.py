"""Schedules in the language: day patterns (`on`, `choose`, cycle weeks), contract days,
shifts and next-morning stamps — parsed into positions, refused with a place and a hint,
printed back canonically."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dsl.checker import check
from dsl.errors import Diagnostic, RuleError
from dsl.formatter import format_rules
from dsl.parser import parse, parse_stamps

DATA = Path(__file__).parents[1] / "data"
SCHEDULES = (DATA / "schedules.rules").read_text(encoding="utf-8")
HEAD = 'institution x { name "X" timezone "Europe/Rome" holidays IT "MI" }\n'


def rules(body: str, examples: str = "") -> str:
    return (HEAD + "rules from 2026-01-01 {\n"
            "    profile full_time { days mon..fri due 7h12m }\n" + body + "\n}\n" + examples)


def problems(text: str) -> list[Diagnostic]:
    return check(parse(text, "t.rules"))


def only(text: str) -> Diagnostic:
    found = problems(text)
    assert len(found) == 1, [d.render() for d in found]
    return found[0]


def test_the_schedules_file_checks_clean() -> None:
    assert problems(SCHEDULES) == []


def test_a_choose_block_keeps_its_days_figures_and_places() -> None:
    rule_file = parse(SCHEDULES, "schedules.rules")
    profile = next(p for p in rule_file.sections[0].statements
                   if getattr(p, "name", "") == "full_time_returns")
    choose = profile.choose  # type: ignore[union-attr]
    assert (choose.count, choose.among) == (2, (1, 2, 3, 4))
    assert choose.pattern.due.value == 9 * 60
    # `exit 16:30..19:00` is the ordinary exit and the latest counted minute, at one place
    last, until = choose.pattern.last_stamp, choose.pattern.count_until
    assert (last.value, until.value) == (16 * 60 + 30, 19 * 60)
    assert last.pos == until.pos and last.pos.line == 44


def test_contract_days_cycle_and_shifts_parse() -> None:
    statements = {getattr(s, "name", ""): s for s in
                  parse(SCHEDULES).sections[0].statements}
    vertical = statements["part_time_vertical"]
    assert (vertical.contract_days.count, vertical.contract_days.among) == (  # type: ignore[union-attr]
        3, (1, 2, 3, 4, 5))
    cycle = statements["alternating"].cycle  # type: ignore[union-attr]
    assert (cycle.weeks, cycle.anchor) == (2, date(2026, 1, 5))
    assert [w.pattern.days.value for w in cycle.items] == [(1, 2, 3, 4, 5), (1, 2, 3, 4)]
    night = statements["night"]
    assert night.span.value == (21 * 60, 7 * 60)  # type: ignore[union-attr]
    assert statements["nurse"].shifts.value == ("morning", "night")  # type: ignore[union-attr]


def test_a_stamp_the_morning_after_is_past_1440() -> None:
    stamps = parse_stamps("in 21:00, out 07:00+1 code 35")
    assert [(s.minute, s.code) for s in stamps] == [(1260, None), (1440 + 420, "35")]


def test_formatter_round_trips_the_schedules_file() -> None:
    assert format_rules(parse(SCHEDULES)) == SCHEDULES


def test_exit_prints_as_written_and_last_stamp_apart_stays_apart() -> None:
    text = rules("    profile p { due 6h last_stamp 14:00 count_until 19:00 "
                 "on mon { exit 16:00..18:00 } }")
    canonical = format_rules(parse(text))
    assert "            exit 16:00..18:00\n" in canonical
    assert "        last_stamp 14:00\n        count_until 19:00\n" in canonical


# Each case: the body, the text the caret points at, the message and the hint.
@pytest.mark.parametrize(("body", "at", "message", "hint"), [
    ("    profile p { weekly 36h days mon..fri due 6h choose 2 of mon..thu { due 8h } }",
     "weekly", "weekly 36h does not match the week's dues", "the week's days add up to 34h"),
    ("    profile p { days mon..fri due 6h choose 4 of mon..thu { due 9h } }",
     "4 of", "choose 4 of mon..thu leaves nothing to choose",
     "choose between 1 and 3 of them, or name the days with 'on' or 'days'"),
    ("    profile p { days mon..thu due 6h choose 1 of thu, fri { due 9h } }",
     "choose", "choose … of thu, fri: not all working days of 'p'",
     "the working days are mon..thu"),
    ("    profile p { days mon..fri days choose 3 of mon..fri due 6h }",
     "choose", "'days choose' and 'days' both give the working days",
     "keep one; 'days' is at line 4"),
    ("    profile p { due 6h on sat { due 3h } }",
     "on sat", "on sat: not a working day of profile 'p'",
     "add the day to 'days', or remove it here"),
    ("    profile p { cycle 2 weeks from 2026-01-06 { week 1 { due 1h } week 2 { due 2h } } }",
     "2026-01-06", "the cycle starts on 2026-01-06, not a Monday",
     "weeks run Monday to Sunday: anchor the cycle on a Monday"),
    ("    profile p { cycle 2 weeks from 2026-01-05 { week 1 { due 1h } week 3 { due 2h } } }",
     "cycle", "a cycle of 2 weeks needs weeks 1, 2, each once", "found: 1, 3"),
    ("    shift night { span 21:00..07:00 } profile p { shifts nigth }",
     "nigth", "unknown shift 'nigth'", "did you mean 'night'?"),
    ("    shift night { span 21:00..07:00 } profile p { shifts night due 8h }",
     "shifts", "profile 'p' works in shifts and also says due",
     "a day in shifts takes its days and due from the rota's shift: remove them"),
    ("    shift night { span 21:00..07:00 due 11h }",
     "due 11h", "shift 'night' owes 11h in a span of 10h", "the span is at line 4"),
    ("    shift night { due 8h }", "shift", "shift 'night' has no span", "add: span 21:00..07:00"),
    ("    profile p { due 6h exit 14:00..19:00 last_stamp 15:00 }",
     "profile p", "'exit' and 'last_stamp' both say when the day ends",
     "keep one: exit FROM..UNTIL is last_stamp FROM and count_until UNTIL"),
])
def test_schedule_mistakes_are_refused_with_a_place_and_a_hint(
        body: str, at: str, message: str, hint: str) -> None:
    try:
        d = only(rules(body))
    except RuleError as exc:  # the transformer's refusals
        assert len(exc.diagnostics) == 1
        d = exc.diagnostics[0]
    assert (d.line, d.column, d.message, d.hint) == (4, body.index(at) + 1, message, hint)


EXAMPLE_PROFILES = """
    shift night { span 21:00..07:00 }
    profile r { days mon..fri due 6h choose 2 of mon..thu { due 9h } }
    profile n { shifts night }
"""


@pytest.mark.parametrize(("example", "message", "hint"), [
    ("profile full_time chosen tue, thu", "profile 'full_time' lets no days be chosen",
     "remove 'chosen', or give the profile a 'choose'"),
    ("profile r chosen tue", "chosen tue does not fit 'choose 2 of mon..thu' (line 6)",
     "choose 2 of mon..thu"),
    ("profile r chosen tue, fri", "chosen tue, fri does not fit 'choose 2 of mon..thu' (line 6)",
     "choose 2 of mon..thu"),
    ("profile r shift night", "profile 'r' does not work shift 'night'",
     "the profile has no 'shifts'"),
    ("profile r stamps in 21:00, out 07:00+1", "a stamp at 07:00+1 does not belong to this day",
     "only a shift across midnight has stamps the morning after"),
    ("profile n shift night stamps in 21:00, out 09:30+1",
     "a stamp at 09:30+1 does not belong to this day",
     "shift 'night' owns stamps until 09:00+1"),
])
def test_examples_that_do_not_fit_their_schedule_are_refused(
        example: str, message: str, hint: str) -> None:
    text = rules(EXAMPLE_PROFILES, 'example "e" { ' + example +
                 " date 2026-03-03 expect worked 0m }\n")
    d = only(text)
    assert (d.line, d.message, d.hint) == (10, message, hint)


def test_a_cycle_week_with_its_own_on_block_round_trips() -> None:
    text = rules("    profile p { cycle 2 weeks from 2026-01-05 { week 2 { due 8h on fri "
                 "{ due 4h exit 12:00..13:00 pause { min 10m } } days mon..fri } "
                 "week 1 { days mon..thu due 9h } } }")
    canonical = format_rules(parse(text))
    assert format_rules(parse(canonical)) == canonical
    assert """\
        cycle 2 weeks from 2026-01-05 {
            week 2 {
                days mon..fri
                due 8h
                on fri {
                    due 4h
                    exit 12:00..13:00
                    pause {
                        min 10m
                    }
                }
            }
            week 1 {
""" in canonical
    week = parse(canonical).sections[0].statements[1].cycle.items[0]  # type: ignore[union-attr]
    assert week.pattern.on[0].pattern.count_until.value == 13 * 60


def test_an_on_block_over_days_that_may_be_chosen_is_refused() -> None:
    d = only(rules("    profile p { due 6h on tue { due 7h } choose 1 of mon..thu { due 9h } }"))
    assert (d.line, d.message) == (4, "on tue overlaps the days of 'choose'")
    assert d.hint == ("a day that may be chosen is shaped by the choose block at line 4: "
                      "say it there")
