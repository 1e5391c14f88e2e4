"""The parser: positions, values, versions, and errors a person can act on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dsl import ast
from dsl.errors import RuleError, source_line
from dsl.parser import parse, parse_file, parse_stamps

REPO = Path(__file__).resolve().parents[2]
UNIVERSITY = REPO / "plugins" / "university" / "university.rules"

SMALL = """\
institution demo {
    name "Demo"
    timezone "Europe/Rome"
}

rules from 2024-01-01 "first" {
    profile full_time {
        due 7h15m
        entry 08:00..09:00
        pause {
            band 11:45..14:30 last_exit 14:00 "lunch"
        }
    }
}

rules from 2025-09-01 {
    tolerance 5m
}
"""


def error_of(text: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse(text, "bad.rules")
    return caught.value


# ---- the university file ------------------------------------------------------------


def test_university_file_parses_with_its_versions() -> None:
    rules = parse_file(UNIVERSITY)
    assert rules.path == str(UNIVERSITY)
    assert rules.institution is not None
    assert rules.institution.id == "university"
    assert rules.institution.timezone is not None
    assert rules.institution.timezone.value == "Europe/Rome"
    assert rules.institution.holidays is not None
    assert (rules.institution.holidays.country, rules.institution.holidays.subdivision) == (
        "IT",
        "MI",
    )
    effective = [s.effective for s in rules.sections]
    assert effective[:2] == [date(2016, 1, 1), date(2023, 9, 1)]
    assert all(s.title for s in rules.sections)
    assert rules.examples


def _nodes(rules: ast.RuleFile) -> list[tuple[ast.Pos, str]]:
    """Each block with the keyword its position must point at."""
    found: list[tuple[ast.Pos, str]] = []
    for section in rules.sections:
        found.append((section.pos, "rules from"))
        for stmt in section.statements:
            if isinstance(stmt, ast.Profile):
                found.append((stmt.pos, f"profile {stmt.name}"))
            elif isinstance(stmt, ast.CodeDef):
                found.append((stmt.pos, "code"))
    found += [(e.pos, "example") for e in rules.examples]
    return found


def test_university_positions_point_at_what_they_name() -> None:
    rules = parse_file(UNIVERSITY)
    for pos, keyword in _nodes(rules):
        assert pos.file == str(UNIVERSITY)
        assert source_line(rules.source, pos.line)[pos.column - 1 :].startswith(keyword)


def test_university_comments_are_kept_with_their_lines() -> None:
    rules = parse_file(UNIVERSITY)
    assert rules.comments
    for comment in rules.comments:
        line = source_line(rules.source, comment.line)
        assert comment.text in line
        assert comment.own_line == line.lstrip().startswith("#")


# ---- values and positions ---------------------------------------------------------


def test_durations_clocks_and_positions() -> None:
    rules = parse(SMALL, "small.rules")
    first = rules.sections[0]
    assert (first.effective, first.title, first.pos, first.end_line) == (
        date(2024, 1, 1),
        "first",
        ast.Pos("small.rules", 6, 1),
        14,
    )
    (profile,) = first.statements
    assert isinstance(profile, ast.Profile)
    assert profile.pos == ast.Pos("small.rules", 7, 5)
    assert profile.due == ast.At(7 * 60 + 15, ast.Pos("small.rules", 8, 9))
    assert profile.entry_from is not None and profile.entry_until is not None
    assert (profile.entry_from.value, profile.entry_until.value) == (8 * 60, 9 * 60)
    assert profile.pause is not None
    (band,) = profile.pause.bands
    assert (band.start, band.end, band.last_exit, band.label) == (705, 870, 840, "lunch")
    assert band.pos == ast.Pos("small.rules", 11, 13)


def test_later_sections_are_versions_of_the_rules() -> None:
    rules = parse(SMALL)
    assert [s.effective for s in rules.sections] == [date(2024, 1, 1), date(2025, 9, 1)]
    (tolerance,) = rules.sections[1].statements
    assert tolerance == ast.Tolerance(5, None, ast.Pos("<rules>", 17, 5))


@pytest.mark.parametrize(
    ("text", "minutes"), [("7h15m", 435), ("30m", 30), ("2h", 120), ("0m", 0), ("90m", 90)]
)
def test_duration_values(text: str, minutes: int) -> None:
    rules = parse(f"rules from 2024-01-01 {{ tolerance {text} }}")
    (tolerance,) = rules.sections[0].statements
    assert isinstance(tolerance, ast.Tolerance)
    assert tolerance.minutes == minutes


def test_parse_stamps() -> None:
    stamps = parse_stamps('in 08:03, out 12:00 code 35, 13:00 code "3 5"')
    assert [(s.direction, s.minute, s.code) for s in stamps] == [
        ("in", 483, None),
        ("out", 720, "35"),
        (None, 780, "3 5"),
    ]
    assert stamps[1].pos == ast.Pos("<stamps>", 1, 11)


# ---- errors -------------------------------------------------------------------------


def test_malformed_duration_says_how_durations_are_written() -> None:
    error = error_of("rules from 2024-01-01 {\n    profile p {\n        due 7h12\n    }\n}\n")
    (d,) = error.diagnostics
    assert (d.file, d.line, d.column) == ("bad.rules", 3, 15)
    assert d.hint == "durations are written like 7h12m, 30m or 2h"
    assert d.render().startswith("bad.rules:3:15: unexpected word '12'\n            due 7h12\n")


def test_unknown_statement_gets_did_you_mean() -> None:
    (d,) = error_of("rules from 2024-01-01 {\n    profil p {}\n}\n").diagnostics
    assert (d.line, d.column, d.message) == (2, 5, "unexpected word 'profil'")
    assert d.hint == "did you mean 'profile'?"


@pytest.mark.parametrize(
    ("typo", "keyword"), [("nme", "name"), ("timezon", "timezone"), ("holiday", "holidays")]
)
def test_did_you_mean_knows_every_keyword(typo: str, keyword: str) -> None:
    (d,) = error_of(f'institution x {{\n    {typo} "x"\n}}\n').diagnostics
    assert d.hint == f"did you mean '{keyword}'?"


def test_unknown_word_of_a_closed_list() -> None:
    (d,) = error_of('rules from 2024-01-01 {\n    code "1" { kind servce }\n}\n').diagnostics
    assert (d.line, d.column, d.message) == (2, 21, "unknown code kind 'servce'")
    assert d.hint == "did you mean 'service'?"


def test_unterminated_block_names_the_open_block() -> None:
    (d,) = error_of("rules from 2024-01-01 {\n    profile p {\n        due 7h\n").diagnostics
    assert d.message == "unexpected end of file"
    assert (d.line, d.column) == (3, 15)
    assert d.hint == "the block opened at line 2 (profile p {) is not closed with '}'"


def test_wrong_character() -> None:
    (d,) = error_of("rules from 2024-01-01 {\n    tolerance 5m $\n}\n").diagnostics
    assert (d.line, d.column, d.message) == (2, 18, "unexpected character '$'")
    lines = d.render().splitlines()
    assert lines[0] == "bad.rules:2:18: unexpected character '$'"
    assert lines[1] == "        tolerance 5m $"
    assert lines[2] == "    " + " " * 17 + "^"


def test_statement_given_twice() -> None:
    (d,) = error_of("rules from 2024-01-01 {\n profile p {\n  due 1h\n  due 2h\n }\n}").diagnostics
    assert (d.line, d.message) == (4, "'due' is given twice in profile p")
    assert d.hint == "the first is at line 3; keep one"


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RuleError) as caught:
        parse_file(tmp_path / "missing.rules")
    (d,) = caught.value.diagnostics
    assert d.message.startswith("cannot read rule file")


def test_monte_ore_and_inside_service_keep_their_places() -> None:
    rules = parse(
        "rules from 2024-01-01 {\n"
        "    profile ep {\n"
        "        monte_ore 36h per week over month\n"
        "        pause { inside_service deduct_min }\n"
        "    }\n"
        "}\n", "t.rules")
    [profile] = rules.sections[0].statements
    assert isinstance(profile, ast.Profile)
    assert profile.monte_ore == ast.MonteOre(36 * 60, "week", "month", ast.Pos("t.rules", 3, 9))
    assert profile.pause is not None and profile.pause.inside_service == ast.At(
        True, ast.Pos("t.rules", 4, 17))
