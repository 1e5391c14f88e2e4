"""The formatter: canonical, idempotent, meaning-preserving, comments kept."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from dsl import ast
from dsl.formatter import clock, days, duration, format_rules
from dsl.parser import parse, parse_file

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parents[1] / "data"
PLUGIN_RULES = sorted(REPO.glob("plugins/*/*.rules"))
HANDWRITTEN = sorted(DATA.glob("*.rules"))

ONE_LINE = (
    'institution x { holidays IT "MI" timezone "Europe/Rome" name "X" } '
    'rules from 2024-01-01 { code "35" { entered terminal,web kind service label "C" } '
    "profile full_time { pause { max 2h min 30m } due 450m days mon,tue,wed,thu,fri "
    "weekly 37h30m } flag missed_stamps over 3 per month fee badge 5.00 EUR } "
    'example "e" { expect worked 7h30m balance -0h stamps in 08:00,out 16:00 code "35" '
    "date 2024-03-04 profile full_time }"
)

ONE_LINE_CANONICAL = """\
institution x {
    name "X"
    timezone "Europe/Rome"
    holidays IT "MI"
}

rules from 2024-01-01 {
    code "35" {
        label "C"
        kind service
        entered terminal, web
    }

    profile full_time {
        weekly 37h30m
        days mon..fri
        due 7h30m
        pause {
            min 30m
            max 2h
        }
    }

    flag missed_stamps over 3 per month
    fee badge 5.00 EUR
}

example "e" {
    profile full_time
    date 2024-03-04
    stamps in 08:00, out 16:00 code 35
    expect worked 7h30m balance 0m
}
"""


def meaning(node: Any) -> Any:
    """A syntax tree without positions, end lines, source text or comments."""
    if isinstance(node, ast.RuleFile):
        return meaning((node.institution, node.sections, node.examples))
    if isinstance(node, ast.Pos):
        return None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        kept = [f.name for f in dataclasses.fields(node) if f.name != "end_line"]
        return (type(node).__name__, *(meaning(getattr(node, name)) for name in kept))
    if isinstance(node, tuple):
        return tuple(meaning(item) for item in node)
    return node


def assert_round_trip(text: str) -> str:
    first = parse(text)
    canonical = format_rules(first)
    again = parse(canonical)
    assert meaning(again) == meaning(first)
    assert format_rules(again) == canonical
    return canonical


# ---- words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"), [(435, "7h15m"), (30, "30m"), (120, "2h"), (0, "0m"), (61, "1h1m")]
)
def test_durations(minutes: int, text: str) -> None:
    assert duration(minutes) == text


def test_clocks_and_days() -> None:
    assert [clock(480), clock(0), clock(1440)] == ["08:00", "00:00", "24:00"]
    assert days((1, 2, 3, 4, 5)) == "mon..fri"
    assert days((1, 2)) == "mon, tue"
    assert days((1, 3, 5)) == "mon, wed, fri"


# ---- whole files ------------------------------------------------------------------------


def test_messy_one_line_file_becomes_canonical() -> None:
    assert assert_round_trip(ONE_LINE) == ONE_LINE_CANONICAL


@pytest.mark.parametrize("path", PLUGIN_RULES + HANDWRITTEN, ids=lambda p: p.name)
def test_idempotent_and_meaning_preserving(path: Path) -> None:
    assert_round_trip(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PLUGIN_RULES, ids=lambda p: p.name)
def test_plugin_rule_files_are_canonical(path: Path) -> None:
    rules = parse_file(path)
    assert format_rules(rules) == rules.source, f"run: timbra rules fmt --write {path}"


def test_there_is_a_plugin_rule_file() -> None:
    assert PLUGIN_RULES


def test_statements_follow_the_grammar_order_sections_keep_file_order() -> None:
    text = (
        'rules from 2024-01-01 { tolerance 5m code "1" { kind service label "L" } '
        "stamping { double_swipe 1m sources web } }"
    )
    lines = assert_round_trip(text).splitlines()
    assert [line.strip() for line in lines] == [
        "rules from 2024-01-01 {",
        "tolerance 5m",
        "",
        'code "1" {',
        'label "L"',
        "kind service",
        "}",
        "",
        "stamping {",
        "sources web",
        "double_swipe 1m",
        "}",
        "}",
    ]


def test_strings_are_requoted_and_codes_quoted_only_where_needed() -> None:
    text = (
        'rules from 2024-01-01 { code 37a { label "say \\"hi\\" \\\\ bye" } '
        "pause { outside_band code 49 } } "
        'example "e" { stamps in 08:00 code "37a", out 09:00 code "3 5" '
        'request "37a" day expect code "37a" 1h }'
    )
    canonical = assert_round_trip(text)
    assert 'code "37a" {' in canonical
    assert 'label "say \\"hi\\" \\\\ bye"' in canonical
    assert 'outside_band code "49"' in canonical
    assert 'stamps in 08:00 code 37a, out 09:00 code "3 5"' in canonical
    assert "request 37a day" in canonical
    assert "expect code 37a 1h" in canonical


def test_every_when_form() -> None:
    text = (
        "rules from 2024-01-01 { deadlines { missed_stamp 08:30 of next_day "
        "correction_request 10 days report day 5 of month + 2 anomaly_fix end of year "
        "negative_balance day 3 of next_month compensatory_rest end of school_year } }"
    )
    canonical = assert_round_trip(text)
    for line in ("missed_stamp 08:30 of next_day", "correction_request 10 days",
                 "report day 5 of month + 2", "anomaly_fix end of year",
                 "negative_balance day 3 of next_month", "compensatory_rest end of school_year"):
        assert f"        {line}\n" in canonical


# ---- comments ------------------------------------------------------------------------------


def test_comments_are_kept_in_place() -> None:
    canonical = assert_round_trip((DATA / "messy.rules").read_text(encoding="utf-8"))
    lines = canonical.splitlines()
    assert lines[:4] == ["# header", "", "# second paragraph of the header", "institution x {"]
    assert "}  # after x" in lines
    assert "        days mon..fri  # days" in lines
    assert lines[lines.index('        label "L"') - 1] == "        # before label"
    assert lines[lines.index("    stamping {}") - 1] == "    # before empty"
    closing = lines.index("        # closing comment in deadlines")
    assert lines[closing - 1] == "        report end of school_year"
    assert lines[closing + 1] == "    }"
    assert lines[-3:] == ["}", "", "# final comment"]
    section_end = lines.index("    # end of section")
    assert lines[section_end + 1] == "}"


def test_every_comment_survives() -> None:
    for path in [*PLUGIN_RULES, *HANDWRITTEN]:
        before = parse_file(path)
        after = parse(format_rules(before))
        assert sorted(c.text for c in after.comments) == sorted(c.text for c in before.comments)


def test_blank_lines_between_one_line_statements_are_kept_once() -> None:
    text = (
        "rules from 2024-01-01 {\n    flag missed_stamps over 3 per month\n\n\n"
        "    fee badge 5.00 EUR\n    tolerance 5m\n}\n"
    )
    assert assert_round_trip(text) == (
        "rules from 2024-01-01 {\n    flag missed_stamps over 3 per month\n\n"
        "    fee badge 5.00 EUR\n    tolerance 5m\n}\n"
    )


def test_comment_continuing_a_statement_stays_on_its_line() -> None:
    text = 'example "s" {\n    stamps in 08:00,  # morning\n        out 12:00\n}\n'
    assert assert_round_trip(text) == (
        'example "s" {\n    stamps in 08:00, out 12:00  # morning\n}\n'
    )


def test_empty_file() -> None:
    assert assert_round_trip("") == ""
    assert assert_round_trip("# nothing yet\n") == "# nothing yet\n"


def test_monte_ore_and_inside_service_are_printed_as_written() -> None:
    text = (
        'rules from 2024-01-01 { profile ep { monte_ore 36h per week over month weekly 36h '
        "pause { inside_service deduct_min min 30m } } }"
    )
    lines = [line.strip() for line in assert_round_trip(text).splitlines()]
    assert lines == [
        "rules from 2024-01-01 {",
        "profile ep {",
        "weekly 36h",
        "monte_ore 36h per week over month",
        "pause {",
        "min 30m",
        "inside_service deduct_min",
        "}",
        "}",
        "}",
    ]
