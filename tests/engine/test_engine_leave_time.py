""""If I leave now" on the university's rules (seed 002): each answer is what the engine
says of the day with that exit, and the searched exits are the first that say more."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dsl.parser import parse_stamps
from server.engine import Request, Stamp, evaluate_day
from server.engine.leave_time import leave_now
from server.minutes import clock, parse_clock
from server.policy.load import load_policy

RULES = (Path(__file__).parents[2] / "plugins" / "university" / "university.rules"
         ).read_text(encoding="utf-8").splitlines()


def written(source: str) -> str:
    """The rule file's line a `file:line` source names, as written."""
    name, _, line = source.partition(":")
    assert name == "university.rules"
    return RULES[int(line) - 1].split("#")[0].strip()

MONDAY = date(2026, 3, 2)  # a working Monday under the newer rules (seed 002)
WITH_PAUSE = "in 08:00, out 12:30, in 13:15"  # 45 minutes of pause in the band


def stamps(text: str) -> list[Stamp]:
    return [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(text)] if text else []


def leaving(text: str, now: str, requests: tuple[Request, ...] = ()):  # type: ignore[no-untyped-def]
    return leave_now(load_policy("university"), "full_time", MONDAY, stamps(text), requests,
                     parse_clock(now))


def exit_at(text: str, minute: int, requests: tuple[Request, ...] = ()):  # type: ignore[no-untyped-def]
    return evaluate_day(load_policy("university"), "full_time", MONDAY,
                        [*stamps(text), Stamp(minute, "out")], requests)


def test_before_the_due_with_the_unstamped_pause_ahead() -> None:
    """002: "Dopo un periodo di lavoro pari alle 6 ore si matura il diritto alla pausa
    pranzo" and, with no pause stamped, "decurtazione dell'intera fascia di flessibilità
    della pausa pranzo (2 ore e 15 minuti full time)": leaving at 13:10 keeps 5h10m; past
    6 hours the day loses 2h15m, so the due (7h15m) is reached only at 9h30m of presence."""
    at_1310 = leaving("in 08:00", "13:10")
    assert at_1310.state == "at_work" and at_1310.result is not None
    assert (at_1310.result.worked, at_1310.result.balance) == (310, 310 - 435)
    at_1400 = leaving("in 08:00", "14:00")
    assert at_1400.result is not None and at_1400.result.worked == 360 - 135
    # 17:28 rounds to 17:30 ("08:03 è arrotondato a 08:05"): 9h30m - 2h15m = 7h15m.
    assert at_1310.due_at is not None and clock(at_1310.due_at) == "17:28"
    assert exit_at("in 08:00", at_1310.due_at).balance >= 0
    assert all(exit_at("in 08:00", m).balance < 0 for m in range(parse_clock("13:11"),
                                                                   at_1310.due_at))
    # "La regolare timbratura permette la maturazione del buono pasto": with no pause
    # stamped no exit earns it.
    assert at_1310.voucher_at is None and not at_1310.result.meal_voucher
    assert at_1310.due_rule is not None and written(at_1310.due_rule.source) == "due 7h15m"


def test_the_meal_voucher_threshold_and_the_due_after_a_regular_pause() -> None:
    """002: meal voucher "min_worked 6h" with "La regolare timbratura permette la
    maturazione del buono pasto": 4h30m before the pause, 45m after it at 14:00; the voucher
    at 6 hours of work, the due (7h15m) at 16:00, each to the 5-minute rounding."""
    now = leaving(WITH_PAUSE, "14:00")
    assert now.result is not None
    assert (now.result.worked, now.result.balance, now.result.meal_voucher) == (315, -120, False)
    assert now.voucher_at is not None and clock(now.voucher_at) == "14:43"
    assert exit_at(WITH_PAUSE, now.voucher_at).meal_voucher
    assert not exit_at(WITH_PAUSE, now.voucher_at - 1).meal_voucher
    assert now.due_at is not None and clock(now.due_at) == "15:58"
    assert now.voucher_rule is not None and written(now.voucher_rule.source) == "min_worked 6h"


def test_a_day_already_complete() -> None:
    done = leaving(WITH_PAUSE, "16:30")
    assert done.due_reached and done.result is not None and done.result.meal_voucher
    assert (done.result.worked, done.result.balance) == (465, 30)
    assert (done.due_at, done.voucher_at) == (None, None)
    out = leaving(WITH_PAUSE + ", out 16:00", "17:00")
    assert out.state == "out" and out.result is not None and out.result.worked == 435
    assert out.due_reached


def test_no_entry_stamp_nothing_to_compute() -> None:
    nothing = leaving("", "09:00")
    assert nothing.state == "no_entry" and nothing.result is None
    assert (nothing.due_at, nothing.voucher_at) == (None, None)


def test_an_approved_request_covering_part_of_the_afternoon() -> None:
    """An approved hour of "150 ore permesso orario" (06a) from 15:00 is credited: the due
    is reached an hour earlier than without it."""
    study = (Request("06a", parse_clock("15:00"), parse_clock("16:00")),)
    with_request = leaving(WITH_PAUSE, "14:00", study)
    assert with_request.result is not None and with_request.result.balance == -60
    assert with_request.due_at is not None and clock(with_request.due_at) == "14:58"
    assert exit_at(WITH_PAUSE, with_request.due_at, study).balance >= 0
    assert leaving(WITH_PAUSE, "14:00").due_at == with_request.due_at + 60


def test_on_a_holiday_the_due_is_nothing_and_its_rule_is_the_holiday() -> None:
    """Sant'Ambrogio, 7 December, is a holiday in Milan (`holidays IT "MI"`): nothing is
    due, whatever the hour, and the rule named is the holiday's, not the profile's due."""
    holiday = leave_now(load_policy("university"), "full_time", date(2026, 12, 7),
                        stamps("in 09:00"), (), parse_clock("10:00"))
    assert holiday.result is not None and holiday.result.due == 0 and holiday.due_reached
    assert holiday.due_rule is not None
    assert written(holiday.due_rule.source) == 'holidays IT "MI"'
