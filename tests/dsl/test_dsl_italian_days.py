"""Italian weekday names (`lun..ven`, `lunedì..venerdì`, `lunedi..venerdi`) are accepted
wherever the English ones are; the formatter prints the English ones, the canonical form
like every keyword of the language."""

from __future__ import annotations

import pytest

from dsl import ast
from dsl.diagnose import diagnose
from dsl.formatter import format_rules
from dsl.parser import parse
from dsl.vocabulary import DAYS, DAYS_IT, DAYS_IT_FULL, day_number

HEAD = 'institution demo {\n    name "Demo"\n    timezone "Europe/Rome"\n    holidays IT "MI"\n}\n'


def with_days(days: str) -> str:
    return (HEAD + "rules from 2024-01-01 {\n    profile full_time {\n"
            f"        days {days}\n        due 6h\n    }}\n}}\n")


def days_of(days: str) -> tuple[int, ...]:
    (profile,) = parse(with_days(days)).sections[0].statements
    assert isinstance(profile, ast.Profile) and profile.days is not None
    return profile.days.value


@pytest.mark.parametrize(("italian", "english"), [
    ("lun..ven", "mon..fri"),
    ("lun, mer, ven", "mon, wed, fri"),
    ("sab, dom", "sat, sun"),
    ("mar..gio", "tue..thu"),
    ("lunedì..venerdì", "mon..fri"),
    ("lunedi..venerdi", "mon..fri"),
    ("lunedì, mercoledì, venerdì", "mon, wed, fri"),
    ("martedi, giovedì, sabato, domenica", "tue, thu, sat, sun"),
])
def test_italian_days_mean_the_english_ones(italian: str, english: str) -> None:
    assert days_of(italian) == days_of(english)


def test_every_day_has_its_italian_name() -> None:
    assert [day_number(d) for d in DAYS_IT] == [day_number(d) for d in DAYS] == [1, 2, 3, 4,
                                                                                    5, 6, 7]
    assert [day_number(d) for d in DAYS_IT_FULL] == [1, 2, 3, 4, 5, 6, 7]
    assert day_number("lunedi") == day_number("lunedì") == 1
    assert day_number("Lunedì") is None  # words of the language are lower case


def test_a_full_italian_range_from_the_seed_text() -> None:
    """Seed 003: «per 3 giorni lavorativi (dal lunedì al venerdì)», written as it is said."""
    text = format_rules(parse(with_days("lunedì..venerdì")))
    assert "days mon..fri" in text


def test_the_formatter_prints_the_canonical_english_days() -> None:
    text = format_rules(parse(with_days("lun..ven")))
    assert "days mon..fri" in text
    assert format_rules(parse(text)) == text
    assert "days mon, wed, fri" in format_rules(parse(with_days("lun, mer, ven")))


def test_a_misspelt_full_italian_name_gets_the_nearest_one_as_hint() -> None:
    (d,) = diagnose(with_days("lunedy..ven"))
    assert d.message == "unknown day 'lunedy'"
    assert d.hint in {"did you mean 'lunedi'?", "did you mean 'lunedì'?"}


def test_a_backwards_italian_range_is_refused() -> None:
    (d,) = diagnose(with_days("ven..lun"))
    assert d.message == "the day range runs backwards"
