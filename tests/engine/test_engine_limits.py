"""Limits, authorisations and pause exceptions in the engine: the figures a person checks and
the rule (`file:line`) that explains each, on the general and the fast path alike."""

from __future__ import annotations

from datetime import date

from dsl.parser import parse, parse_stamps
from server.engine import DayResult, MonthResult, Request, Stamp, evaluate_day, evaluate_month
from server.engine.day import evaluate_day_general
from server.engine.month import Opening
from server.policy.compile import compile_policy
from server.policy.load import load_policy
from server.policy.model import Policy

MONDAY = date(2026, 3, 2)

RULES = '''institution t { name "T" timezone "Europe/Rome" holidays IT }
rules from 2026-01-01 {
    profile full_time { due 7h12m }
    profile part_time { due 6h  pause { from 6h  min 10m  band 11:30..14:00 } }
    code "CB" { label "Pausa caffè"  max 20m per day }
    code "SRV" { kind service  max 1h per day  max 2h per month }
    code "STRP" { kind overtime_paid  max 3h per month  not_for part_time }
    code "STRR" { kind overtime_banked }
    code "SP" { kind pause_waiver  approval manager }
    pause { after 6h  min 30m  deduct_unstamped 30m  skipped_with code "SP" }
    meal_voucher { min_worked 6h  requires regular_pause }
    overtime { max 4h per month  max 10h per year }
}
'''


def policy() -> Policy:
    return compile_policy(parse(RULES, "t.rules"))


def stamps(text: str) -> list[Stamp]:
    return [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(text)]


def day(p: Policy, text: str, requests: tuple[Request, ...] = (), profile: str = "full_time",
        on: date = MONDAY) -> DayResult:
    """The day on both paths, which must agree."""
    fast = evaluate_day(p, profile, on, stamps(text), requests)
    general = evaluate_day_general(p, profile, on, stamps(text), requests)
    assert fast.to_json() == general.to_json()
    return general


def steps(result: DayResult) -> list[tuple[str, str, str]]:
    return [(e.source, e.figure, e.detail) for e in result.explanations()]


def test_minutes_over_a_codes_day_limit_are_not_credited() -> None:
    """A 20-minute coffee break a day: 30 minutes taken, 10 are not justified."""
    result = day(policy(), "in 08:00, out 10:00 code CB, in 10:30, out 15:12")
    assert (result.by_code, result.credited, result.over_cap) == ({"CB": 30}, 20, {"CB": 10})
    assert result.worked == 6 * 60 + 42 - 30 and result.balance == -40
    assert ("t.rules:5", "credited", "code CB over its limit of 0h20 a day: 0h10 not counted"
            ) in steps(result)


def test_service_over_its_day_limit_is_not_worked() -> None:
    result = day(policy(), "in 08:00, out 09:00 code SRV, in 10:30, out 14:00")
    assert result.worked == 60 + 210 + 60 and result.over_cap == {"SRV": 30}
    assert ("t.rules:6", "worked", "code SRV over its limit of 1h00 a day: 0h30 not counted"
            ) in steps(result)


def test_a_code_not_for_the_profile_credits_nothing_and_says_why() -> None:
    result = day(policy(), "in 08:00, out 15:00 code STRP", profile="part_time")
    assert result.overtime_paid == 0 and result.by_code == {}
    assert [a.code for a in result.anomalies] == ["code_not_for_profile"]
    assert result.anomalies[0].message == "code STRP is not for part_time"
    full = day(policy(), "in 08:00, out 16:12 code STRP")
    assert full.overtime_paid == 60 and full.anomalies == []


def test_a_skipped_pause_approved_is_given_back_and_keeps_the_voucher() -> None:
    skipped = day(policy(), "in 08:00, out 15:12")
    assert (skipped.pause_deducted, skipped.worked, skipped.meal_voucher) == (30, 402, False)
    approved = day(policy(), "in 08:00, out 15:12", (Request("SP"),))
    assert (approved.pause_deducted, approved.worked, approved.balance) == (0, 432, 0)
    assert approved.meal_voucher and approved.credited == 0 and approved.by_code == {}
    assert ("t.rules:10", "pause_deducted", "pause skipped, approved by code SP: 0h30 not "
            "deducted") in steps(approved)
    assert not any(d.startswith("no pause stamped") for _, _, d in steps(approved))


def test_a_pause_worked_and_approved_counts_as_overtime() -> None:
    """Seed 004 art. 5 c. 3: «È fatto salvo il riconoscimento quale prestazione straordinaria,
    a seguito di autorizzazione del Direttore amministrativo»."""
    academy = load_policy("academy")
    text = "in 07:30, out 15:42"
    plain = day(academy, text)
    approved = day(academy, text, (Request("PS"),))
    assert (plain.pause_deducted, plain.worked, plain.overtime_paid) == (30, 462, 0)
    assert (approved.pause_deducted, approved.worked, approved.overtime_paid) == (30, 462, 30)
    assert approved.by_code == {"PS": 30} and approved.anomalies == []
    assert ("academy.rules:233", "by_code",
            "PS Pausa lavorata, riconosciuta come straordinario (codice timbra): pause worked, "
            "approved: 0h30 counted as overtime") in steps(approved)


def test_a_coadiutores_exit_on_code_1_needs_no_approval() -> None:
    """Seed 004 art. 3: «eccetto quelle disposte per l'affidamento di incarichi rientranti
    nelle mansioni del personale coadiutore»."""
    academy = load_policy("academy")
    text = "in 07:30, out 10:00 code 1, in 11:00, out 15:12"
    assert day(academy, text, profile="coadiutore").anomalies == []
    assert [a.code for a in day(academy, text, profile="assistente").anomalies] == [
        "needs_approval"]


def test_work_beyond_the_due_without_authorisation_is_not_credited() -> None:
    """Seed 003: «In nessun caso è possibile il prolungamento/anticipazione dell'orario senza
    preventiva autorizzazione»."""
    school = load_policy("school")
    text = "in 07:30, out 13:00, in 13:30, out 16:12"
    plain = day(school, text)
    assert (plain.worked, plain.balance) == (432, 0)
    assert ("school.rules:262", "worked", "1h00 beyond the due without an approved overtime "
            "request: not credited") in steps(plain)
    authorised = day(school, text, (Request("STRR"),))
    assert (authorised.worked, authorised.balance, authorised.credited) == (492, 60, 0)
    assert authorised.overtime_banked == 0  # the request authorises; only a coded stamp sets apart
    short = day(school, "in 07:30, out 14:42")
    assert (short.worked, short.balance) == (432, 0)  # nothing beyond: nothing taken


def test_a_pause_is_due_from_six_hours_of_work_not_only_over_them() -> None:
    """Seed 002: «Dopo un periodo di lavoro pari alle 6 ore si matura il diritto alla pausa
    pranzo»."""
    university = load_policy("university")
    six = day(university, "in 08:00, out 14:00")
    assert (six.pause_deducted, six.worked) == (135, 225)
    assert six.explanations()[1].source == "university.rules:560"
    less = day(university, "in 08:00, out 13:55")
    assert (less.pause_deducted, less.worked) == (0, 355)
    # the academy's pause is due "qualora l'orario ... ecceda il limite delle 6 ore": over 6h
    assert day(load_policy("academy"), "in 07:30, out 13:30").pause_deducted == 0


def test_a_band_without_a_last_exit_takes_a_pause_begun_anywhere_in_it() -> None:
    result = day(policy(), "in 08:00, out 13:50, in 14:00, out 14:30", profile="part_time")
    assert result.pause_deducted == 0 and result.regular_pause and result.anomalies == []


def test_a_whole_day_overtime_authorisation_credits_no_time() -> None:
    result = day(policy(), "in 08:00, out 15:42", (Request("STRR"),))
    assert (result.credited, result.by_code, result.balance) == (0, {}, 0)


def month(p: Policy, days: dict[date, str], opening: Opening | None = None) -> MonthResult:
    return evaluate_month(p, "full_time", 2026, 3, {d: stamps(t) for d, t in days.items()},
                          opening=opening)


def test_a_codes_month_limit_takes_what_lies_beyond_it() -> None:
    p = policy()
    service = "in 08:00, out 09:00 code SRV, in 10:00, out 15:42"
    result = month(p, {date(2026, 3, d): service for d in (2, 3, 4)})
    assert result.by_code == {"SRV": 180} and result.over_cap == {"SRV": 60}
    flag = next(f for f in result.flags if f.name == "SRV_over_limit")
    assert (flag.count, flag.over, flag.source) == (60, 120, "t.rules:6")
    assert flag.message == "code SRV: 3h00 this month, over the limit of 2h00: 1h00 not counted"
    whole = month(p, {date(2026, 3, d): service for d in (2, 3)})
    assert result.worked == whole.worked + sum(
        d.worked for d in result.days if d.day == date(2026, 3, 4)) - 60


def test_overtime_over_the_months_and_the_years_limits_is_not_paid() -> None:
    """The paid hours go first: «nel limite delle risorse che finanziano il lavoro
    straordinario» (seed 003)."""
    p = policy()
    long_day = "in 08:00, out 13:00, in 13:30, out 16:42 code STRP"  # 1h paid
    banked = "in 08:00, out 13:00, in 13:30, out 16:42 code STRR"  # 1h banked
    days = {date(2026, 3, 2): long_day, date(2026, 3, 3): long_day, date(2026, 3, 4): long_day,
            date(2026, 3, 5): banked, date(2026, 3, 6): banked}
    result = month(p, days)
    assert (result.overtime_paid, result.overtime_banked) == (2 * 60, 2 * 60)
    assert result.over_cap == {"overtime": 60}
    assert [f.source for f in result.flags] == ["t.rules:12"]
    # 9 hours already this year: one more is all the year allows
    later = month(p, days, Opening(overtime_used=9 * 60))
    assert (later.overtime_paid, later.overtime_banked) == (0, 60)
    assert later.flags[0].message == ("overtime: 14h00 this year, over the limit of 10h00: "
                                      "4h00 not counted")


def test_a_codes_year_limit_counts_the_earlier_months() -> None:
    p = compile_policy(parse(RULES.replace('max 3h per month  not_for', 'max 2h per year  not_for'),
                             "t.rules"))
    long_day = "in 08:00, out 13:00, in 13:30, out 16:42 code STRP"
    result = month(p, {date(2026, 3, 2): long_day}, Opening(code_used={"STRP": 90}))
    assert (result.overtime_paid, result.over_cap) == (30, {"STRP": 30})


def test_shift_workers_owe_no_pause_and_keep_their_voucher() -> None:
    """Issue 11: «no pause for shift workers without losing their vouchers»."""
    p = compile_policy(parse(RULES.replace(
        "    profile full_time { due 7h12m }",
        "    profile full_time { due 7h12m }\n    profile shift { due 7h12m  pause none }"),
        "t.rules"))
    office = day(p, "in 07:00, out 14:12")
    shift = day(p, "in 07:00, out 14:12", profile="shift")
    assert (office.pause_deducted, office.meal_voucher) == (30, False)
    assert (shift.pause_deducted, shift.worked, shift.meal_voucher) == (0, 432, True)


def test_a_code_draws_on_its_second_allowance_once_the_first_is_used_up() -> None:
    """Seed 002: «la possibilità di accumulare ulteriori 72 ore oltre le 36 ore per esigenze
    personali»: written as one code drawing on two allowances in order."""
    p = compile_policy(parse(RULES.replace(
        '    code "CB" { label "Pausa caffè"  max 20m per day }',
        '    code "CB" { label "Pausa caffè"  max 20m per day }\n'
        "    allowance personal { amount 36h per year }\n"
        "    allowance extra { amount 72h per year }\n"
        '    code "EP" { allowance personal then extra }'), "t.rules"))
    text = "in 08:00, out 10:00 code EP, in 12:00, out 15:12"  # 2h of EP
    days = {date(2026, 3, d): text for d in (2, 3)}
    result = month(p, days, Opening(allowance_used={"personal": 35 * 60}))
    left = {a.name: (a.used_before, a.used, a.left) for a in result.allowances}
    assert left == {"personal": (35 * 60, 60, 0), "extra": (0, 3 * 60, 69 * 60)}
    step = next(e for e in result.explanations() if e.figure == "allowances")
    assert (step.source, step.detail) == ("t.rules:8", "code EP: 3h00 beyond personal drawn "
                                          "on extra")


def test_a_limit_s_flag_is_worded_in_the_reader_s_language() -> None:
    """Flags are message ids with their figures, like anomalies: the summaries page and the
    PDF say "oltre il limite" in Italian and "over the limit" in English."""
    from server.i18n.current import use_locale
    from server.web.wording import say

    p = policy()
    service = "in 08:00, out 09:00 code SRV, in 10:00, out 15:42"
    result = month(p, {date(2026, 3, d): service for d in (2, 3, 4)})
    flag = next(f for f in result.flags if f.name == "SRV_over_limit")
    assert flag.to_json()["args"] == ["SRV", 180, "this month", 120, 60]
    with use_locale("it"):
        assert say(flag, "message") == ("codice SRV: 3h00 nel mese, oltre il limite di 2h00: "
                                         "1h00 non conteggiate")
    with use_locale("en"):
        assert say(flag, "message") == flag.message
