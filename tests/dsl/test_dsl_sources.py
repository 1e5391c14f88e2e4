"""`source "art. 5 c. 2" "the sentence"` before a statement: checked with positions and
hints, kept by the formatter next to its statement, shown on hover and in every explanation
step of the rule it annotates (issue 11)."""

from __future__ import annotations

from datetime import date

import pytest

from dsl.diagnose import diagnose
from dsl.formatter import format_rules
from dsl.lsp.index import hover
from dsl.parser import parse
from server.engine import Stamp, evaluate_day
from server.policy.load import load_policy

TEXT = """\
institution demo {
    name "Demo"
    timezone "Europe/Rome"
    holidays IT "MI"
}

source "Regolamento 2024"
rules from 2024-01-01 {
    source "art. 3" "Il personale osserva un orario di 36 ore settimanali"
    profile full_time {
        days lunedì..venerdì
        source "art. 3 c. 2" "sei ore al giorno"  # the daily due
        due 6h
    }

    pause {
        min 30m
        source "art. 4" "dopo sei ore di lavoro"
        after 6h
    }
}
"""


def test_each_source_is_tied_to_the_statement_after_it() -> None:
    found = {s.ref: s for s in parse(TEXT, "demo.rules").sources}
    assert set(found) == {"Regolamento 2024", "art. 3", "art. 3 c. 2", "art. 4"}
    assert (found["art. 3 c. 2"].pos.line, found["art. 3 c. 2"].pos.column) == (12, 9)
    assert found["art. 3 c. 2"].target.line == 13 and found["art. 3 c. 2"].target_end == 13
    assert found["art. 3"].quote == "Il personale osserva un orario di 36 ore settimanali"
    assert (found["art. 3"].target.line, found["art. 3"].target_end) == (10, 14)  # the block
    assert (found["Regolamento 2024"].target.line, found["Regolamento 2024"].target_end) == (8, 21)
    assert found["art. 4"].quote == "dopo sei ore di lavoro" and found["art. 4"].target.line == 19


@pytest.mark.parametrize(("change", "message", "hint"), [
    ('after 6h\n', "a source annotates the statement after it; none follows",
     "put it on the line before the statement it quotes"),
    ('source "art. 4" "dopo sei ore di lavoro"', "unexpected word 'source'",
     'write it like source "art. 5 c. 2", or source "003:l.46" "the sentence quoted"'),
])
def test_a_source_without_its_statement_or_its_place_is_refused(change: str, message: str,
                                                                 hint: str) -> None:
    broken = TEXT.replace(change, "" if change.startswith("after") else "source art4")
    (d,) = diagnose(broken)
    assert (d.line, d.column, d.message, d.hint) == (18, 9, message, hint)


def test_an_empty_place_is_refused() -> None:
    (d,) = diagnose(TEXT.replace('source "art. 4"', 'source " "'))
    assert (d.line, d.message) == (18, "a source names a place in the regulation")


def test_the_formatter_keeps_each_source_before_its_statement() -> None:
    text = format_rules(parse(TEXT))
    # `after` comes before `min` in the canonical order: its source moves with it.
    assert ('    pause {\n        source "art. 4" "dopo sei ore di lavoro"\n'
            '        after 6h\n        min 30m\n') in text
    assert ('        source "art. 3 c. 2" "sei ore al giorno"  # the daily due\n'
            '        due 6h') in text
    assert format_rules(parse(text)) == text
    assert parse(text).sources[1:] != () and len(parse(text).sources) == 4


def test_hover_shows_the_source_of_the_statement_and_of_its_block() -> None:
    rule_file = parse(TEXT)
    on_due = hover(rule_file, TEXT, 13, 10)
    assert on_due is not None and "**art. 3 c. 2**: «sei ore al giorno»" in on_due
    on_days = hover(rule_file, TEXT, 11, 10)  # no source of its own: the profile's
    assert on_days is not None and "**art. 3**: «Il personale osserva" in on_days


def test_explanations_name_the_regulation_of_the_rule() -> None:
    """Seed 003: «Qualora il dipendente non abbia provveduto alla timbratura relative alla
    pausa pranzo, si provvederà d'ufficio a trattenere la mezz'ora»."""
    policy = load_policy("school")
    result = evaluate_day(policy, "full_time", date(2026, 4, 7),
                          [Stamp(7 * 60 + 30, "in"), Stamp(15 * 60 + 12, "out")])
    assert result.pause_deducted == 30
    (step,) = [e for e in result.explanations() if e.rule == "deduct_unstamped 30m"]
    assert step.regulation == "003:l.48"
    assert step.to_json()["regulation"] == "003:l.48"
    due = next(e for e in result.explanations() if e.figure == "due")
    assert due.regulation == "003:l.24"
