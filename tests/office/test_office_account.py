"""The hours account across months, stored: carried in order from the first month, from an
opening balance imported at adoption, or from the balance a month close froze; the same
figures on the Riepiloghi and the timecard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.days.rules_in_force import compile_source
from server.db import make_engine, upgrade
from server.db.directory import add_employee
from server.db.models import AuditEntry, MonthCloseEntry, RuleVersion, Stamp
from server.engine.leave import LeaveYear
from server.errors import NotAllowed, OfficeError
from server.i18n.current import use_locale
from server.office import closing
from server.office.account_openings import set_opening
from server.office.leave import leave_of_employee
from server.office.summary import month_summary
from server.web.summary_view import summary_out
from server.web.timecard import month_view
from server.web.wording import say

APRIL_10 = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)


def _university(engine: sa.Engine) -> Iterator[World]:
    with Session(engine) as session:
        w = world(session, "university")
        w.stamps("ann", date(2026, 2, 2), "in 08:00, out 12:00, in 12:45, out 16:00")
        w.session.commit()
        yield w


@pytest.fixture
def university(db_engine: sa.Engine) -> Iterator[World]:
    """On both databases: what is stored and read back."""
    yield from _university(db_engine)


@pytest.fixture
def university_sqlite(tmp_path: Path) -> Iterator[World]:
    """On one database: what is only computed."""
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    upgrade(engine)
    yield from _university(engine)
    engine.dispose()


def test_a_debt_carried_into_the_next_month_is_deducted_when_not_recovered(
        university_sqlite: World) -> None:
    """Seed 002: «La flessibilità negativa deve essere recuperata entro il mese successivo, in
    caso di mancato recupero si determina la proporzionale decurtazione della retribuzione»."""
    w, ann = university_sqlite, university_sqlite.employees["ann"].id
    february = month_summary(w.session, w.users["office"], ann, 2026, 2, now=APRIL_10)
    feb = february.account
    assert feb is not None and feb.opening.balance == 0  # the first stamped month
    assert feb.closing.balance == february.result.balance < 0
    assert [d.due for d in feb.closing.debts] == [date(2026, 3, 31)]
    march = month_summary(w.session, w.users["ann"], ann, 2026, 3, now=APRIL_10)
    mar = march.account
    assert mar is not None and mar.opening == feb.closing
    assert mar.total("deduct") == -february.result.balance
    assert mar.closing.balance == march.result.balance  # February's debt left the account
    deduct = next(m for m in mar.movements if m.kind == "deduct").explain
    assert (deduct.rule, deduct.source.split(":")[0]) == ("not_recovered deduct",
                                                          "university.rules")
    api = summary_out(march).account
    assert api is not None and (api.opening, api.closing) == (feb.closing.balance,
                                                              mar.closing.balance)
    assert [m.kind for m in api.movements][-1] == "deduct"


def test_the_timecard_runs_the_same_account_day_by_day(university_sqlite: World) -> None:
    """Seed 001: «una prima fase di calcolo del saldo giornaliero ... e una seconda fase in cui
    si determina il saldo mensile»: the timecard's running balance meets the Riepiloghi."""
    w, ann = university_sqlite, university_sqlite.employees["ann"]
    summary = month_summary(w.session, w.users["ann"], ann.id, 2026, 2, now=APRIL_10)
    view = month_view(w.session, ann, 2026, 2, now=APRIL_10)
    account = summary.account
    assert account is not None
    assert view.account_opening == account.opening.balance
    days = [d for d in view.days if d.account is not None]
    assert len(days) == 28
    assert days[1].account == days[0].account + days[1].balance
    month_movement = next(m.effect for m in account.movements if m.kind == "month")
    assert days[-1].account + view.account_adjustment == account.opening.balance + month_movement
    assert view.account_closing == account.closing.balance


def test_an_opening_balance_imported_at_adoption_is_carried_and_compensates(
        university: World) -> None:
    """Seed 002: the negative flexibility «è automaticamente compensata, in caso di conto ore
    individuale positivo»: 200 hours brought from the old system pay March's debt."""
    w, ann = university, university.employees["ann"].id
    with pytest.raises(NotAllowed):
        set_opening(w.session, w.users["ann"], ann, date(2026, 3, 1), 12000, now=APRIL_10)
    with pytest.raises(OfficeError, match="primo giorno"):
        set_opening(w.session, w.users["office"], ann, date(2026, 3, 2), 12000, now=APRIL_10)
    with pytest.raises(OfficeError, match="ore"):
        set_opening(w.session, w.users["office"], ann, date(2026, 3, 1), 10**7, now=APRIL_10)
    set_opening(w.session, w.users["office"], ann, date(2026, 3, 1), 12000,
                reason="saldo dal vecchio sistema", now=APRIL_10)
    w.session.commit()
    march = month_summary(w.session, w.users["office"], ann, 2026, 3, now=APRIL_10)
    account = march.account
    assert account is not None and account.opening.balance == 12000
    assert account.total("compensate") == -march.result.balance
    assert account.closing.balance == 12000 + march.result.balance
    assert account.closing.debts == ()
    audit = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "account_opening_set")).all()
    assert [(a.detail["before"], a.detail["after"]) for a in audit] == [(None, 12000)]


def test_a_closed_month_keeps_its_closing_balance(university: World) -> None:
    """A month close freezes the account: the next month carries from the kept balance, and
    an opening set earlier than the close changes nothing after it."""
    w, ann = university, university.employees["ann"].id
    before = month_summary(w.session, w.users["office"], ann, 2026, 2, now=APRIL_10).account
    assert before is not None
    closing.close_month(w.session, w.users["office"], 2026, 2, reason="prova", now=APRIL_10)
    kept = w.session.scalar(sa.select(MonthCloseEntry.account_closing).where(
        MonthCloseEntry.employee_id == ann))
    assert kept == before.closing.balance
    with pytest.raises(OfficeError, match="chiuso"):
        set_opening(w.session, w.users["office"], ann, date(2026, 2, 1), 600, now=APRIL_10)
    set_opening(w.session, w.users["office"], ann, date(2026, 1, 1), 600, now=APRIL_10)
    w.session.commit()
    february = month_summary(w.session, w.users["office"], ann, 2026, 2, now=APRIL_10).account
    assert february is not None and february.frozen
    assert february.closing.balance == kept
    march = month_summary(w.session, w.users["office"], ann, 2026, 3, now=APRIL_10).account
    assert march is not None and march.opening.balance == kept
    assert [d.due for d in march.opening.debts] == [date(2026, 3, 31)]


def _school_with_a_short_day(engine: sa.Engine) -> Iterator[World]:
    """Ann works every working day of January 2026 in full (7h12m, school.rules' `due`)
    but one, an hour short; nothing after: her January debt is never recovered."""
    with Session(engine) as session:
        w = world(session, "school")
        day = date(2026, 1, 2)
        while day.month == 1:
            if day.weekday() < 5 and day != date(2026, 1, 6):  # Epifania
                w.stamps("ann", day, "in 07:30, out 13:42" if day.day == 14
                         else "in 07:30, out 14:42")
            day += timedelta(days=1)
        w.session.commit()
        yield w


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    yield from _school_with_a_short_day(db_engine)


def test_a_debt_not_recovered_in_two_months_is_drawn_from_ferie(school: World) -> None:
    """Seed 003: «Il mancato recupero del debito orario, entro i due mesi successivi a
    quello in cui si é verificato, comporterà ... o a scelta del dipendente la compensazione
    con giorni di ferie»: at the end of March January's debt leaves the account and the
    same days are drawn from the ferie, on the Riepiloghi and in the leave balances, also
    once the months are closed."""
    w, ann = school, school.employees["ann"].id
    january = month_summary(w.session, w.users["office"], ann, 2026, 1, now=APRIL_10)
    debt = -january.result.balance
    assert debt > 0 and january.account is not None
    assert [d.due for d in january.account.closing.debts] == [date(2026, 3, 31)]
    march = month_summary(w.session, w.users["ann"], ann, 2026, 3, now=APRIL_10)
    assert march.account is not None
    used = next(m for m in march.account.movements if m.kind == "leave")
    assert (used.minutes, used.effect, used.leave) == (debt, debt, "ferie")
    assert used.halves > 0 and used.explain.rule == "not_recovered use leave ferie"
    assert "of the debt of January 2026 not recovered by 31 March 2026" in used.explain.detail
    assert all(d.since != date(2026, 1, 1) for d in march.account.closing.debts)

    def ferie(summary_leave: list[LeaveYear]) -> LeaveYear:
        return next(y for y in summary_leave if y.name == "ferie")

    april = ferie(leave_of_employee(w.session, w.users["ann"], ann, date(2026, 4, 10),
                                   now=APRIL_10))
    assert april.compensated == used.halves and april.taken >= used.halves
    assert used.explain in april.explain
    assert ferie(march.leave).compensated == used.halves  # read on 31 March, once it is over
    february = month_summary(w.session, w.users["ann"], ann, 2026, 2, now=APRIL_10)
    assert ferie(february.leave).compensated == 0  # not yet due

    for number in (1, 2, 3):
        closing.close_month(w.session, w.users["office"], 2026, number, reason="prova",
                            now=APRIL_10)
    kept = ferie(leave_of_employee(w.session, w.users["ann"], ann, date(2026, 4, 10),
                                   now=APRIL_10))
    assert (kept.compensated, kept.left) == (april.compensated, april.left)


YEAR_END = """        not_recovered deduct
        year_end carry max 36h
        year_end expire for part_time_6h
"""


def test_the_year_end_keeps_what_the_rule_file_says_for_each_profile(
        university_sqlite: World) -> None:
    """No seed writes a year-end: the rule file's `year_end` lines decide, per profile. The
    university's file with `year_end carry max 36h` and `year_end expire for part_time_6h`
    (activated as an upload): Dan and Eve, hired on 1 January 2027, open with 50h carried
    from the old system on 1 December 2026; January opens with what December's year end
    kept for each, the rest expired with the line that said so."""
    w = university_sqlite
    source = (Path(__file__).parents[2] / "plugins/university/university.rules").read_text()
    assert source.count("        not_recovered deduct\n") == 1
    text = source.replace("        not_recovered deduct\n", YEAR_END)
    w.session.add(RuleVersion(institution_id="university", file_name="university.rules",
                              source=text, state="active", active_from=date(2026, 1, 1),
                              uploaded_by=w.users["admin"].id, uploaded_at=APRIL_10))
    dan = add_employee(w.session, "university", "DAN", "Dan", start=date(2027, 1, 1))
    eve = add_employee(w.session, "university", "EVE", "Eve", profile="part_time_6h",
                       start=date(2027, 1, 1))
    now = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
    for who in (dan, eve):
        set_opening(w.session, w.users["office"], who.id, date(2026, 12, 1), 3000, now=now)
    w.session.commit()
    account = compile_source(text, "university.rules").version_on(date(2026, 12, 31)).account
    assert account is not None
    for who, profile in ((dan, "full_time"), (eve, "part_time_6h")):
        line = account.year_end_for(profile)
        assert line is not None
        kept = line.minutes if line.keep == "max" else 0
        december = month_summary(w.session, w.users["office"], who.id, 2026, 12,
                                 now=now).account
        assert december is not None and december.opening.balance == 3000
        expire = next(m for m in december.movements if m.kind == "expire")
        assert expire.minutes == 3000 - kept
        assert expire.explain.source == f"university.rules:{line.pos.line}"
        january = month_summary(w.session, w.users["office"], who.id, 2027, 1,
                                now=now).account
        assert january is not None and january.opening.balance == kept


def test_a_late_stamp_in_a_closed_month_is_carried_as_a_difference(
        university_sqlite: World) -> None:
    """Stamps are never lost: a terminal's stamp dated in February, received after
    February's close, leaves February's frozen closing balance as it was; March, the first
    open month, opens with that balance and a movement "difference from closed month
    2026-02" of what February's figures now differ by, explained by the account's rule.
    Closing March carries it once: April has no difference. Reopening March carries
    April forward from March computed again."""
    w, ann = university_sqlite, university_sqlite.employees["ann"].id
    office = w.users["office"]
    old = month_summary(w.session, office, ann, 2026, 2, now=APRIL_10).result.balance
    closing.close_month(w.session, office, 2026, 2, reason="prova", now=APRIL_10)
    kept = w.session.scalar(sa.select(MonthCloseEntry.account_closing).where(
        MonthCloseEntry.employee_id == ann))
    w.stamps("ann", date(2026, 2, 3), "in 08:00, out 12:00, in 12:45, out 16:00")
    late = datetime(2026, 4, 12, 9, 0, tzinfo=UTC)
    w.session.execute(sa.update(Stamp).where(Stamp.local_date == date(2026, 2, 3))
                      .values(received_at=late))
    w.session.commit()
    now = datetime(2026, 4, 13, 9, 0, tzinfo=UTC)
    february = month_summary(w.session, office, ann, 2026, 2, now=now)
    assert february.account is not None and february.account.frozen
    assert february.account.closing.balance == kept  # the close's figure stays
    difference = february.result.balance - old
    assert difference > 0  # the day stamped late is no longer an absence
    march = month_summary(w.session, office, ann, 2026, 3, now=now).account
    assert march is not None and march.opening.balance == kept
    moved = march.movements[0]
    assert (moved.kind, moved.effect, moved.closed) == ("difference", difference, "2026-02")
    assert moved.explain.detail.startswith("difference from closed month February 2026")
    with use_locale("it"):
        assert say(moved.explain).startswith("differenza dal mese chiuso di febbraio 2026")
    assert moved.explain.rule == "carry monthly"
    assert moved.explain.source.startswith("university.rules:")
    assert march.opening.balance + sum(m.effect for m in march.movements) == \
        march.closing.balance
    view = month_view(w.session, w.employees["ann"], 2026, 3, now=now)
    first = next(d for d in view.days if d.account is not None)
    assert first.account == kept + difference + first.balance  # the timecard runs from it
    # and its last day, the month's own adjustment and end movements reach the closing:
    # the difference is in the running balance, not again among the month's end movements.
    last_day = [d.account for d in view.days if d.account is not None][-1]
    assert last_day + view.account_adjustment + view.account_month_end == \
        view.account_closing == march.closing.balance

    closing.close_month(w.session, office, 2026, 3, reason="prova", now=now)
    april = month_summary(w.session, office, ann, 2026, 4, now=now).account
    assert april is not None and april.opening == march.closing
    assert "difference" not in [m.kind for m in april.movements]

    closing.reopen(w.session, office, 2026, 3, "correzione", now=now)
    w.session.commit()
    march_again = month_summary(w.session, office, ann, 2026, 3, now=now).account
    april_again = month_summary(w.session, office, ann, 2026, 4, now=now).account
    assert march_again is not None and not march_again.frozen
    assert april_again is not None and april_again.opening == march_again.closing



@pytest.fixture
def school_sqlite(tmp_path: Path) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    upgrade(engine)
    yield from _school_with_a_short_day(engine)
    engine.dispose()


def test_a_month_closed_again_after_a_later_close_carries_its_change(
        school_sqlite: World) -> None:
    """Seed 003: the debt is recovered «entro i due mesi successivi». January and February
    closed; January reopened, the hour Ann was short on 14 January stamped, closed again:
    February stays as closed, and March opens with February's frozen balance and the
    difference from January, whose debt has not fallen due yet."""
    w, ann = school_sqlite, school_sqlite.employees["ann"].id
    office = w.users["office"]
    for number in (1, 2):
        closing.close_month(w.session, office, 2026, number, reason="prova", now=APRIL_10)
    old = month_summary(w.session, office, ann, 2026, 1, now=APRIL_10).result.balance
    february = month_summary(w.session, office, ann, 2026, 2, now=APRIL_10).account
    later = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    closing.reopen(w.session, office, 2026, 1, "timbratura mancante", now=later)
    w.stamps("ann", date(2026, 1, 14), "in 14:00, out 15:00")
    w.session.commit()
    closing.close_month(w.session, office, 2026, 1, reason="prova", now=later)
    january = month_summary(w.session, office, ann, 2026, 1, now=later)
    march = month_summary(w.session, office, ann, 2026, 3, now=later).account
    assert february is not None and march is not None
    assert march.opening == february.closing  # February's close stays as it was
    moved = march.movements[0]
    assert (moved.kind, moved.closed) == ("difference", "2026-01")
    assert moved.effect == january.result.balance - old != 0


def test_someone_hired_who_never_stamped_carries_from_the_hiring(
        university_sqlite: World) -> None:
    """Seed 002: the negative flexibility «deve essere recuperata entro il mese successivo»,
    so the account carries month to month from the hiring, stamps or not: February's whole
    due missed is March's opening debt, not a fresh zero each month."""
    w = university_sqlite
    new = add_employee(w.session, "university", "NEW", "Nuova", start=date(2026, 2, 1))
    w.session.commit()
    feb = month_summary(w.session, w.users["office"], new.id, 2026, 2, now=APRIL_10)
    mar = month_summary(w.session, w.users["office"], new.id, 2026, 3, now=APRIL_10)
    assert feb.account is not None and mar.account is not None
    assert feb.account.opening.balance == 0 and feb.account.closing.balance < 0
    assert mar.account.opening == feb.account.closing
