"""The Accademia's seed (004) as engine tests, quoting each rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dsl.parser import parse_stamps
from server.engine import DayResult, MonthResult, Request, Stamp, evaluate_day, evaluate_month
from server.engine.day import evaluate_day_general
from server.policy.load import load_policy

MONDAY = date(2026, 3, 2)
MARCH_WORKING_DAYS = 22  # March 2026 in Macerata: no holiday on a weekday


def day(text: str, profile: str = "full_time", requests: tuple[Request, ...] = (),
        when: date = MONDAY) -> DayResult:
    stamps = [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(text)] if text else []
    return evaluate_day(load_policy("academy"), profile, when, stamps, requests)


# ---- service exits and the lunch pause ---------------------------------------------------


@pytest.mark.parametrize("general", [False, True])
def test_a_service_exit_counts_as_work_with_no_pause_assumed_inside_it(general: bool) -> None:
    """Seed 004 Art. 3: "Vanno altresì registrate le uscite dalla sede di lavoro per esigenze
    di servizio"; Vademecum "1 Uscita per servizio". The seed counts the time away on duty
    as work and says nothing of a pause inside it (that is the university's seed 002, "la
    pausa sarà decurtata dal giustificativo"), so the day counts as if never left."""
    evaluate = evaluate_day_general if general else evaluate_day
    stamps = [Stamp(s.minute, s.direction, s.code)
              for s in parse_stamps("in 08:00, out 11:00 code 1, in 12:00, out 15:12")]
    policy = load_policy("academy")
    away = evaluate(policy, "full_time", MONDAY, stamps, [Request("1", 660, 720)])
    stayed = day("in 08:00, out 15:12")
    assert away.worked == stayed.worked == 7 * 60 + 12
    assert away.pause_deducted == 0 and away.by_code == {"1": 60}
    assert away.anomalies == []


def test_the_university_keeps_its_pause_inside_a_service_span() -> None:
    """Seed 002: "la pausa sarà decurtata dal giustificativo": its rule file says so."""
    stamps = [Stamp(s.minute, s.direction, s.code)
              for s in parse_stamps("in 08:00, out 12:00 code 41, in 13:00, out 16:30")]
    result = evaluate_day(load_policy("university"), "full_time", MONDAY, stamps)
    assert result.pause_deducted == 30 and result.by_code == {"41": 60}
    assert any(e.rule == "inside_service deduct_min" for e in result.explanations())


# ---- EP staff: a monte ore over the month ------------------------------------------------------


def ep_month(minutes_a_day: int, through: date | None = None) -> MonthResult:
    stamps = {}
    for n in range(31):
        d = date(2026, 3, 1) + timedelta(days=n)
        if d.month == 3 and d.isoweekday() <= 5:
            stamps[d] = [Stamp(480, "in"), Stamp(480 + minutes_a_day, "out")]
    return evaluate_month(load_policy("academy"), "ep", 2026, 3, stamps, through=through)


def test_ep_staff_who_miss_the_monte_ore_show_the_shortfall_with_its_rule() -> None:
    """Seed 004 Art. 4: EP staff use the badge "al solo fine di comprovare la presenza in
    servizio e il raggiungimento del monte ore previsto da CCNL"; Art. 7: "36 ore
    settimanali". A month of 4-hour days is 88h worked against 22 × 7h12 = 158h24 owed."""
    result = ep_month(4 * 60)
    owed = MARCH_WORKING_DAYS * (36 * 60) // 5
    assert (result.worked, result.due, result.balance) == (88 * 60, owed, 88 * 60 - owed)
    assert result.negative_flex == owed - 88 * 60
    assert result.due_in_month == owed
    [flag] = result.flags
    assert flag.name == "monte_ore" and flag.count == owed - 88 * 60
    assert flag.source == "academy.rules:" + str(_line_of("monte_ore 36h per week over month"))
    assert "70h24 short" in flag.message
    steps = [(e.figure, e.detail) for e in result.explanations()]
    assert ("due", "monte ore of 36h00 a week over the month: 22 working days, 158h24 due"
            ) in steps
    assert any(figure == "balance" and "not reached" in text for figure, text in steps)
    # The summaries page says it in the reader's language (the seed's own words in Italian).
    from server.i18n.current import use_locale
    from server.web.wording import say
    with use_locale("it"):
        worded = [say(e) for e in result.explanations()] + [say(flag, "message")]
    assert "monte ore di 36h00 a settimana sul mese: 22 giorni lavorativi, 158h24 dovute" in worded
    assert "monte ore non raggiunto: 88h00 su 158h24 (mancano 70h24)" in worded


def test_ep_staff_have_no_daily_due_and_no_absent_days() -> None:
    """Seed 004 Art. 4: EP staff "organizza il proprio tempo di lavoro ... in modo
    flessibile": a day without stamps is no absence, only the month owes hours."""
    result = evaluate_month(load_policy("academy"), "ep", 2026, 3, {})
    assert result.anomalies == []
    assert all(d.due == 0 and d.unjustified == 0 for d in result.days)
    assert result.due == MARCH_WORKING_DAYS * 36 * 60 // 5 == -result.balance


def test_ep_staff_who_reach_the_monte_ore_have_nothing_to_recover() -> None:
    result = ep_month(7 * 60 + 12)  # not over 7h12 continuous: no pause deducted
    assert result.worked == result.due and result.balance == result.negative_flex == 0
    assert result.flags == []


def test_a_month_in_progress_owes_the_monte_ore_of_its_days_so_far() -> None:
    """Days after `through` have not happened: they owe nothing yet, and the month's full
    monte ore is shown apart in due_in_month; no shortfall is flagged before the end."""
    result = ep_month(4 * 60, through=date(2026, 3, 10))
    assert result.due == 7 * 36 * 60 // 5  # 2..6 and 9..10 March
    assert result.due_in_month == MARCH_WORKING_DAYS * 36 * 60 // 5
    assert result.flags == []


def test_other_profiles_keep_their_daily_due() -> None:
    result = evaluate_month(load_policy("academy"), "full_time", 2026, 3, {})
    assert result.due == MARCH_WORKING_DAYS * (7 * 60 + 12)
    assert not any(e.rule.startswith("monte_ore") for e in result.explanations())


def _line_of(text: str) -> int:
    policy = load_policy("academy")
    return next(n for n, line in enumerate(policy.lines, start=1) if line.strip() == text)
