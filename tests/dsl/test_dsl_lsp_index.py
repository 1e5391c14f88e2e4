"""What the language server answers, checked on tests/data/valid.rules without the
protocol: which name a place refers to, where it is defined, what a hover says."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.lsp.index import Span, definitions, hover, reference, word_at
from dsl.parser import parse

VALID = Path(__file__).parents[1] / "data" / "valid.rules"
TEXT = VALID.read_text(encoding="utf-8")
RULES = parse(TEXT, str(VALID))


def place_of(fragment: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `fragment`'s character `offset`."""
    for number, line in enumerate(TEXT.splitlines(), start=1):
        if fragment in line:
            return number, line.index(fragment) + offset + 1
    raise AssertionError(fragment)


@pytest.mark.parametrize(("fragment", "offset", "kind", "name", "defined_at"), [
    ('outside_band code "49"', 19, "code", "49", 'code "49" {'),
    ("request 29 10:00..11:00", 8, "code", "29", 'code "29" {'),
    ("out 12:00 code 29", 15, "code", "29", 'code "29" {'),
    ("        allowance personal", 19, "allowance", "personal", "allowance personal {"),
    ("    profile full_time\n".rstrip(), 14, "profile", "full_time", "profile full_time {"),
])
def test_a_reference_leads_to_its_definition(
    fragment: str, offset: int, kind: str, name: str, defined_at: str
) -> None:
    word = word_at(TEXT, *place_of(fragment, offset))
    assert word is not None
    target = reference(word)
    assert target == (kind, name)
    line, _ = place_of(defined_at, 0)
    (span,) = definitions(RULES, *target)
    assert span.line == line
    assert TEXT.splitlines()[line - 1][span.column - 1 : span.end_column - 1].strip('"') == name


def test_a_word_that_names_nothing_has_no_reference() -> None:
    word = word_at(TEXT, *place_of("date 2024-03-04", 6))
    assert word is not None and (word.text, word.before) == ("2024", "date")
    assert reference(word) is None


def test_the_cursor_just_after_a_word_still_finds_it() -> None:
    line, column = place_of("kind hourly_absence", 0)
    word = word_at(TEXT, line, column + len("kind"))
    assert word is not None and word.text == "kind"
    assert word.span == Span(line, column, column + 4)


def test_hover_on_a_block_keyword_lists_its_statements() -> None:
    said = hover(RULES, TEXT, *place_of("allowance personal {", 0))
    assert said is not None
    assert said.startswith("**allowance { … }**: `amount`, `prorate`, `requires`")


def test_hover_on_a_comment_or_blank_says_nothing() -> None:
    assert hover(RULES, TEXT, 6, 1) is None
