"""Italian weekday names (`lun..ven`) are accepted wherever the English ones are; the
formatter prints the English ones, the canonical form like every keyword of the language."""

from __future__ import annotations

import pytest

from dsl import ast
from dsl.diagnose import diagnose
from dsl.formatter import format_rules
from dsl.parser import parse
from dsl.vocabulary import DAYS, DAYS_IT, day_number

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
])
def test_italian_days_mean_the_english_ones(italian: str, english: str) -> None:
    assert days_of(italian) == days_of(english)


def test_every_day_has_its_italian_name() -> None:
    assert [day_number(d) for d in DAYS_IT] == [day_number(d) for d in DAYS] == [1, 2, 3, 4,
                                                                                    5, 6, 7]
    assert day_number("lunedi") is None


def test_the_formatter_prints_the_canonical_english_days() -> None:
    text = format_rules(parse(with_days("lun..ven")))
    assert "days mon..fri" in text
    assert format_rules(parse(text)) == text
    assert "days mon, wed, fri" in format_rules(parse(with_days("lun, mer, ven")))


def test_a_full_italian_name_gets_the_short_one_as_hint() -> None:
    (d,) = diagnose(with_days("lunedi..ven"))
    assert d.message == "unknown day 'lunedi'"
    assert d.hint == "did you mean 'lun'?"


def test_a_backwards_italian_range_is_refused() -> None:
    (d,) = diagnose(with_days("ven..lun"))
    assert d.message == "the day range runs backwards"
