"""Contracts: days outside them are not due, the part-time percentage scales a full-time
profile's due, a change dated in the past recomputes the days it touches. On both
databases, in the school of seed 003 (full time: "due 7h12m", Monday to Friday)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.days.dirty import clear_dirty, pending, take_dirty
from server.days.employment import Contract, contract_on, contracts_between
from server.days.month import PersonMonth, person_months
from server.days.results import refresh_days
from server.days.rules_in_force import RulesInForce
from server.db.contract_tables import NO_START, ContractRow
from server.db.models import AuditEntry, DayResultRow, Employee
from server.db.schedule_tables import SchedulePeriod
from server.errors import NotFound, OfficeError
from server.office.contracts import add_contract, change_contract, set_dates
from server.office.employees_import import import_employees

APRIL_14, APRIL_15, APRIL_17 = date(2026, 4, 14), date(2026, 4, 15), date(2026, 4, 17)
APRIL_20, APRIL_21 = date(2026, 4, 20), date(2026, 4, 21)
NOW = datetime(2026, 4, 14, 8, 0, tzinfo=UTC)  # the office's changes
MAY_2 = datetime(2026, 5, 2, 10, 0, tzinfo=UTC)  # April is over when it is read
FULL_DAY = 7 * 60 + 12  # school.rules full_time: due 7h12m
HALF_DAY = FULL_DAY // 2


ONE_DATABASE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


def april(w: World, employee: Employee) -> PersonMonth:
    w.session.expire_all()
    rules = RulesInForce(w.session, ["school"])
    return person_months(w.session, rules, [employee], 2026, 4, now=MAY_2)[employee.id]


def stored_days(w: World, employee_id: int) -> dict[date, int]:
    w.session.expire_all()
    return dict(w.session.execute(sa.select(DayResultRow.day, DayResultRow.due).where(
        DayResultRow.employee_id == employee_id)).all())


def work_off(w: World) -> None:
    """What the recompute worker does with the days marked dirty."""
    taken = take_dirty(w.session)
    refresh_days(w.session, [day for day, _ in taken], MAY_2)
    clear_dirty(w.session, taken)
    w.session.commit()


@ONE_DATABASE  # its storage path is the one the next test runs on both
def test_a_part_time_employee_hired_mid_month_owes_nothing_before_and_half_from_the_start(
        school: World) -> None:
    """Bea is imported with `start` 15 April at 50%: the 14th is not hers (not due, no
    absence, not stored even with a stamp on it); from the 15th each working day owes half
    of "due 7h12m" (seed 002: hours "da riparametrare alla percentuale del part time")."""
    w = school
    import_employees(w.session, w.users["office"],
                     "number,name,profile,part_time_percent,start\n"
                     "B1,Bea,full_time,50,15/04/2026\n", now=NOW)
    bea = w.session.scalars(sa.select(Employee).where(Employee.number == "B1")).one()
    w.employees["bea"] = bea
    w.stamps("bea", APRIL_14, "in 08:00, out 12:00")
    w.stamps("bea", APRIL_15, "in 08:00, out 11:36")
    refresh_days(w.session, [("school", bea.id, d) for d in (APRIL_14, APRIL_15)], MAY_2)
    w.session.commit()
    assert stored_days(w, bea.id) == {APRIL_15: HALF_DAY}
    month = april(w, bea)
    days = {d.day: d for d in month.result.days}
    assert min(days) == APRIL_15 and month.state_of(APRIL_14) == "gone"
    assert (days[APRIL_15].due, days[APRIL_15].balance) == (HALF_DAY, 0)
    assert "7h12 at the contract's 50% part time" in json.dumps(days[APRIL_15].to_json())
    assert all(a.day is not None and a.day >= APRIL_15 for a in month.result.anomalies)
    # 15-17, 20-24, 27-30 April: twelve working days under contract, each half a day.
    assert month.result.due == month.result.due_in_month == 12 * HALF_DAY


def test_a_change_of_percentage_from_a_date_then_the_contract_ending(school: World) -> None:
    """From 20 April Ann works at 50%: the contract splits there and the stored days from
    it are recomputed, the 17th keeps its full day. Then her contract ends on the 20th: the
    21st is not due any more and its stored result goes."""
    w = school
    ann = w.employees["ann"]
    for day in (APRIL_17, APRIL_20, APRIL_21):
        w.stamps("ann", day, "in 07:30, out 14:42")
    refresh_days(w.session, [("school", ann.id, d) for d in (APRIL_17, APRIL_20, APRIL_21)],
                 NOW)
    w.session.commit()
    change_contract(w.session, w.users["office"], ann.id, effective=APRIL_20,
                    part_time_percent=50, reason="part time orizzontale", now=MAY_2)
    w.session.commit()
    assert sorted(pending(w.session)) == [(ann.id, APRIL_20), (ann.id, APRIL_21)]
    work_off(w)
    assert stored_days(w, ann.id) == {APRIL_17: FULL_DAY, APRIL_20: HALF_DAY,
                                      APRIL_21: HALF_DAY}
    assert contracts_between(w.session, ann, date(2026, 4, 1), date(2026, 4, 30)) == [
        Contract(NO_START, APRIL_20 - timedelta(days=1), 100, "full_time"),
        Contract(APRIL_20, None, 50, "full_time")]
    assert contract_on(w.session, ann, APRIL_17) == Contract(
        NO_START, date(2026, 4, 19), 100, "full_time")
    w.session.refresh(ann)
    assert ann.part_time_percent == 50  # the employee row shows the contract of today
    assert w.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.target == f"employee:{ann.id}")).all() == ["contract_changed"]

    second = w.session.scalars(sa.select(ContractRow).where(
        ContractRow.employee_id == ann.id, ContractRow.starts == APRIL_20)).one()
    change = set_dates(w.session, w.users["office"], ann.id, second.id, start=APRIL_20,
                       end=APRIL_20, reason="dimissioni", now=MAY_2)
    w.session.commit()
    assert change.marked == 1 and pending(w.session) == [(ann.id, APRIL_21)]
    work_off(w)
    assert stored_days(w, ann.id) == {APRIL_17: FULL_DAY, APRIL_20: HALF_DAY}
    month = april(w, ann)
    days = {d.day: d for d in month.result.days}
    assert month.state_of(APRIL_21) == "gone" and max(days) == APRIL_20
    # 1-3, 7-10 (6 April is Easter Monday), 13-17 April full days, and the 20th half.
    assert month.result.due_in_month == 12 * FULL_DAY + HALF_DAY
    entry = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "contract_dates_set")).one()
    assert entry.detail["contract"]["end"] == "2026-04-20" and entry.detail["marked"] == 1


@ONE_DATABASE
def test_a_part_time_profile_of_the_rules_keeps_its_own_due(school: World) -> None:
    """Seed 003: "tempo parziale verticale, con l'espletamento del 50%: per 3 giorni
    lavorativi ... con orario giornaliero di 6 ore": the profile `time part vertical 50%`
    already says the part time, so the contract's 50% does not halve its six hours."""
    w = school
    ann = w.employees["ann"]
    change_contract(w.session, w.users["office"], ann.id, effective=date(2026, 4, 1),
                    profile="part_time_vertical", part_time_percent=50, now=NOW)
    w.session.commit()
    w.session.add(SchedulePeriod(institution_id="school", employee_id=ann.id,
                                 starts=date(2026, 4, 1), ends=None,
                                 profile="part_time_vertical", chosen="1,3,5", reason="",
                                 set_by=w.users["office"].id, set_at=NOW))
    w.session.commit()
    days = {d.day: d for d in april(w, ann).result.days}
    assert days[APRIL_17].due == 6 * 60  # a Friday, one of her three days


@ONE_DATABASE
def test_bad_dates_overlaps_and_another_institution_are_refused_and_change_nothing(
        school: World) -> None:
    w = school
    ann = w.employees["ann"]
    office = w.users["office"]
    row = w.session.scalars(sa.select(ContractRow).where(ContractRow.employee_id == ann.id)).one()
    with pytest.raises(OfficeError, match="precede l'inizio") as refused:
        set_dates(w.session, office, ann.id, row.id, start=APRIL_20, end=APRIL_15, now=NOW)
    assert refused.value.field == "end"
    with pytest.raises(OfficeError, match="Si sovrappone al contratto dal — al …"):
        add_contract(w.session, office, ann.id, start=APRIL_20, now=NOW)
    with pytest.raises(OfficeError, match="1-100"):
        change_contract(w.session, office, ann.id, effective=APRIL_20, part_time_percent=0,
                        now=NOW)
    w.session.rollback()
    ensure = world(w.session, "academy")
    with pytest.raises(NotFound):
        set_dates(w.session, ensure.users["office"], ann.id, row.id, start=APRIL_15, end=None,
                  now=NOW)
    w.session.rollback()
    rows = w.session.scalars(sa.select(ContractRow).where(ContractRow.employee_id == ann.id))
    assert [(r.starts, r.ends, r.part_time_percent) for r in rows] == [(NO_START, None, 100)]
