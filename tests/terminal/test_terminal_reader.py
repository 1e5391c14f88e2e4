"""Badge reader and keypad input: what a person pressing keys and swiping gets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from terminals.reader import Expired, Invalid, LastStampsRequest, Pending, Reader, Swipe

T0 = datetime(2026, 3, 2, 8, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_badge_alone_leaves_the_direction_to_the_server() -> None:
    reader = Reader("any")
    assert reader.feed("0012345\n", T0) == [Swipe("0012345", None, None)]


@pytest.mark.parametrize("code_line", ["*35", "code 35", "codice 35", "COD 35"])
def test_code_typed_before_the_badge_goes_with_it(code_line: str) -> None:
    reader = Reader("any")
    assert reader.feed(code_line, T0) == [Pending(None, "35", False)]
    assert reader.feed("12345", at(3)) == [Swipe("12345", None, "35")]
    # the code was for that swipe only
    assert reader.feed("12345", at(60)) == [Swipe("12345", None, None)]


def test_code_word_and_number_may_come_on_separate_lines() -> None:
    reader = Reader("any")
    reader.feed("codice", T0)
    reader.feed("7", at(1))
    assert reader.feed("555", at(2)) == [Swipe("555", None, "7")]


@pytest.mark.parametrize(("key", "direction"), [
    ("E", "in"), ("e", "in"), ("in", "in"), ("entrata", "in"),
    ("U", "out"), ("out", "out"), ("Uscita", "out"),
])
def test_entry_and_exit_keys(key: str, direction: str) -> None:
    reader = Reader("keys")
    assert reader.feed(key, T0) == [Pending(direction, None, False)]  # type: ignore[arg-type]
    assert reader.feed("42", at(1)) == [Swipe("42", direction, None)]  # type: ignore[arg-type]


def test_keys_mode_refuses_a_badge_without_e_or_u() -> None:
    reader = Reader("keys")
    [event] = reader.feed("42", T0)
    assert isinstance(event, Invalid) and "E (entrata) o U (uscita)" in event.reason


def test_key_code_and_badge_on_one_line() -> None:
    reader = Reader("keys")
    events = reader.feed("U *29 42", T0)
    assert events[-1] == Swipe("42", "out", "29")


def test_alternate_mode_gives_in_then_out_per_badge_and_day() -> None:
    reader = Reader("alternate")
    directions = [reader.feed(b, at(i))[0] for i, b in enumerate(["1", "2", "1", "1", "2"])]
    assert directions == [Swipe("1", "in", None), Swipe("2", "in", None),
                          Swipe("1", "out", None), Swipe("1", "in", None),
                          Swipe("2", "out", None)]
    # a new day starts with an entry again, even after an unpaired entry
    assert reader.feed("1", T0 + timedelta(days=1)) == [Swipe("1", "in", None)]


def test_a_pending_code_expires_if_no_badge_follows() -> None:
    reader = Reader("any", timeout=10)
    reader.feed("*35", T0)
    assert reader.tick(at(9)) == []
    assert reader.tick(at(11)) == [Expired()]
    assert not reader.pending
    # the next person's badge does not inherit the code
    assert reader.feed("999", at(12)) == [Swipe("999", None, None)]


def test_expiry_is_noticed_when_the_badge_comes_late_without_a_tick() -> None:
    reader = Reader("any", timeout=10)
    reader.feed("E", T0)
    assert reader.feed("999", at(30)) == [Expired(), Swipe("999", None, None)]


def test_f5_shows_last_stamps_instead_of_stamping() -> None:
    reader = Reader("any")
    assert reader.feed("F5", T0) == [Pending(None, None, True)]
    assert reader.feed("777", at(2)) == [LastStampsRequest("777")]
    assert reader.feed("777", at(3)) == [Swipe("777", None, None)]


@pytest.mark.parametrize("line", ["12-34", "badge#1", "ÀÈ", "x" * 33, "*", "*123456789"])
def test_garbage_is_reported_not_stamped(line: str) -> None:
    reader = Reader("any")
    events = reader.feed(line, T0)
    assert events and all(isinstance(e, Invalid) for e in events)
    assert not any(isinstance(e, Swipe) for e in events)


def test_blank_lines_and_reader_control_characters_are_ignored() -> None:
    reader = Reader("any")
    assert reader.feed("\n", T0) == []
    assert reader.feed("   \t", T0) == []
    assert reader.feed("\x02123456\x03\r\n", T0) == [Swipe("123456", None, None)]


def test_code_table_from_the_server_limits_the_keypad() -> None:
    reader = Reader("any", codes=frozenset({"1", "2", "3"}))
    [event] = reader.feed("*9", T0)
    assert isinstance(event, Invalid) and "9" in event.reason
    assert reader.feed("42", at(1)) == [Swipe("42", None, None)]
    reader.feed("*2", at(2))
    assert reader.feed("42", at(3)) == [Swipe("42", None, "2")]


def test_unknown_direction_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="direction mode"):
        Reader("sometimes")  # type: ignore[arg-type]
