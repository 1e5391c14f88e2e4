"""Every error of a file in one run: syntax errors read past, near misses named with the
nearest form the grammar has, and the checker's findings on what could be read."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dsl.diagnose import as_json, diagnose, end_column
from dsl.errors import RuleError
from dsl.parser import parse

REPO = Path(__file__).resolve().parents[2]
UNIVERSITY = REPO / "plugins" / "university" / "university.rules"

HEAD = 'institution demo {\n    name "Demo"\n    timezone "Europe/Rome"\n    holidays IT "MI"\n}\n'
FULL_TIME = "profile full_time { due 7h12m }"


def section(*lines: str) -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return HEAD + "rules from 2024-01-01 {\n" + body + "}\n"


def where(text: str) -> list[tuple[int, int, str]]:
    return [(d.line, d.column, d.message) for d in diagnose(text, "x.rules")]


def test_three_syntax_errors_in_three_blocks_are_all_reported() -> None:
    text = section(
        "profile full_time {",
        "    due 7h12",  # line 8
        "}",
        'code "29" {',
        "    kynd hourly_absence",  # line 11
        "}",
        "tolerance 5m $",  # line 13
    )
    found = where(text)
    assert [(line, col) for line, col, _ in found] == [(8, 15), (11, 9), (13, 18)]
    assert found[0][2] == "unexpected word '12'"
    assert found[2][2] == "unexpected character '$'"
    with pytest.raises(RuleError) as caught:
        parse(text, "x.rules")
    assert len(caught.value.diagnostics) == 3


def test_a_misspelt_block_gives_one_error_not_one_per_line_inside_it() -> None:
    text = section(FULL_TIME, "profil p {", "    due 7h", "    entry 08:00..09:00", "}",
                   "tolerance 5m")
    ((line, col, message),) = where(text)
    assert (line, col, message) == (8, 5, "unexpected word 'profil'")
    assert diagnose(text)[0].hint == "did you mean 'profile'?"


def test_a_statement_cut_short_does_not_spoil_the_next_lines() -> None:
    text = section("profile full_time {", "    due", "    entry 08:00..09:00",
                   "    last_stamp 16:00", "}")
    (d,) = diagnose(text)
    # The caret goes where the duration is missing, not on the next line's `entry`.
    assert (d.line, d.column, d.message) == (8, 12, "'due' is unfinished")
    assert d.hint == "did you mean 'due DURATION'? expected a duration like 7h12m, 30m or 2h"


def test_a_missing_brace_is_named_with_the_block_it_leaves_open() -> None:
    text = section("profile full_time {", "    due 7h12m", 'code "29" {',
                   "    kind hourly_absence", "}")
    (d,) = diagnose(text, "x.rules")
    assert (d.line, d.column, d.message) == (9, 5, "'}' missing before 'code'")
    assert d.hint == "the block opened at line 7 (profile full_time {) is not closed"


@pytest.mark.parametrize(("statement", "nearest"), [
    ("entry 08:00-09:00", "entry CLOCK .. CLOCK"),
    ("label 36h", "label STRING"),
])
def test_the_nearest_form_is_found_by_the_shape_of_the_statement(
    statement: str, nearest: str
) -> None:
    (d,) = diagnose(section("profile full_time {", f"    {statement}", "}"))
    assert d.message == f"'{statement}' is not supported here"
    assert d.hint is not None and d.hint.startswith(f"did you mean '{nearest}'?")


def test_an_unfinished_statement_gets_its_whole_form() -> None:
    (d,) = diagnose(section("profile full_time {", "    monte_ore 36h per week", "}"))
    assert (d.line, d.column) == (8, 31)
    assert d.message == "'monte_ore 36h per week' is unfinished"
    assert d.hint == "did you mean 'monte_ore DURATION per NAME over NAME'? expected 'over'"


def test_near_miss_says_not_supported_with_the_nearest_form() -> None:
    (d,) = diagnose(section("profile full_time {", "    due mon 9h", "}"))
    assert d.message == "'due mon 9h' is not supported here"
    assert d.hint is not None and d.hint.startswith("did you mean 'due DURATION'?")


def test_a_statement_of_another_block_says_where_it_belongs() -> None:
    (d,) = diagnose(section("profile full_time {", "    rounding nearest 5m", "}"))
    assert d.message == "'rounding' is not supported in a profile block"
    assert d.hint == "it belongs in stamping { … }"


def test_a_rules_statement_at_the_top_level_says_where_it_belongs() -> None:
    (d,) = diagnose(section(FULL_TIME) + "tolerance 5m\n")
    assert d.message == "'tolerance' is not supported in the top level"
    assert d.hint == "it belongs in rules from DATE { … }"


def test_syntax_errors_come_with_the_checker_findings() -> None:
    text = section(
        "profile full_time {",
        "    weekly 36h",
        "    due 7h12m",
        "    entry 09:00..08:00",  # the checker: the window ends before it starts
        "}",
        "tolerance 5m $",  # the parser
    )
    messages = [message for _, _, message in where(text)]
    assert len(messages) == 2
    assert messages[1] == "unexpected character '$'"
    assert "entry" in messages[0]


def test_end_of_file_inside_a_block() -> None:
    text = HEAD + "rules from 2024-01-01 {\n    profile full_time {\n        due 7h12m\n"
    (d,) = diagnose(text)
    assert d.message == "unexpected end of file"
    assert d.hint == "the block opened at line 7 (profile full_time {) is not closed with '}'"


def test_a_sound_file_has_no_diagnostics() -> None:
    assert diagnose(UNIVERSITY.read_text(encoding="utf-8"), str(UNIVERSITY)) == []


def test_recovery_stays_fast_on_a_long_broken_file() -> None:
    """The language server diagnoses on every keystroke."""
    text = UNIVERSITY.read_text(encoding="utf-8").replace("due 7h12m", "due 7h12", 1)
    started = time.perf_counter()
    found = diagnose(text * 3)
    assert found and time.perf_counter() - started < 5


def test_json_form_points_at_the_whole_word() -> None:
    (d,) = diagnose(section(FULL_TIME, 'code "29" {', "    kynd hourly_absence", "}"), "x.rules")
    record = as_json(d)
    assert record == {
        "file": "x.rules", "line": 9, "col": 9, "end": {"line": 9, "col": 13},
        "severity": "error", "message": "unexpected word 'kynd'", "hint": "did you mean 'kind'?",
    }
    assert json.loads(json.dumps(record)) == record
    assert end_column(d) == d.column + len("kynd")


@pytest.mark.parametrize(("written", "keyword"), [("dues 7h12m", "due"),
                                                  ("entryy 08:00", "entry")])
def test_a_keyword_with_extra_letters_is_named_whole(written: str, keyword: str) -> None:
    """The lexer reads `dues` as the keyword `due` and a stray `s`: the error names `dues`."""
    (d,) = diagnose(section("profile full_time {", f"    {written}", "}"))
    assert (d.line, d.column) == (8, 9)
    assert d.message == f"unexpected word '{written.split()[0]}'"
    assert d.hint == f"did you mean '{keyword}'?"
