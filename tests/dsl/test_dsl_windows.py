"""`max 10% of due per 4 weeks from 2026-01-05` on a code and `unit_budget` in the overtime
block: read, checked with positions and hints, formatted (issue 11: supplementary work
≤ 10 % over four weeks; budgets per unit)."""

from __future__ import annotations

import pytest

from dsl import ast
from dsl.diagnose import diagnose
from dsl.formatter import format_rules
from dsl.parser import parse

TEXT = """\
institution demo {
    name "Demo"
    timezone "Europe/Rome"
    holidays IT "MI"
}

rules from 2026-01-01 {
    profile full_time {
        weekly 18h
        due 3h36m
    }

    code "SUPPL" {
        kind overtime_paid
        max 10% of due per 4 weeks from 2026-01-05
        label "Lavoro supplementare"
    }
}
"""


def test_the_window_is_read_with_its_place() -> None:
    (_, code) = parse(TEXT).sections[0].statements
    assert isinstance(code, ast.CodeDef) and code.window is not None
    w = code.window
    assert (w.percent, w.weeks, w.anchor.isoformat(), w.pos.line, w.pos.column) == (
        10, 4, "2026-01-05", 15, 9)


def test_the_formatter_puts_it_with_the_limits() -> None:
    text = format_rules(parse(TEXT))
    assert ('        kind overtime_paid\n'
            '        max 10% of due per 4 weeks from 2026-01-05\n') in text
    assert format_rules(parse(text)) == text


@pytest.mark.parametrize(("before", "after", "line", "column", "message"), [
    ("10%", "0%", 15, 13, "a share of the due is from 1% to 100%, not 0%"),
    ("10%", "150%", 15, 13, "a share of the due is from 1% to 100%, not 150%"),
    ("4 weeks", "53 weeks", 15, 28, "a window is 1 to 52 weeks, not 53"),
    ("2026-01-05", "2026-01-07", 15, 9, "the window starts on 2026-01-07, not a Monday"),
])
def test_a_window_that_means_nothing_is_refused(before: str, after: str, line: int,
                                                column: int, message: str) -> None:
    (d,) = diagnose(TEXT.replace(before, after))
    assert (d.line, d.column, d.message) == (line, column, message)


def test_a_duration_where_a_share_goes_gets_the_form_as_hint() -> None:
    found = diagnose(TEXT.replace("max 10% of due", "max 10h of due"))
    assert found[0].message == ("'max 10h of due per 4 weeks from 2026-01-05' is not "
                                "supported here")
    assert found[0].hint is not None
    assert "max PERCENT of due per INT weeks from DATE" in found[0].hint


BUDGETS = TEXT[:-2] + """
    overtime {
        unit_budget "lab" 300h per year
        unit_budget 120h per year
    }
}
"""


def test_unit_budgets_are_read_checked_and_formatted() -> None:
    """Seed 001: «nel limite del monte ore personale o della struttura»."""
    block = parse(BUDGETS).sections[0].statements[-1]
    assert isinstance(block, ast.Overtime)
    assert [(b.unit, b.minutes, b.pos.line) for b in block.unit_budgets] == [
        ("lab", 300 * 60, 20), (None, 120 * 60, 21)]
    text = format_rules(parse(BUDGETS))
    assert '        unit_budget "lab" 300h per year\n        unit_budget 120h per year\n' in text
    (twice,) = diagnose(BUDGETS.replace("unit_budget 120h", 'unit_budget "lab" 120h'))
    assert (twice.line, twice.message, twice.hint) == (
        21, 'two budgets for unit "lab"', "the other is at line 20; keep one")
    (zero,) = diagnose(BUDGETS.replace("120h per year", "0m per year"))
    assert (zero.line, zero.message) == (21, "a budget allows more than 0 minutes")
