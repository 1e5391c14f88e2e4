"""Anomalies a person must fix: raised where they occur, each with one kind of deadline."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from dsl.parser import parse_stamps
from server.engine import DayResult, Request, Stamp, evaluate_day, evaluate_month
from server.engine.context import context_for
from server.engine.day import evaluate_day_general
from server.policy.load import load_policy

MONDAY = date(2026, 3, 2)


def day(institution: str, text: str, when: date = MONDAY, profile: str = "full_time",
        requests: tuple[Request, ...] = ()) -> DayResult:
    stamps = [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(text)] if text else []
    return evaluate_day(load_policy(institution), profile, when, stamps, requests)


def codes(result: DayResult) -> list[str]:
    return [a.code for a in result.anomalies]


# ---- unknown_code ---------------------------------------------------------------------


@pytest.mark.parametrize(("institution", "stamps", "code"), [
    # Seed 004: "premere il codice d'interesse sul tastierino numerico del rilevatore
    # (es.: 1, 2, 3, etc)": the Vademecum lists codes 1 to 9, so 10 is not one.
    ("academy", "in 08:00 code 10, out 15:12", "10"),
    ("academy", "in 08:00, out 12:00, in 12:30, out 15:42 code 10", "10"),
    # Seed 002 lists the university's codes; 99 is none of them.
    ("university", "in 08:00, out 12:00, in 12:45, out 16:30 code 99", "99"),
    ("university", "in 08:00 code 99, out 12:00, in 12:45, out 16:30", "99"),
    ("university", "in 08:00, out 12:00 code 99, in 12:45, out 16:30", "99"),
    ("school", "in 07:30, out 14:42 code ZZ", "ZZ"),
    ("chamber", "in 08:00 code ZZ, out 14:00", "ZZ"),
])
def test_an_undefined_code_is_an_anomaly_wherever_it_is_typed(
    institution: str, stamps: str, code: str,
) -> None:
    result = day(institution, stamps)
    unknown = [a for a in result.anomalies if a.code == "unknown_code"]
    assert len(unknown) == 1 and f"code {code} " in unknown[0].message
    # The fast path declines the day: the general path, which raises it, answers.
    policy = load_policy(institution)
    parsed = [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(stamps)]
    assert context_for(policy, "full_time", MONDAY).fast(parsed) is None
    assert result.anomalies == evaluate_day_general(policy, "full_time", MONDAY,
                                                    parsed).anomalies


def test_an_undefined_code_is_reported_once_a_day() -> None:
    result = day("university", "in 08:00 code 99, out 12:00 code 99, in 12:45, out 16:30 code 99")
    assert codes(result).count("unknown_code") == 1


@pytest.mark.parametrize("request_", [Request("99"), Request("99", 600, 660)])
def test_an_approved_request_with_an_undefined_code_is_an_anomaly(request_: Request) -> None:
    result = day("university", "in 08:00, out 12:00, in 12:45, out 16:30", requests=(request_,))
    assert "unknown_code" in codes(result)


def test_a_defined_code_raises_no_unknown_code() -> None:
    """Seed 004: "1 Uscita per servizio"."""
    result = day("academy", "in 08:00, out 11:00 code 1, in 12:00, out 15:12",
                 requests=(Request("1", 660, 720),))
    assert codes(result) == []


# ---- one entry stamp -------------------------------------------------------------------


@pytest.mark.parametrize(("institution", "stamps"), [
    ("university", "in 08:00"),
    ("school", "in 07:30"),
    ("academy", "in 08:00"),
    ("university", "out 16:30"),
])
def test_a_lone_stamp_is_a_stamp_to_fix_not_an_absence(institution: str, stamps: str) -> None:
    """Seed 003: "Il dipendente dovra provvedere nella stessa giornata o al massimo entro la
    giornata successiva all'autocertificazione degli orari di ingresso e/o uscita": the
    employee declares the missing stamp; until then the day is not counted as an absence."""
    result = day(institution, stamps)
    assert codes(result) in (["unpaired_stamps"], ["not_alternating"])
    assert result.unjustified == 0
    assert "absent" not in codes(result)


def test_a_day_without_any_stamp_is_still_absent() -> None:
    result = day("university", "")
    assert codes(result) == ["absent"]
    assert result.unjustified == result.due == 7 * 60 + 15


# ---- fix_by -------------------------------------------------------------------------------


def test_a_missed_stamp_is_to_fix_by_0830_of_the_next_day() -> None:
    """Seed 003: "Da inviare entro le ore 08.30 del giorno successivo"."""
    [anomaly] = day("school", "in 07:30").anomalies
    assert anomaly.fix_by == datetime(2026, 3, 3, 8, 30)
    assert anomaly.to_json()["fix_by"] == "2026-03-03T08:30"


def test_a_deadline_on_a_day_means_the_end_of_that_day() -> None:
    """Seed 002: "entro e non oltre il giorno 3 del mese successivo a quello in corso"."""
    [anomaly] = day("university", "in 08:00").anomalies
    assert anomaly.to_json()["fix_by"] == "2026-04-03T23:59"


def test_without_a_deadline_in_the_rules_an_anomaly_is_due_by_the_end_of_its_month() -> None:
    # Seed 004 gives no deadline for anomalies: the month cannot be closed with them.
    [anomaly] = day("academy", "in 08:00").anomalies
    assert anomaly.to_json()["fix_by"] == "2026-03-31T23:59"


@pytest.mark.parametrize("institution", ["university", "school", "academy", "chamber"])
def test_every_anomaly_of_a_month_has_a_fix_by_in_one_format(institution: str) -> None:
    stamps = {
        date(2026, 3, 2): [Stamp(480, "in")],
        date(2026, 3, 3): [Stamp(480, "in", "ZZ"), Stamp(900, "out")],
        date(2026, 3, 4): [Stamp(900, "out"), Stamp(960, "out")],
        date(2026, 3, 5): [Stamp(480, "in"), Stamp(600, "out"), Stamp(620, "in"),
                           Stamp(1000, "out")],
    }
    result = evaluate_month(load_policy(institution), "full_time", 2026, 3, stamps)
    anomalies = [a.to_json() for a in result.anomalies]
    assert len(anomalies) > 4  # the four days above, and the absent days of the month
    for anomaly in anomalies:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", anomaly["fix_by"]), anomaly
        assert anomaly["fix_by"][:10] >= anomaly["date"]
