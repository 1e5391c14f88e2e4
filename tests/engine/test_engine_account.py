"""The hours account carried month to month (server/engine/account.py), with the seeds'
rules as their institutions' files write them."""

from __future__ import annotations

from datetime import date

import dsl
from server.engine import Stamp, evaluate_month
from server.engine.account import (
    AccountState,
    Correction,
    Debt,
    carry_month,
    day_of_leave,
    month_adjustment,
    running_balance,
)
from server.engine.notes import worded
from server.engine.results import AllowanceBalance, MonthResult
from server.policy.compile import compile_policy
from server.policy.load import load_policy


def month(year: int, number: int, balance: int, *allowances: AllowanceBalance) -> MonthResult:
    return MonthResult(year=year, month=number, profile="full_time", days=[],
                       balance=balance, allowances=list(allowances))


def kinds(account: object) -> list[tuple[str, int, int]]:
    return [(m.kind, m.minutes, m.effect) for m in account.movements]  # type: ignore[attr-defined]


def test_university_negative_flex_is_compensated_by_a_positive_account() -> None:
    """Seed 002: «Tale flessibilità negativa deve essere recuperata, ovvero è automaticamente
    compensata, in caso di conto ore individuale positivo»."""
    university = load_policy("university")
    account = carry_month(university, "full_time", AccountState(180), month(2026, 2, -60))
    assert kinds(account) == [("month", 60, -60), ("compensate", 60, 0)]
    assert account.closing == AccountState(120)
    step = account.movements[1].explain
    assert step.rule == "compensate automatic"
    assert step.source.startswith("university.rules:")
    assert step.detail == "1h00 of debt compensated by the credit in the account"


def test_university_debt_not_recovered_by_the_next_month_is_deducted() -> None:
    """Seed 002: «La flessibilità negativa deve essere recuperata entro il mese successivo, in
    caso di mancato recupero si determina la proporzionale decurtazione della retribuzione»."""
    university = load_policy("university")
    february = carry_month(university, "full_time", AccountState(), month(2026, 2, -120))
    assert february.closing.balance == -120
    assert [d.due for d in february.closing.debts] == [date(2026, 3, 31)]
    march = carry_month(university, "full_time", february.closing, month(2026, 3, 30))
    assert kinds(march) == [("month", 30, 30), ("recover", 30, 0), ("deduct", 90, 90)]
    assert march.opening.balance + sum(m.effect for m in march.movements) == 0
    assert march.closing == AccountState()
    deduct = march.movements[-1].explain
    assert deduct.rule == "not_recovered deduct"
    # The figures stay data; the words say the month and the day as people do.
    assert deduct.args == (90, "2026-02", "2026-03-31")
    assert deduct.detail == ("1h30 of the debt of February 2026 not recovered by 31 March 2026: "
                             "deducted from pay")


def test_a_permit_to_recover_keeps_its_allowances_date() -> None:
    """Seed 002, permessi per esigenze personali: «da recuperare entro il mese successivo»;
    the extra 72 hours «da recuperare entro l'anno»: each part of the debt its own date."""
    university = load_policy("university")
    extra = AllowanceBalance("extra_personal_needs", "", 4320, 0, 60, date(2026, 12, 31),
                             "university.rules:437")
    account = carry_month(university, "full_time", AccountState(), month(2026, 2, -100, extra))
    assert [(d.minutes, d.due, d.source) for d in account.closing.debts] == [
        (60, date(2026, 12, 31), "university.rules:437"), (40, date(2026, 3, 31),
                                                           account.closing.debts[1].source)]
    march = carry_month(university, "full_time", account.closing, month(2026, 3, 0))
    assert [(d.minutes, d.due) for d in march.closing.debts] == [(60, date(2026, 12, 31))]
    assert march.total("deduct") == 40


def test_school_debt_not_recovered_in_two_months_uses_days_of_ferie() -> None:
    """Seed 003: «Il mancato recupero del debito orario, entro i due mesi successivi a quello in
    cui si é verificato, comporterà la corrispondente decurtazione della retribuzione ... o a
    scelta del dipendente la compensazione con giorni di ferie»."""
    school = load_policy("school")
    january = carry_month(school, "full_time", AccountState(), month(2026, 1, -72))
    assert [d.due for d in january.closing.debts] == [date(2026, 3, 31)]
    february = carry_month(school, "full_time", january.closing, month(2026, 2, 0))
    assert kinds(february) == [("month", 0, 0)]
    march = carry_month(school, "full_time", february.closing, month(2026, 3, 12))
    assert kinds(march) == [("month", 12, 12), ("recover", 12, 0), ("leave", 60, 60)]
    assert march.closing == AccountState()  # the debt left the account
    used = march.movements[-1]
    assert used.leave == "ferie"
    assert used.explain.rule == "not_recovered use leave ferie"
    assert used.explain.source.startswith("school.rules:")
    # The hours become days of the profile's day (`due 7h12m`): a started half day counts
    # whole, so 1h00 is never compensated by less leave than it is.
    day = day_of_leave(school, "full_time", date(2026, 3, 31))
    profile = school.version_on(date(2026, 3, 31)).profiles["full_time"]
    assert profile.due is not None and day == profile.due.value
    assert used.halves * day / 2 >= 60 > (used.halves - 1) * day / 2
    assert used.to_json()["leave_days"] == used.halves / 2
    # Half a day of ferie reads as half a day, in either language (gettext's plural forms).
    assert used.halves == 1 and "compensated with ½ day of ferie" in used.explain.detail
    assert "compensate con ½ giorno di ferie" in worded(used.explain.message_id,
                                                         used.explain.args, "it")


def test_a_debt_of_several_days_draws_as_many_days_of_leave() -> None:
    """Seed 003: «la compensazione con giorni di ferie»: 16h of debt in a 7h12m day."""
    school = load_policy("school")
    opening = AccountState(0, (Debt(960, date(2026, 1, 1), date(2026, 3, 31), "x:1"),))
    march = carry_month(school, "full_time", opening, month(2026, 3, 0))
    day = day_of_leave(school, "full_time", date(2026, 3, 31))
    assert day is not None
    used = march.movements[-1]
    assert used.kind == "leave" and used.effect == 960
    assert (used.halves - 1) * day / 2 < 960 <= used.halves * day / 2


def test_a_half_time_day_of_debt_draws_one_day_of_ferie_not_half() -> None:
    """Seed 003: «Il mancato recupero del debito orario, entro i due mesi successivi a quello in
    cui si é verificato, comporterà ... o a scelta del dipendente la compensazione con giorni di
    ferie». At 50% on the full-time profile her day owes half its due (3h36 of 7h12m), so a
    whole day missed and not recovered is a whole day of ferie."""
    school = load_policy("school")
    on = date(2026, 3, 31)
    full = day_of_leave(school, "full_time", on)
    assert full is not None
    her_day = day_of_leave(school, "full_time", on, part_time=50)
    assert her_day == round(full * 50 / 100)
    opening = AccountState(0, (Debt(her_day, date(2026, 1, 1), on, "x:1"),))
    march = carry_month(school, "full_time", opening, month(2026, 3, 0), part_time=50)
    used = march.movements[-1]
    assert (used.kind, used.leave, used.effect) == ("leave", "ferie", her_day)
    assert used.halves == 2  # one day of ferie
    assert used.explain.args[-1] == her_day  # "(a day: 3h36)"
    # A profile that gives part time its own days (`time part vertical 50%`: due 6h) is not
    # scaled again by the contract's percentage.
    vertical = school.version_on(on).profiles["part_time_vertical"]
    assert vertical.due is not None
    assert day_of_leave(school, "part_time_vertical", on, part_time=50) == vertical.due.value


def test_school_keeps_no_credit_against_a_new_debt() -> None:
    """Seed 003 says nothing of an automatic compensation: the credit stays, the debt runs."""
    school = load_policy("school")
    account = carry_month(school, "full_time", AccountState(100), month(2026, 4, -30))
    assert account.closing.credit == 100
    assert [d.minutes for d in account.closing.debts] == [30]
    assert account.closing.balance == 70


def test_academy_late_entry_not_recovered_by_the_end_of_the_next_month_is_an_anomaly() -> None:
    """Seed 004: «il ritardo ... può essere recuperato ... entro l'ultimo giorno del mese
    successivo a quello in cui si è verificato»; the regulation says no more, so the office is
    told once and the debt stays."""
    academy = load_policy("academy")
    march = carry_month(academy, "full_time", AccountState(), month(2026, 3, -45))
    april = carry_month(academy, "full_time", march.closing, month(2026, 4, 0))
    assert [(a.code, a.day) for a in april.anomalies] == [
        ("debt_not_recovered", date(2026, 4, 30))]
    assert april.closing.balance == -45
    may = carry_month(academy, "full_time", april.closing, month(2026, 5, 0))
    assert may.anomalies == [] and may.closing.balance == -45


def test_a_month_in_progress_has_no_month_end_movements() -> None:
    university = load_policy("university")
    opening = AccountState(0, (Debt(90, date(2026, 2, 1), date(2026, 3, 31), "x:1"),))
    march = carry_month(university, "full_time", opening, month(2026, 3, 0), complete=False)
    assert kinds(march) == [("month", 0, 0)]
    assert march.closing == opening


RULES = """
institution demo {
    name "Demo"
    timezone "Europe/Rome"
    holidays IT "MI"
}
rules from 2026-01-01 {
    profile full_time { days mon..fri due 7h12m }
    profile ep { days mon..fri due 7h12m }
    account {
        carry monthly max 40h
        year_end carry max 36h
        year_end expire for ep
    }
}
"""


def test_carry_caps_and_the_year_end_per_profile() -> None:
    policy = compile_policy(dsl.parse(RULES, "demo.rules"))
    november = carry_month(policy, "full_time", AccountState(2300), month(2026, 11, 300))
    assert kinds(november)[-1] == ("lapse", 200, -200)
    assert november.closing.credit == 2400
    december = carry_month(policy, "full_time", november.closing, month(2026, 12, 0))
    assert kinds(december)[-1] == ("expire", 240, -240)
    assert december.closing.credit == 2160
    assert december.movements[-1].explain.source == "demo.rules:12"
    ep = carry_month(policy, "ep", AccountState(500), month(2026, 12, 0))
    assert ep.closing.credit == 0 and ep.movements[-1].explain.rule == "year_end expire for ep"


def test_no_account_block_carries_nothing() -> None:
    chamber = load_policy("chamber")
    account = carry_month(chamber, "full_time", AccountState(30), month(2026, 3, -60))
    assert account.movements == [] and account.closing == AccountState(30)


def test_the_running_balance_ends_on_the_months_balance() -> None:
    """Seed 001: «una prima fase di calcolo del saldo giornaliero ... e una seconda fase in cui
    si determina il saldo mensile»: day by day from the opening, then the month."""
    university = load_policy("university")
    stamps = {date(2026, 3, 2): [Stamp(480, "in"), Stamp(960, "out")],
              date(2026, 3, 3): [Stamp(480, "in"), Stamp(1020, "out")]}
    result = evaluate_month(university, "full_time", 2026, 3, stamps,
                            through=date(2026, 3, 4))
    running = running_balance(AccountState(60), result)
    assert [d for d, _ in running] == [date(2026, 3, d) for d in (1, 2, 3, 4)]
    assert running[-1][1] + month_adjustment(result) == 60 + result.balance
    account = carry_month(university, "full_time", AccountState(60), result, complete=False)
    assert account.closing.balance == 60 + result.balance


def test_a_closed_months_difference_opens_the_first_open_month() -> None:
    """Seed 002: the debt is recovered «entro il mese successivo»: a closed February found
    30 minutes shorter after its close owes them by 31 March, as February's debt would;
    found 30 minutes longer, they pay the oldest debt first."""
    university = load_policy("university")
    shorter = carry_month(university, "full_time", AccountState(), month(2026, 3, 0),
                          complete=False, corrections=(Correction(2026, 2, -30),))
    assert kinds(shorter) == [("difference", 30, -30), ("month", 0, 0)]
    assert shorter.movements[0].closed == "2026-02"
    assert [(d.minutes, d.since, d.due) for d in shorter.closing.debts] == [
        (30, date(2026, 2, 1), date(2026, 3, 31))]
    assert shorter.closing.balance == -30
    opening = AccountState(0, (Debt(45, date(2026, 1, 1), None, ""),))
    longer = carry_month(university, "full_time", opening, month(2026, 3, 0),
                         complete=False, corrections=(Correction(2026, 2, 30),))
    assert kinds(longer)[:2] == [("difference", 30, 30), ("recover", 30, 0)]
    assert longer.closing.balance == -15


def test_a_closed_months_debt_found_later_is_compensated_by_the_credit() -> None:
    """Seed 002: «Tale flessibilità negativa deve essere recuperata, ovvero è automaticamente
    compensata, in caso di conto ore individuale positivo»: February found 30 minutes
    shorter after its close, with credit in the account, is paid by the credit; nothing is
    docked from pay at the end of March although its date falls then."""
    university = load_policy("university")
    march = carry_month(university, "full_time", AccountState(100), month(2026, 3, 0),
                        corrections=(Correction(2026, 2, -30),))
    assert march.total("deduct") == 0
    assert march.total("compensate") == 30
    assert march.closing == AccountState(100 - 30)
    # Beyond the credit, the rest is February's debt and is docked at its date.
    short = carry_month(university, "full_time", AccountState(20), month(2026, 3, 0),
                        corrections=(Correction(2026, 2, -30),))
    assert (short.total("compensate"), short.total("deduct")) == (20, 10)
    assert short.closing == AccountState()
