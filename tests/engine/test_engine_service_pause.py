"""Time out on service is work: it joins the day's stretches for the pause rules, unless
the rule file takes the pause out of the service span (`inside_service`, seed 002)."""

from __future__ import annotations

from datetime import date

from server.cli.evaluate import parse_stamps
from server.engine import evaluate_day
from server.engine.day import evaluate_day_general
from server.policy.load import load_policy

MONDAY = date(2026, 3, 2)


def day(institution: str, text: str) -> tuple[int, int]:
    policy = load_policy(institution)
    result = evaluate_day(policy, "full_time", MONDAY, parse_stamps(text))
    general = evaluate_day_general(policy, "full_time", MONDAY, parse_stamps(text))
    assert result.to_json() == general.to_json()
    return result.worked, result.pause_deducted


def test_a_service_trip_does_not_break_the_schools_continuous_hours() -> None:
    """Seed 003: "I codici uscita per servizio ed entrata per servizio (cod. PERL) devono
    essere utilizzati qualora il dipendente si assenti dalla propria sede e sia ancora in
    servizio"; "Se l'orario continuativo sia superiore a 7 ore e 12 minuti ... Qualora il
    dipendente non abbia provveduto alla timbratura relative alla pausa pranzo, si provvederà
    d'ufficio a trattenere la mezz'ora"."""
    # 8h30 - 30m = 8h, of which 48m beyond the due are not credited without authorisation
    # ("In nessun caso è possibile il prolungamento ... dell'orario senza preventiva
    # autorizzazione"): worked 7h12
    assert day("school", "in 08:00, out 16:30") == (432, 30)
    assert day("school", "in 08:00, out 11:00 code PERL, in 12:00, out 16:30") == (432, 30)
    # An uncoded hour out is a pause taken: nothing deducted (7h30, 18m beyond the due
    # not credited).
    assert day("school", "in 08:00, out 11:00, in 12:00, out 16:30") == (432, 0)


def test_the_academy_counts_service_as_work_and_assumes_no_pause_inside_it() -> None:
    """Seed 004: code 1 "Uscita per servizio"; "se l'orario continuativo giornaliero è
    superiore a 7 ore e 12 minuti": 7h12 with a service hour is not over it."""
    assert day("academy", "in 08:00, out 11:00 code 1, in 12:00, out 15:12") == (432, 0)
    assert day("academy", "in 08:00, out 15:12") == (432, 0)
    assert day("academy", "in 08:00, out 11:00 code 1, in 12:00, out 16:00") == (450, 30)
