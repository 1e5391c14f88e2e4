"""The `leave` block: parsed into `dsl.ast.leave` with positions, printed back in canonical
form, and checked with a position and a hint for each problem."""

from __future__ import annotations

import pytest

from dsl import ast, check, format_rules, parse
from dsl.errors import Diagnostic, RuleError

HEAD = '''institution t { name "T" timezone "Europe/Rome" holidays IT }
rules from 2026-01-01 {
    profile full_time { days mon..fri due 7h12m }
    code "FER" { kind day_absence entered web }
    code "FMAT" { kind half_day_morning entered web }
    code "SW" { kind service_day entered web }
    code "29" { kind hourly_absence entered web }
'''


def rules(body: str) -> str:
    return HEAD + body + "}\n"


def problems(body: str) -> list[tuple[int, int, str, str | None]]:
    found: list[Diagnostic] = check(parse(rules(body), "t.rules"))
    return [(d.line, d.column, d.message, d.hint) for d in found]


def test_a_leave_block_keeps_what_it_says_and_where() -> None:
    text = rules('''    leave ferie {
        label "Ferie"
        entitlement 28 days per year week 5
        entitlement 26 days per year week 5 first 3 years
        prorate part_time, contract
        accrue monthly
        carry until 30 apr
        half_days
        drawn_by "FER", "FMAT"
    }
''')
    leave = parse(text, "t.rules").sections[0].statements[-1]
    assert isinstance(leave, ast.Leave)
    assert leave.entitlements == (ast.Entitlement(28, ast.Pos("t.rules", 10, 9), 5, None),
                                  ast.Entitlement(26, ast.Pos("t.rules", 11, 9), 5, 3))
    assert leave.carry == ast.LeaveCarry(30, 4, ast.Pos("t.rules", 14, 9))
    assert leave.prorate is not None and leave.prorate.value == ("part_time", "contract")
    assert leave.drawn_by is not None and leave.drawn_by.value == ("FER", "FMAT")
    assert check(parse(text, "t.rules")) == []


def test_the_canonical_form_round_trips_and_takes_italian_months() -> None:
    text = rules('    leave sw { drawn_by "SW" max 7 days per month }\n'
                 '    leave ferie { carry until 30 giu entitlement 28 days per year }\n'
                 .replace("leave ferie {", 'leave ferie { drawn_by "FER"'))
    once = format_rules(parse(text, "t.rules"))
    assert '''    leave sw {
        max 7 days per month
        drawn_by "SW"
    }''' in once
    assert "        carry until 30 jun\n" in once
    assert format_rules(parse(once, "t.rules")) == once


def test_the_checker_refuses_what_cannot_be_drawn() -> None:
    """Leave is drawn in whole or half days: an hourly code, a half day without
    `half_days`, an unknown code, a code drawn by two leaves."""
    found = problems('''    leave ferie {
        entitlement 28 days per year
        drawn_by "29", "FMAT", "FERX"
    }
    leave other { entitlement 4 days per year  drawn_by "FER" }
    leave again { max 2 days per month  drawn_by "FER" }
''')
    assert found == [
        (10, 18, 'code "29" is of kind hourly_absence: leave is drawn in whole or half days',
         "give it kind day_absence, service_day, half_day_morning or half_day_afternoon"),
        (10, 24, "code \"FMAT\" draws half a day, but leave 'ferie' is taken in whole days",
         "add: half_days"),
        (10, 32, "unknown code 'FERX'", "did you mean 'FER'?"),
        (13, 50, "code \"FER\" already draws on leave 'other'", "a code draws on one leave"),
    ]


def test_the_checker_refuses_a_leave_without_days_or_codes() -> None:
    found = problems('''    leave ferie { carry until 30 apr  accrue monthly }
    leave ferie { entitlement 2 days per year  entitlement 3 days per year  drawn_by "FER" }
''')
    assert [(line, message) for line, _, message, _ in found] == [
        (8, "leave 'ferie' gives no days"),
        (8, "no code draws on leave 'ferie'"),
        (8, "leave 'ferie' has no yearly entitlement to carry"),
        (8, "leave 'ferie' has no yearly entitlement to accrue"),
        (9, "leave 'ferie' is defined twice in this section"),
        (9, "leave 'ferie' gives two entitlements for the same week and seniority"),
    ]


def test_bad_numbers_and_words_are_told_where_they_are() -> None:
    with pytest.raises(RuleError) as error:
        parse(rules('    leave f { entitlement 28 days per year week 8  carry until 31 feb\n'
                    '              max 7 days per week  drawn_by "FER" }\n'), "t.rules")
    assert [(d.line, d.column, d.message, d.hint) for d in error.value.diagnostics] == [
        (8, 49, "a week has 1 to 7 working days, not 8", "write week 5 or week 6"),
        (8, 64, "feb has no day 31", "give a day from 1 to 28"),
        (9, 30, "unknown leave period 'week'", "expected one of: month"),
    ]
