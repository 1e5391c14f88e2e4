"""The employee's own schedule: periods and the rota feed the engine the day's `Schedule`,
a night shift's next-morning stamps count on the day it starts, and a change marks exactly
the stored days it affects, which the recompute brings back to what a fresh evaluation of
the month gives (SQLite and PostgreSQL).

The rota and the night shift are those of a realistic rule file, `tests/data/schedules.rules`
(a clinic: `shift night { span 21:00..07:00 due 10h }`, a `nurse` profile in shifts), made the
institution's rules in force by an administrator's activation, as a new institution would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, hm, world

from server.days import spans
from server.days.dirty import mark_dirty, pending
from server.days.month import person_months
from server.days.results import refresh_days
from server.days.rules_in_force import RulesInForce, compile_source
from server.days.schedules import load_schedules
from server.days.worker import Recomputer
from server.db.contract_tables import ContractRow
from server.db.models import AuditEntry, DayResultRow, Employee, MonthClose, RuleVersion, User
from server.db.schedule_tables import RotaDay, SchedulePeriod
from server.engine import Schedule
from server.errors import MonthClosed, NotAllowed, NotFound, OfficeError
from server.hookspecs import hookimpl
from server.office.csv_files import ImportRefused
from server.office.rota import import_rota, rota_month, set_rota
from server.office.schedules import periods_of, set_period
from server.plugins import make_plugin_manager

APRIL = {n: date(2026, 4, n) for n in range(1, 31)}
STORED_AT = datetime(2026, 4, 13, 17, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 14, 16, 0, tzinfo=UTC)  # 18:00 in Rome: the 14th is in progress
SCHOOL_DAY, PART_TIME_DAY = 7 * 60 + 12, 6 * 60
CLINIC_RULES = Path(__file__).parents[1] / "data" / "schedules.rules"


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


@pytest.fixture
def clinic(db_engine: sa.Engine) -> Iterator[World]:
    """An institution whose rules are the clinic's file, active from January: Ann and Bob
    are nurses (`shifts morning, night`), Cat works full time."""
    with Session(db_engine) as session:
        w = world(session, "clinic")
        admin = w.session.scalar(sa.select(User).where(User.institution_id == "clinic",
                                                       User.role == "admin"))
        assert admin is not None
        session.add(RuleVersion(institution_id="clinic", file_name=CLINIC_RULES.name,
                                source=CLINIC_RULES.read_text(encoding="utf-8"),
                                state="active", active_from=date(2026, 1, 1),
                                uploaded_by=admin.id, uploaded_at=datetime(2026, 1, 1, tzinfo=UTC)))
        set_profile(w, ("ann", "bob"), "nurse")
        session.commit()
        yield w


def set_profile(w: World, keys: tuple[str, ...], profile: str) -> None:
    """The profile of these employees' contracts, where a profile lives
    (server/days/employment.py), and the employee rows that show it."""
    for key in keys:
        w.employees[key].profile = profile
    w.session.execute(sa.update(ContractRow).where(
        ContractRow.employee_id.in_([w.employees[k].id for k in keys])).values(profile=profile))


def stamped(w: World, key: str, day: date, text: str) -> int:
    w.stamps(key, day, text)
    employee = w.employees[key]
    refresh_days(w.session, [(w.institution, employee.id, day)], STORED_AT)
    w.session.commit()
    return employee.id


def work_off(w: World) -> None:
    worker = Recomputer(w.session.get_bind(), lambda: NOW)  # type: ignore[arg-type]
    w.session.commit()
    try:
        while worker.run_once():
            pass
    finally:
        worker.turn.release()  # the next worker of this test must get the turn


def fresh(session: Session, employee_id: int, day: date) -> dict[str, Any]:
    """The day as the month a person sees evaluates it now."""
    employee = session.get(Employee, employee_id)
    assert employee is not None
    month = person_months(session, RulesInForce(session, [employee.institution_id]),
                          [employee], day.year, day.month, now=NOW)[employee_id]
    result = next(d for d in month.result.days if d.day == day)
    return {"worked": result.worked, "due": result.due, "balance": result.balance,
            "anomalies": len(result.anomalies),
            "data": json.loads(json.dumps(result.to_json(explain=False)))}


def current(session: Session, employee_id: int, day: date) -> dict[str, Any]:
    """The stored result, asserted equal to a fresh evaluation of the same day."""
    session.rollback()
    row = session.get(DayResultRow, (employee_id, day))
    assert row is not None
    kept = {"worked": row.worked, "due": row.due, "balance": row.balance,
            "anomalies": row.anomalies, "data": row.data}
    assert kept == fresh(session, employee_id, day), f"day {day} of {employee_id} is stale"
    return kept


def marked(session: Session) -> set[tuple[int, date]]:
    session.rollback()
    return set(pending(session))


# ---- periods ---------------------------------------------------------------------------


def test_a_period_gives_its_days_the_profile_and_the_chosen_days(school: World) -> None:
    """Seed 003: "tempo parziale verticale, con l'espletamento del 50%: per 3 giorni
    lavorativi (dal lunedì al venerdì) con orario giornaliero di 6 ore": from the 8th Ann
    works the school's vertical part time, her record naming Monday to Wednesday."""
    w = school
    ann = stamped(w, "ann", APRIL[7], "in 07:30, out 14:42")  # a Tuesday
    stamped(w, "ann", APRIL[8], "in 07:30, out 13:30")  # a Wednesday
    assert current(w.session, ann, APRIL[8])["due"] == SCHOOL_DAY
    set_period(w.session, w.users["office"], ann, APRIL[8], None, "part_time_vertical",
               {1, 2, 3}, reason="contratto part time", now=NOW)
    w.session.commit()
    assert marked(w.session) == {(ann, APRIL[8])}  # the 7th keeps its schedule
    schedules = load_schedules(w.session, [w.employees["ann"]], APRIL[6], APRIL[9])
    part_time = Schedule("part_time_vertical", frozenset({1, 2, 3}))
    assert schedules == {(ann, APRIL[8]): part_time, (ann, APRIL[9]): part_time}
    work_off(w)
    day = current(w.session, ann, APRIL[8])
    assert (day["due"], day["worked"], day["balance"]) == (PART_TIME_DAY, 6 * 60, 0)
    assert current(w.session, ann, APRIL[7])["due"] == SCHOOL_DAY
    # The month's own rules follow the profile of its last day; each day keeps its own.
    month = person_months(w.session, RulesInForce(w.session, ["school"]),
                          [w.session.get(Employee, ann)], 2026, 4, now=NOW)[ann].result
    assert month.profile == "part_time_vertical"
    # The 7th full time, the 8th (a Wednesday) 6 hours, the 9th (a Thursday) not due.
    assert [d.due for d in month.days[6:9]] == [SCHOOL_DAY, PART_TIME_DAY, 0]
    entry = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "schedule_period_set")).one()
    assert entry.detail["period"]["chosen"] == [1, 2, 3] and entry.detail["marked"] == 1


def test_a_one_week_change_resumes_the_schedule_before(school: World) -> None:
    """Seed 002: staff "possono recuperare la giornata di sospensione dell'attività
    lavorativa, rimodulando l'orario sui restanti giorni della settimana che precede": a
    period with both dates splits the open one, which resumes after it."""
    w = school
    ann = w.employees["ann"].id
    office = w.users["office"]
    set_period(w.session, office, ann, APRIL[1], None, "part_time_vertical", {1, 2, 3},
               now=NOW)
    set_period(w.session, office, ann, APRIL[13], APRIL[17], "full_time", now=NOW)
    w.session.commit()
    shape = [(p.starts, p.ends, p.profile, p.chosen) for p in periods_of(w.session, office, ann)]
    assert shape == [(APRIL[1], APRIL[12], "part_time_vertical", "1,2,3"),
                     (APRIL[13], APRIL[17], "full_time", ""),
                     (APRIL[18], None, "part_time_vertical", "1,2,3")]
    # A period over all of them takes their place: earlier ones end, covered ones go.
    set_period(w.session, office, ann, APRIL[10], None, "full_time", now=NOW)
    shape = [(p.starts, p.ends, p.profile) for p in periods_of(w.session, office, ann)]
    assert shape == [(APRIL[1], APRIL[9], "part_time_vertical"), (APRIL[10], None, "full_time")]
    assert periods_of(w.session, w.users["ann"], ann)  # she reads her own
    with pytest.raises(NotFound):
        periods_of(w.session, w.users["bob"], ann)


def test_what_the_rules_or_the_calendar_do_not_allow_is_refused(school: World) -> None:
    w = school
    ann, office = w.employees["ann"].id, w.users["office"]

    def refused(error: type[OfficeError], field: str | None, **changes: Any) -> None:
        args: dict[str, Any] = {"starts": APRIL[13], "ends": None,
                                "profile": "part_time_vertical", "chosen": {1, 2, 3}}
        args.update(changes)
        with pytest.raises(error) as caught:
            set_period(w.session, changes.pop("actor", office), ann, args["starts"],
                       args["ends"], args["profile"], args["chosen"], now=NOW)
        assert caught.value.field == field

    refused(OfficeError, "profile", profile="night_porter")
    refused(OfficeError, "chosen", chosen={1, 2, 6})  # Saturday is not the profile's
    refused(OfficeError, "chosen", chosen={9})
    refused(OfficeError, "ends", ends=APRIL[12])
    refused(OfficeError, "starts", starts=date(2027, 6, 1))  # beyond a year ahead
    refused(NotAllowed, None, actor=w.users["lab_head"])
    w.session.add(MonthClose(institution_id="school", year=2026, month=3, state="closed",
                             done=3, total=3, started_by=office.id, started_at=NOW,
                             closed_at=NOW))
    w.session.flush()
    refused(MonthClosed, None, starts=date(2026, 3, 30))
    with pytest.raises(MonthClosed):
        set_rota(w.session, office, 2026, 3, {(ann, date(2026, 3, 30)): None}, now=NOW)
    with pytest.raises(OfficeError, match="shift 'N' is not defined"):
        set_rota(w.session, office, 2026, 4, {(ann, APRIL[14]): "N"}, now=NOW)  # no shifts yet
    assert w.session.scalar(sa.select(sa.func.count()).select_from(SchedulePeriod)) == 0
    assert w.session.scalar(sa.select(sa.func.count()).select_from(RotaDay)) == 0


# ---- the rota and the night shift ------------------------------------------------------


def test_a_night_shift_counts_on_the_day_it_starts(clinic: World) -> None:
    """Issue 11: "night shifts that cross midnight (21:00–07:00 counts on the day it starts,
    not as two absent days)". Seed 004 calls it "turnazione: l'avvicendamento programmato
    delle prestazioni lavorative in determinati periodi dell'arco giornaliero"."""
    w = clinic
    ann = stamped(w, "ann", APRIL[9], "in 21:00")
    stamped(w, "ann", APRIL[10], "out 07:00")
    assert current(w.session, ann, APRIL[9])["worked"] == 0  # an entry with no exit
    set_rota(w.session, w.users["office"], 2026, 4, {(ann, APRIL[9]): "night"}, now=NOW)
    w.session.commit()
    assert marked(w.session) == {(ann, APRIL[9]), (ann, APRIL[10])}
    work_off(w)
    night = current(w.session, ann, APRIL[9])
    assert night["data"]["stamps"][0]["time"] == "21:00"
    # 21:00 to 07:00 is one stretch of 10 hours on the 9th: the night's due, all worked.
    assert len(night["data"]["stamps"]) == 2
    assert (night["worked"], night["due"], night["balance"]) == (hm("10:00"), hm("10:00"), 0)
    assert night["anomalies"] == 0
    morning = current(w.session, ann, APRIL[10])
    assert morning["data"]["stamps"] == []  # not seen twice
    assert (morning["due"], morning["anomalies"]) == (0, 0)  # no shift on the rota: rest
    month = person_months(w.session, RulesInForce(w.session, ["clinic"]),
                          [w.session.get(Employee, ann)], 2026, 4, now=NOW, shown=True)[ann]
    assert month.schedules[APRIL[9]] == Schedule("nurse", shift="night")
    # A stored day keeps no explanation; the month the pages compute words it.
    shift_day = next(d for d in month.result.days if d.day == APRIL[9])
    assert shift_day.explanations()[0].source == "schedules.rules:20"  # the night's due 10h
    # The timecard shows the morning's exit on the shift's day, past midnight.
    assert [s.minute for s in month.shown[APRIL[9]]] == [hm("21:00"), 1440 + hm("07:00")]
    assert month.shown.get(APRIL[10], []) == []
    # Cleared, the morning's exit goes back to the 10th.
    set_rota(w.session, w.users["office"], 2026, 4, {(ann, APRIL[9]): None}, now=NOW)
    w.session.commit()
    assert marked(w.session) == {(ann, APRIL[9]), (ann, APRIL[10])}
    work_off(w)
    assert len(current(w.session, ann, APRIL[10])["data"]["stamps"]) == 1


def test_the_rota_is_imported_from_csv_all_or_nothing(clinic: World) -> None:
    w = clinic
    office = w.users["office"]
    ann, bob = w.employees["ann"].id, w.employees["bob"].id
    change = import_rota(w.session, office, "matricola;data;turno\nANN;09/04/2026;night\n"
                         "BOB;2026-04-10;morning\n", now=NOW)
    assert (change.set, change.cleared) == (2, 0)
    rota = rota_month(w.session, office, 2026, 4)
    assert rota.shifts == {(ann, APRIL[9]): "night", (bob, APRIL[10]): "morning"}
    assert rota_month(w.session, office, 2026, 4, unit="library").shifts == {}
    change = import_rota(w.session, office, b"number,day,shift\nANN,2026-04-09,\n", now=NOW)
    assert (change.set, change.cleared) == (0, 1)
    with pytest.raises(ImportRefused) as refused:
        import_rota(w.session, office, "number;day;shift\nANN;2026-04-11;night\n"
                    "XYZ;2026-04-11;night\nBOB;2026-04-12;Q\nBOB;31/02/2026;night\n", now=NOW)
    assert [e.line for e in refused.value.errors] == [3, 4, 5]
    assert "shift 'Q' is not defined" in refused.value.errors[1].english
    assert rota_month(w.session, office, 2026, 4).shifts == {(bob, APRIL[10]): "morning"}


def test_a_stamp_the_morning_after_a_shift_marks_the_shift_day_too(clinic: World) -> None:
    """The ingest marks the day of a stamp; the night before, in the rota, takes the
    morning's stamps, so it is marked as well (and only a day with a shift is)."""
    w = clinic
    ann, bob = w.employees["ann"].id, w.employees["bob"].id
    set_rota(w.session, w.users["office"], 2026, 4, {(ann, APRIL[9]): "night"}, now=NOW)
    mark_dirty(w.session, [("clinic", ann, APRIL[10]), ("clinic", bob, APRIL[10])], NOW)
    w.session.commit()
    assert marked(w.session) == {(ann, APRIL[9]), (ann, APRIL[10]), (bob, APRIL[10])}


class OwnRota:
    """A plugin object answering with its own type, as a duck-typed schedule."""

    @hookimpl
    def timbra_employee_schedules(self, employees: dict[int, str], first: date,
                                  last: date) -> dict[int, dict[date, Any]]:
        seen = SimpleNamespace(profile="part_time_vertical", chosen=[3, 1], shift="M")
        wanted = {first: seen, last + timedelta(days=1): seen}  # the second is not asked for
        return {**{e: wanted for e in employees}, 999_999: wanted}


def test_a_plugin_answer_replaces_the_database_and_is_kept_to_what_was_asked(
        school: World) -> None:
    w = school
    ann = w.employees["ann"].id
    set_period(w.session, w.users["office"], ann, APRIL[1], None, "full_time", now=NOW)
    pm = make_plugin_manager(load_entry_points=False, extra_plugins=[OwnRota()])
    found = load_schedules(w.session, [w.employees["ann"]], APRIL[1], APRIL[2], pm)
    assert found == {(ann, APRIL[1]): Schedule("part_time_vertical", frozenset({1, 3}), "M")}


def test_the_plan_answers_shifts_and_the_span_end_past_midnight(school: World) -> None:
    """`server.days.spans` reads the language's shifts and `DayPlan.stamps_until`
    (docs/rule-language.md: "up to the span's end plus 2 hours")."""
    rules = Path(__file__).parents[1] / "data" / "schedules.rules"
    clinic = compile_source(rules.read_text(encoding="utf-8"), rules.name)
    terms = spans.schedule_terms(clinic, APRIL[9], "nurse")
    assert terms is not None and terms.shifts == {"morning", "night"}
    assert spans.day_end(clinic, Schedule("nurse", shift="night"), APRIL[9]) == 1440 + hm("09:00")
    assert spans.day_end(clinic, Schedule("nurse", shift="morning"), APRIL[9]) == 1440


def test_a_window_limit_reaches_back_into_the_month_before(clinic: World) -> None:
    """Supplementary work ≤ 10 % over four weeks (issue 11): the clinic's window of 30 March
    to 26 April has 68h24m due for a 50 % part time, a tenth 6h50m. The month as the pages
    read it counts March's 6h, so of April's 3h only 50 minutes are paid."""
    w = clinic
    w.employee("dee", profile="part_time", unit="lab")
    w.session.commit()
    for day in (date(2026, 3, 30), date(2026, 3, 31), APRIL[1]):
        w.stamps("dee", day, "in 08:00, out 14:36 code SUPPL")
    w.session.commit()
    dee = w.employees["dee"]
    month = person_months(w.session, RulesInForce(w.session, ["clinic"]), [dee], 2026, 4,
                          now=NOW)[dee.id].result
    assert month.by_code["SUPPL"] == 3 * 60
    assert month.over_cap["SUPPL"] == 2 * 60 + 10 and month.overtime_paid == 50
    assert [f.name for f in month.flags] == ["SUPPL_over_limit"]


def test_a_units_overtime_budget_is_shared_by_its_employees(clinic: World) -> None:
    """Seed 001: «Le ore straordinarie, nel limite del monte ore personale o della
    struttura». With `unit_budget "lab" 3h per year`, the lab's paid overtime is spent in
    the order it was worked: Ann's 2h of 3 March, then Bob's 2h of 4 March (1h beyond);
    Ann's 2h of 1 April are all beyond. Cat's library has 100h and loses nothing."""
    w = clinic
    version = w.session.scalar(sa.select(RuleVersion).where(
        RuleVersion.institution_id == "clinic"))
    assert version is not None
    text = CLINIC_RULES.read_text(encoding="utf-8")
    end = text.index("\n}\n", text.index('code "STR"'))
    version.source = (text[:end] + '\n    overtime {\n        unit_budget "lab" 3h per year\n'
                      '        unit_budget 100h per year\n    }' + text[end:])
    set_profile(w, ("ann", "bob"), "full_time")
    w.session.commit()
    for key, day in (("ann", date(2026, 3, 3)), ("bob", date(2026, 3, 4)),
                     ("ann", APRIL[1]), ("cat", date(2026, 3, 5))):
        w.stamps(key, day, "in 08:00, out 17:12 code STR")  # 2h of paid overtime
    w.session.commit()
    rules = RulesInForce(w.session, ["clinic"])
    ann, bob, cat = (w.employees[k] for k in ("ann", "bob", "cat"))
    march = person_months(w.session, rules, [bob, cat], 2026, 3, now=NOW)
    assert (march[bob.id].result.overtime_paid, march[bob.id].result.over_cap) == (
        60, {"unit_budget": 60})
    assert march[cat.id].result.overtime_paid == 120
    assert set(march) == {bob.id, cat.id}  # Ann was read for the budget, not returned
    april = person_months(w.session, rules, [ann], 2026, 4, now=NOW)[ann.id].result
    assert april.overtime_paid == 0 and april.over_cap == {"unit_budget": 120}
    assert [f.name for f in april.flags] == ["unit_budget_over_limit"]
