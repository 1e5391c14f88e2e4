"""The TextMate grammar (docs/editors/timbra.tmLanguage.json) highlights every keyword of
dsl/grammar.lark and no word the language does not have: a keyword added to the grammar
without its colour fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dsl.vocabulary import DAY_NAMES, DAYS, DAYS_IT

REPO = Path(__file__).resolve().parents[2]
TEXTMATE = json.loads((REPO / "docs/editors/timbra.tmLanguage.json").read_text(encoding="utf-8"))
GRAMMAR = (REPO / "dsl/grammar.lark").read_text(encoding="utf-8")
# Every quoted word of the grammar: its keywords, and the words of DIRECTION and BOOL.
GRAMMAR_WORDS = set(re.findall(r'"([A-Za-z_]+)"', GRAMMAR))
WORD_RULES = ("blocks", "keywords", "constants")


def scope_of(word: str, rules: tuple[str, ...] = WORD_RULES) -> str | None:
    for name in rules:
        rule = TEXTMATE["repository"][name]
        found = re.search(rule["match"], f" {word} ")
        if found and found.group() == word:
            return str(rule["name"])
    return None


def listed(rule: str) -> set[str]:
    match = TEXTMATE["repository"][rule]["match"]
    inner = re.fullmatch(r"\\b\(\?:(.*)\)\\b", match)
    assert inner, f"{rule} is a word list"
    return set(inner.group(1).split("|"))


def test_the_grammar_has_words_to_check() -> None:
    assert {"institution", "profile", "due", "outside_band", "yes", "in"} <= GRAMMAR_WORDS


@pytest.mark.parametrize("word", sorted(GRAMMAR_WORDS))
def test_every_keyword_of_the_grammar_is_highlighted(word: str) -> None:
    assert scope_of(word), f"'{word}' of dsl/grammar.lark has no colour in the TextMate grammar"


def test_no_highlighted_word_is_missing_from_the_grammar() -> None:
    extra = set().union(*(listed(rule) for rule in WORD_RULES)) - GRAMMAR_WORDS
    assert not extra, f"highlighted but not in dsl/grammar.lark: {sorted(extra)}"


def test_block_keywords_look_different_from_statements() -> None:
    assert scope_of("profile") == "storage.type.block.timbra"
    assert scope_of("due") == "keyword.other.statement.timbra"
    assert scope_of("due_x") is None  # a whole word only


def test_day_names_in_both_languages() -> None:
    assert listed("days") == DAY_NAMES
    assert {*DAYS, *DAYS_IT, "lunedì", "venerdi"} <= DAY_NAMES
    assert scope_of("mercoledì", ("days",)) == "support.constant.day.timbra"


@pytest.mark.parametrize(("text", "scope"), [
    ("7h12m", "constant.numeric.duration.timbra"),
    ("30m", "constant.numeric.duration.timbra"),
    ("08:30", "constant.numeric.clock.timbra"),
    ("2026-03-02", "constant.numeric.date.timbra"),
    ("50%", "constant.numeric.percent.timbra"),
])
def test_literals(text: str, scope: str) -> None:
    rules = TEXTMATE["repository"]["literals"]["patterns"]
    first = next(r for r in rules if re.search(r["match"], f" {text} "))
    assert first["name"] == scope
    assert re.search(first["match"], f" {text} ").group() == text  # type: ignore[union-attr]


def test_the_file_type_and_scope() -> None:
    assert TEXTMATE["scopeName"] == "source.timbra"
    assert TEXTMATE["fileTypes"] == ["rules"]
    includes = {p["include"].lstrip("#") for p in TEXTMATE["patterns"]}
    assert includes == set(TEXTMATE["repository"])
