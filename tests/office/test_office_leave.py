"""Leave in days at the office, stored on SQLite and PostgreSQL: the balance read from the
requests and the opening balance recorded at adoption, a request beyond it refused in
Italian, or filed by the office's explicit override and recorded in the audit; the
smart-working days' monthly cap (seed 002, "Pila")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from math import floor

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.db.directory import add_employee
from server.db.leave_tables import LeaveOpening
from server.db.models import AuditEntry, MonthClose
from server.errors import NotAllowed, NotFound, OfficeError
from server.office import contracts, decisions, leave, requests
from server.policy.load import load_policy

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADOPTED = date(2026, 3, 1)
# What storage does is the first two tests', on both databases; the rest is request logic.
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def uni(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "university")


def mondays(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=n) for n in range(count)]


def ferie(w: World, on: date = date(2026, 3, 2)) -> leave.LeaveYear:
    found = leave.leave_of_employee(w.session, w.users["ann"], w.employees["ann"].id, on)
    return next(y for y in found if y.name == "ferie")


def test_opening_balances_are_the_offices_checked_and_audited(uni: World) -> None:
    """Only the office records what was left at adoption, for a leave of the rules, within
    a year's days; recording again replaces it, the audit keeps both; a colleague does not
    see Ann's balance."""
    w, ann = uni, uni.employees["ann"].id
    with pytest.raises(NotAllowed):
        leave.record_opening(w.session, w.users["ann"], ann, "ferie", ADOPTED, 10, now=NOW)
    with pytest.raises(OfficeError, match="non prevedono 'holidays'"):
        leave.record_opening(w.session, w.users["office"], ann, "holidays", ADOPTED, 10,
                             now=NOW)
    with pytest.raises(OfficeError, match="da 0 a 366 giorni"):
        leave.record_opening(w.session, w.users["office"], ann, "ferie", ADOPTED, -1, now=NOW)
    leave.record_opening(w.session, w.users["office"], ann, "ferie", ADOPTED, 10, now=NOW)
    leave.record_opening(w.session, w.users["office"], ann, "ferie", ADOPTED, 12, 4, now=NOW)
    w.session.commit()
    rows = w.session.scalars(sa.select(LeaveOpening)).all()
    assert [(r.leave, r.left_halves, r.carried_halves) for r in rows] == [("ferie", 12, 4)]
    audits = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "leave_opening").order_by(AuditEntry.id)).all()
    assert [a.detail["left"] for a in audits] == [5, 6]
    assert audits[1].detail["before"] == {"on": "2026-03-01", "left": 5, "carried": 0}
    with pytest.raises(NotFound):
        leave.leave_of_employee(w.session, w.users["bob"], ann, date(2026, 3, 2))
    assert ferie(w).total_left == 16
    # A closed month keeps its balances, as the account's and allowances' openings do.
    w.session.add(MonthClose(institution_id="university", year=2026, month=2, state="closed",
                             done=1, total=1, started_by=w.users["office"].id, started_at=NOW,
                             closed_at=NOW))
    w.session.flush()
    with pytest.raises(OfficeError, match="Il mese 02/2026 è chiuso"):
        leave.record_opening(w.session, w.users["office"], ann, "ferie", date(2026, 2, 1),
                             12, 4, now=NOW)
    assert ferie(w).total_left == 16


def test_a_request_beyond_the_balance_is_refused_and_the_office_may_override(
        uni: World) -> None:
    """Adopted on 1 March with 2 days of ferie left (and 1 carried): Ann's pending
    requests count, the fourth day is refused in Italian; the office files it only by
    saying so, and the audit records the override."""
    w, ann = uni, uni.employees["ann"].id
    leave.record_opening(w.session, w.users["office"], ann, "ferie", ADOPTED, left_halves=4,
                         carried_halves=2, reason="saldo al 28/02 dal sistema precedente",
                         now=NOW)
    days = mondays(date(2026, 3, 9), 4)
    for day in days[:3]:
        assert requests.file_justification(w.session, w.users["ann"], ann, day, "FER",
                                           now=NOW).state == "pending"
    with pytest.raises(OfficeError) as refused:
        requests.file_justification(w.session, w.users["ann"], ann, days[3], "FER", now=NOW)
    assert refused.value.italian == ("Ferie: saldo insufficiente per il 30/03/2026, restano 0 "
                                     "giorni; l'ufficio del personale può registrarla oltre "
                                     "il saldo")
    # Day first in English too, as every page writes a day (server/i18n/formats.py).
    assert refused.value.english == ("Ferie: not enough left for 30/03/2026, 0 days left; the "
                                     "personnel office can file it beyond the balance")
    with pytest.raises(OfficeError) as office_refused:
        requests.file_justification(w.session, w.users["office"], ann, days[3], "FER", now=NOW)
    assert "conferma il superamento del saldo" in office_refused.value.italian
    row = requests.file_justification(w.session, w.users["office"], ann, days[3], "FER",
                                      now=NOW, override_balance=True)
    audit = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "request_filed", AuditEntry.target == f"request:{row.id}")).one()
    assert audit.detail["beyond_balance"] is True
    w.session.commit()
    # The balance shows approved days only: none yet, all four still pending.
    year = ferie(w)
    assert (year.entitled, year.carried_in, year.taken, year.total_left) == (56, 2, 52, 6)


@SQLITE
def test_a_half_day_draws_half_and_approved_days_are_taken(uni: World) -> None:
    """Seed 001: "Per registrare correttamente le ½ giornate di ferie …"."""
    w, ann = uni, uni.employees["ann"].id
    leave.record_opening(w.session, w.users["office"], ann, "ferie", ADOPTED, left_halves=3,
                         now=NOW)
    first = requests.file_justification(w.session, w.users["ann"], ann, date(2026, 3, 9),
                                        "FER", now=NOW)
    decisions.approve(w.session, w.users["lab_head"], first.id, now=NOW)
    half = requests.file_justification(w.session, w.users["ann"], ann, date(2026, 3, 10),
                                       "FMAT", now=NOW)
    decisions.approve(w.session, w.users["lab_head"], half.id, now=NOW)
    w.session.commit()
    year = ferie(w)
    assert (year.taken, year.total_left) == (56 - 3 + 3, 0)
    with pytest.raises(OfficeError, match="restano 0 giorni"):
        requests.file_justification(w.session, w.users["ann"], ann, date(2026, 3, 11),
                                    "FPOM", now=NOW)


@SQLITE
def test_smart_working_days_are_capped_per_month(uni: World) -> None:
    """Seed 002: "se sono già state fruite tutte le giornate di smart working previste nel
    mese": the rule file's 7 days a month; the eighth is refused, April starts again."""
    w, ann = uni, uni.employees["ann"].id
    day, filed = date(2026, 3, 2), 0
    while filed < 7:
        if day.weekday() < 5:
            requests.file_justification(w.session, w.users["ann"], ann, day, "SW", now=NOW)
            filed += 1
        day += timedelta(days=1)
    with pytest.raises(OfficeError) as refused:
        requests.file_justification(w.session, w.users["ann"], ann, date(2026, 3, 20), "SW",
                                    now=NOW)
    assert refused.value.italian == ("Giornate di lavoro agile (Pila): nel mese di marzo 2026 "
                                     "sono già stati chiesti 7 giorni su 7 consentiti; "
                                     "l'ufficio del personale può registrarla oltre il "
                                     "saldo")
    assert requests.file_justification(w.session, w.users["ann"], ann, date(2026, 4, 1), "SW",
                                       now=NOW).state == "pending"


@SQLITE
def test_seniority_part_time_and_days_under_contract_come_from_the_contracts(
        uni: World) -> None:
    """Seed 004, art. 9.2: each employee sees «i giorni/ore di ferie ... di cui dispongono»;
    the rule file's `entitlement … first 3 years` and `prorate part_time, contract`
    read the contracts: Dan, hired on 16 March 2026 at 50%, is in his first years, under
    contract 10 months of 2026 (March counts: more than 15 of its days) and part time;
    from September at full time his balance says so; Eve, hired in 2020, is past the step."""
    office = uni.users["office"]
    dan = add_employee(uni.session, "university", "DAN", "Dan", start=date(2026, 3, 16))
    eve = add_employee(uni.session, "university", "EVE", "Eve", start=date(2020, 9, 1))
    contracts.change_contract(uni.session, office, dan.id, effective=date(2026, 3, 16),
                              part_time_percent=50, now=NOW)
    uni.session.commit()
    policy = load_policy("university")
    lines = policy.version_on(date(2026, 4, 1)).leaves["ferie"].entitlements
    junior = next(e for e in lines if e.week == 5 and e.first_years is not None)
    senior = next(e for e in lines if e.week == 5 and e.first_years is None)

    def ferie_of(who: int, on: date) -> leave.LeaveYear:
        found = leave.leave_of_employee(uni.session, office, who, on, now=NOW)
        return next(y for y in found if y.name == "ferie")

    april = ferie_of(dan.id, date(2026, 4, 1))
    # The rule file's formula: days × percent ÷ 100 × months under contract ÷ 12, to the
    # nearest half day (a quarter rounds up).
    share = Fraction(junior.days * 2 * 50, 100) * Fraction(10, 12)
    assert april.entitled == floor(share + Fraction(1, 2))
    details = [e.detail for e in april.explain]
    assert f"{junior.days} days a year" in details
    assert any(d.startswith("part time 50%") for d in details)
    assert any(d.startswith("10 months of 2026 under contract") for d in details)
    assert ferie_of(eve.id, date(2026, 4, 1)).entitled == senior.days * 2

    contracts.change_contract(uni.session, office, dan.id, effective=date(2026, 9, 1),
                              part_time_percent=100, now=NOW)
    uni.session.commit()
    october = ferie_of(dan.id, date(2026, 10, 1))
    # Each period at its own percentage: March to August at 50%, September on at 100%.
    periods = Fraction(6 * 50 + 4 * 100, 100)
    assert october.entitled == floor(junior.days * 2 * periods / 12 + Fraction(1, 2))
    assert not any(e.detail.startswith("part time") for e in october.explain)
