"""The university's seeds (001 older, 002 newer) as engine tests, quoting each rule."""

from __future__ import annotations

from datetime import date

import pytest

from dsl.parser import parse_stamps
from server.engine import Request, Stamp, evaluate_day
from server.engine.inputs import Schedule
from server.engine.results import DayResult
from server.policy.load import load_policy

SEED_001_DAY = date(2020, 3, 2)  # a Monday under the older rules (seed 001)
SEED_002_DAY = date(2026, 3, 2)  # a Monday under the newer rules (seed 002)


# Returns on Tuesday and Thursday: Monday, SEED_002_DAY, is one of the 6-hour days.
RETURNS = Schedule("full_time_returns", frozenset({2, 4}))


def day(text: str, when: date = SEED_002_DAY, profile: str | Schedule = "full_time",
        requests: tuple[Request, ...] = ()) -> DayResult:
    stamps = [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(text)]
    return evaluate_day(load_policy("university"), profile, when, stamps, requests)


def anomalies(result: DayResult) -> list[str]:
    return [a.code for a in result.anomalies]


@pytest.mark.parametrize("when", [SEED_001_DAY, SEED_002_DAY])
def test_short_day_needs_no_code(when: date) -> None:
    """001: "orario 8/9-16 ==> E09:00 – U12:00 – E12:45 - U16:30, in questo caso il codice non
    deve essere inserito anche se non sono state svolte le 7 ore e 15 previste dall'orario"."""
    result = day("in 09:00, out 12:00, in 12:45, out 16:30", when)
    assert (result.worked, result.due, result.balance) == (405, 435, -30)
    assert result.unjustified == 0 and result.negative_flex == 30
    assert anomalies(result) == []


def test_service_code_closes_the_day_at_the_last_scheduled_stamp() -> None:
    """001: "E09:00 – U12:00 – E12:45 – U15:00 cod. 41 (commissioni), in questo caso le ore
    svolte ... risulterebbero, dall'elaborazione, 6,15"."""
    result = day("in 09:00, out 12:00, in 12:45, out 15:00 code 41", SEED_001_DAY)
    assert result.worked == 6 * 60 + 15
    assert result.by_code == {"41": 60}
    assert any(e.source == "university.rules:42" for e in result.explanations())


def test_code_41_changed_meaning_between_versions() -> None:
    """41 is "commissioni" in seed 001 and "consigliera di fiducia" in seed 002."""
    policy = load_policy("university")
    assert policy.version_on(SEED_001_DAY).codes["41"].label.value == "Commissioni"  # type: ignore[union-attr]
    assert policy.version_on(SEED_002_DAY).codes["41"].label.value == "Consigliera di fiducia"  # type: ignore[union-attr]


def test_personal_permission_on_the_exit() -> None:
    """001: "deve essere causalizzata la timbratura di uscita, così: U10:00 cod. 29 – E11:00"."""
    result = day("in 08:00, out 10:00 code 29, in 11:00, out 12:30, in 13:15, out 17:00",
                 requests=(Request("29", 600, 660),))
    assert result.by_code == {"29": 60}
    assert result.to_recover == 60  # art. 100 CCNL: "da recuperare entro il mese successivo"
    assert result.credited == 0


def test_uncoded_late_entry_is_unjustified() -> None:
    """001: "Entrate in ritardo o uscite anticipate non causalizzate ... sono considerate
    assenze ingiustificate"."""
    result = day("in 09:30, out 12:00, in 12:45, out 17:30")
    assert result.unjustified == 30


@pytest.mark.parametrize(("raw", "rounded"), [("08:03", "08:05"), ("08:02", "08:00")])
def test_rounding_to_five_minutes(raw: str, rounded: str) -> None:
    """002: "La timbratura è arrotondata ai 5 minuti, es. 08:03 è arrotondato a 08:05"."""
    result = day(f"in {raw}, out 12:00, in 12:45, out 16:30")
    first = result.stamps[0]
    assert f"{first[1] // 60:02d}:{first[1] % 60:02d}" == rounded


def test_unstamped_pause_deducts_the_band_full_time() -> None:
    """002: "La mancata timbratura ... comporterà la decurtazione dell'intera fascia di
    flessibilità della pausa pranzo (2 ore e 15 minuti full time – 2 ore part time)"."""
    result = day("in 08:00, out 16:00")
    assert result.pause_deducted == 135
    assert result.worked == 8 * 60 - 135
    assert result.meal_voucher is False


def test_unstamped_pause_deducts_two_hours_part_time() -> None:
    result = day("in 08:00, out 14:30", profile="part_time_6h")
    assert result.pause_deducted == 120


def test_pause_in_band_earns_the_meal_voucher() -> None:
    """002: "tra le 11.45 e le 14.30, ultima uscita ore 14.00"; "La regolare timbratura
    permette la maturazione del buono pasto"."""
    result = day("in 08:00, out 13:55, in 14:25, out 16:00")
    assert result.meal_voucher is True and anomalies(result) == []


def test_pause_after_last_exit_is_an_anomaly_until_code_49() -> None:
    """002: pause outside the band: "caricare successivamente ... il giustificativo N. 49"."""
    stamps = "in 08:00, out 14:45, in 15:30, out 17:00"
    assert anomalies(day(stamps)) == ["pause_outside_band"]
    fixed = day(stamps, requests=(Request("49", 14 * 60 + 45, 15 * 60 + 30),))
    assert anomalies(fixed) == [] and fixed.meal_voucher is True


def test_short_pause_is_brought_to_the_minimum() -> None:
    """002: "Per orari ... superiori alle 6 ore va da un minimo di 30 minuti"."""
    result = day("in 08:00, out 12:30, in 12:50, out 16:30")
    assert result.pause_deducted == 10


@pytest.mark.parametrize(
    ("profile", "stamps", "regular"),
    [
        (RETURNS, "in 08:00, out 13:40, in 14:10, out 14:40", True),  # mattino, 13:45
        (RETURNS, "in 08:00, out 13:50, in 14:20, out 14:40", True),  # pomeriggio band
        (RETURNS, "in 08:00, out 15:05, in 15:35, out 16:00", False),  # after 15:00
        ("part_time_6h", "in 08:00, out 13:35, in 13:50, out 14:40", True),  # mattino, 13:35
        ("part_time_6h", "in 08:00, out 15:05, in 15:15, out 15:40", True),  # pomeriggio, 15:05
        ("part_time_6h", "in 08:00, out 15:10, in 15:15, out 15:40", False),  # after 15:05
    ],
)
def test_six_hour_bands(profile: str | Schedule, stamps: str, regular: bool) -> None:
    """002: the morning and afternoon bands of 6-hour schedules with their last exits."""
    result = day(stamps, profile=profile)
    assert result.regular_pause is regular
    assert ("pause_outside_band" in anomalies(result)) is (not regular)


def test_full_time_with_returns_owes_36_hours_a_week() -> None:
    """002:l.83 «minimo 30 minuti per i full time (orari con i rientri)»: a full time of 36
    hours, three days of 6 hours and two returns, the days the employee's record names."""
    policy = load_policy("university")
    week = [evaluate_day(policy, RETURNS, date(2026, 3, d), []) for d in range(2, 7)]
    assert [d.due for d in week] == [360, 540, 360, 540, 360]
    assert sum(d.due for d in week) == 36 * 60
    missing = evaluate_day(policy, "full_time_returns", date(2026, 3, 3), [])
    assert "schedule_missing" in [a.code for a in missing.anomalies]


def test_a_return_day_takes_the_band_of_schedules_over_six_hours() -> None:
    """002:l.87 «per orari superiori alle 6 ore: tra le 11.45 e le 14.30, ultima uscita ore
    14.00»; 002:l.90, for the 6-hour days, «al pomeriggio: tra le 13.15 e le 15.30, ultima
    uscita ore 15.00»: a pause from 14:10 is regular on a 6-hour day, not on a return."""
    stamps = "in 08:00, out 14:10, in 14:40, out 17:30"
    ordinary = day(stamps, date(2026, 3, 2), RETURNS)
    ret = day(stamps, date(2026, 3, 3), RETURNS)
    assert (ordinary.due, ordinary.regular_pause, anomalies(ordinary)) == (360, True, [])
    assert (ret.due, anomalies(ret)) == (540, ["pause_outside_band"])


def test_a_rearranged_week_spreads_36_hours_over_five_of_six_days() -> None:
    """002:l.153 «su 6 giorni settimanali possono recuperare la giornata di sospensione ...
    rimodulando l'orario sui restanti giorni della settimana»."""
    policy = load_policy("university")
    usual = [evaluate_day(policy, "six_days", date(2026, 3, d), []).due for d in range(2, 8)]
    moved = Schedule("six_days_rearranged", frozenset({1, 2, 3, 4, 6}))
    week = [evaluate_day(policy, moved, date(2026, 3, d), []).due for d in range(2, 8)]
    assert usual == [360] * 6 and week == [432, 432, 432, 432, 0, 432]
    assert sum(usual) == sum(week) == 36 * 60


def test_holiday_of_the_patron_saint_is_not_due() -> None:
    """Sant'Ambrogio, 7 December, is a holiday in Milan."""
    result = day("in 08:00, out 12:00", date(2026, 12, 7))
    assert result.due == 0 and result.balance == 240
