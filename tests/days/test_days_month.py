"""The one computation of a month (`server.days.month`): what a person sees on the
timecard, the summaries and the reports is the same month, evaluated up to yesterday.

Issue 9: "Riepiloghi, the monthly PDF and /api/v1/summaries count every future working day
of the month as an absent anomaly"; "the employee sees 6h30 with no stamp that explains it".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, hm, world

from server.days.month import person_months
from server.days.rules_in_force import RulesInForce
from server.db.models import Stamp
from server.office import closing, corrections, decisions, requests
from server.office.activation import deactivate_employee
from server.office.reports import institution_report
from server.office.summary import month_summary
from server.web.summary_view import summary_out
from server.web.timecard import layout, month_view

# Wednesday 11 March 2026, 10:00 in Rome: 1-10 March are over, the 11th is in progress.
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)
FULL_DAY = "in 08:00, out 12:00, in 12:45, out 16:00"


@pytest.fixture
def uni(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        w = world(session, "university")
        for day in (2, 3, 4, 5, 6, 9, 10):  # every working day before today
            w.stamps("ann", date(2026, 3, day), FULL_DAY)
        w.stamps("ann", TODAY, "in 08:00")
        w.session.commit()
        yield w


def ann_month(w: World, now: datetime = NOW):
    rules = RulesInForce(w.session, ["university"])
    return person_months(w.session, rules, [w.employees["ann"]], 2026, 3, now=now,
                         shown=True)[w.employees["ann"].id]


def test_days_still_to_come_are_not_absences_and_owe_nothing_yet(uni: World) -> None:
    month = ann_month(uni)
    result = month.result
    assert [d.day for d in result.days] == [date(2026, 3, n) for n in range(1, 11)]
    assert not [a for a in result.anomalies if a.day is not None and a.day >= TODAY]
    # Month to date: the seven working days before today, nothing of the days to come.
    every_day = person_months(uni.session, RulesInForce(uni.session, ["university"]),
                              [uni.employees["ann"]], 2026, 3,
                              now=datetime(2026, 4, 2, tzinfo=UTC))[uni.employees["ann"].id]
    per_day = {d.day: d.due for d in every_day.result.days}
    assert result.due == sum(due for day, due in per_day.items() if day < TODAY)
    assert result.due_in_month == every_day.result.due == sum(per_day.values())
    assert result.due_in_month > result.due > 0
    assert result.balance == result.worked - result.due
    # Today is in progress: its entry shows, it is no anomaly and not in the totals.
    assert month.in_progress is not None and month.in_progress.day == TODAY
    view = layout(month)
    today = next(d for d in view.days if d.date == TODAY.isoformat())
    assert today.state == "today" and not today.anomalies and not today.computed
    assert [s.time for s in today.stamps] == ["08:00"]
    later = [d for d in view.days if d.date > TODAY.isoformat()]
    assert later and all(d.state == "future" and not d.computed and not d.anomalies
                         for d in later)
    assert (view.worked, view.due, view.balance) == (result.worked, result.due,
                                                     result.balance)


def test_timecard_summaries_and_report_show_the_same_figures(uni: World) -> None:
    uni.stamps("bob", date(2026, 3, 2), "in 09:00, out 13:00")  # a short day and absences
    office = uni.users["office"]
    for key in ("ann", "bob"):
        employee = uni.employees[key]
        card = month_view(uni.session, employee, 2026, 3, now=NOW)
        summary = month_summary(uni.session, office, employee.id, 2026, 3,
                                now=NOW).result.to_json()
        assert (card.worked, card.due, card.balance, card.meal_vouchers, card.anomalies,
                card.due_in_month) == (
            summary["worked"], summary["due"], summary["balance"], summary["meal_vouchers"],
            len(summary["anomalies"]), summary["due_in_month"])
    table = institution_report(uni.session, office, 2026, 3, "balances", now=NOW)
    by_name = {row[1]: row for row in table.rows}
    for key in ("ann", "bob"):
        employee = uni.employees[key]
        card = month_view(uni.session, employee, 2026, 3, now=NOW)
        assert by_name[employee.name][3:8] == [card.worked, card.due, card.balance,
                                               card.meal_vouchers, card.anomalies]


def test_an_approved_missed_stamp_shows_on_the_employees_timecard(uni: World) -> None:
    """The employee sees the declared stamp that explains their worked time."""
    w, day = uni, date(2026, 3, 2)
    w.stamps("bob", day, "in 08:00")
    filed = requests.file_missed_stamp(w.session, w.users["bob"], w.employees["bob"].id, day,
                                       hm("14:30"), "out", "badge dimenticato",
                                       now=datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    decisions.approve(w.session, w.users["lab_head"], filed.id,
                      now=datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    card = month_view(w.session, w.employees["bob"], 2026, 3, now=NOW)
    monday = next(d for d in card.days if d.date == day.isoformat())
    assert [(s.time, s.direction, s.source) for s in monday.stamps] == [
        ("08:00", "in", "terminal"), ("14:30", "out", "declared")]
    assert monday.worked > 0 and not monday.anomalies


def test_a_corrected_stamp_shows_struck_through_beside_its_correction(uni: World) -> None:
    w, day = uni, date(2026, 3, 3)
    exit_id = w.session.scalar(sa.select(Stamp.id).where(
        Stamp.employee_id == w.employees["ann"].id, Stamp.local_date == day,
        Stamp.local_minute == hm("16:00")))
    assert exit_id is not None
    corrections.correct_stamp(w.session, w.users["office"], exit_id, minute=hm("17:00"),
                              direction="out", code=None, reason="uscita errata", now=NOW)
    card = month_view(w.session, w.employees["ann"], 2026, 3, now=NOW)
    tuesday = next(d for d in card.days if d.date == day.isoformat())
    assert [(s.time, s.in_force, s.corrected) for s in tuesday.stamps] == [
        ("08:00", True, False), ("12:00", True, False), ("12:45", True, False),
        ("16:00", False, False), ("17:00", True, True)]


def test_days_after_a_deactivation_are_not_due(uni: World) -> None:
    w = uni
    deactivate_employee(w.session, w.users["office"], w.employees["bob"].id,
                        reason="trasferito", now=datetime(2026, 3, 4, 17, 0, tzinfo=UTC))
    month = person_months(w.session, RulesInForce(w.session, ["university"]),
                          [w.employees["bob"]], 2026, 3, now=NOW)[w.employees["bob"].id]
    assert month.result.days[-1].day == date(2026, 3, 4)
    assert month.in_progress is None
    assert layout(month).days[10].state == "gone"
    assert not [a for a in month.result.anomalies if a.day and a.day > date(2026, 3, 4)]


def test_a_month_to_come_has_no_figures(uni: World) -> None:
    month = ann_month(uni, now=NOW - timedelta(days=40))
    assert month.result.days == [] and month.result.due == 0
    assert month.result.due_in_month > 0 and not month.result.anomalies


def test_a_voided_stamp_shows_struck_through_as_voided(uni: World) -> None:
    w, day = uni, date(2026, 3, 4)
    double = w.session.scalar(sa.select(Stamp.id).where(
        Stamp.employee_id == w.employees["ann"].id, Stamp.local_date == day,
        Stamp.local_minute == hm("12:45")))
    assert double is not None
    corrections.void_stamp(w.session, w.users["office"], double, "timbratura doppia", now=NOW)
    card = month_view(w.session, w.employees["ann"], 2026, 3, now=NOW)
    wednesday = next(d for d in card.days if d.date == day.isoformat())
    assert [(s.time, s.in_force, s.voided) for s in wednesday.stamps] == [
        ("08:00", True, False), ("12:00", True, False), ("12:45", False, True),
        ("16:00", True, False)]


def test_anomaly_deadlines_read_the_same_on_the_timecard_and_the_summaries(uni: World) -> None:
    uni.stamps("bob", date(2026, 3, 3), "in 08:00")
    employee = uni.employees["bob"]
    card = month_view(uni.session, employee, 2026, 3, now=NOW)
    summary = month_summary(uni.session, uni.users["office"], employee.id, 2026, 3,
                            now=NOW).result.to_json()
    on_card = [(d.date, a.code, a.fix_by) for d in card.days for a in d.anomalies]
    assert on_card and on_card == [(a["date"], a["code"], a["fix_by"])
                                   for a in summary["anomalies"]]


def test_someone_who_left_later_stays_in_the_months_they_worked(uni: World) -> None:
    """Deactivated in April, Bob worked March: March's reports, flags and close keep him."""
    w = uni
    w.stamps("bob", date(2026, 3, 2), FULL_DAY)
    deactivate_employee(w.session, w.users["office"], w.employees["bob"].id,
                        reason="trasferito", now=datetime(2026, 4, 10, 9, 0, tzinfo=UTC))
    april = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)
    table = institution_report(w.session, w.users["office"], 2026, 3, "balances", now=april)
    assert "BOB" in [row[0] for row in table.rows]
    assert "BOB" not in [row[0] for row in institution_report(
        w.session, w.users["office"], 2026, 5, "balances", now=april).rows]
    closing.close_month(w.session, w.users["office"], 2026, 3, reason="prova", now=april)
    closed = {f.number: f for f in closing.close_figures(w.session, w.users["office"], 2026, 3)}
    assert closed["BOB"].worked == table.rows[[r[0] for r in table.rows].index("BOB")][3] > 0


def test_the_summary_api_writes_the_engines_month_key_for_key(uni: World) -> None:
    """The typed summary response and the engine's `to_json` (CLI, stored results) are two
    writers of one month: they must not drift apart."""
    uni.stamps("bob", date(2026, 3, 3), "in 08:00")  # an anomaly, with its deadline
    for key in ("ann", "bob"):
        summary = month_summary(uni.session, uni.users["office"], uni.employees[key].id,
                                2026, 3, now=NOW)
        typed = msgspec.to_builtins(summary_out(summary))
        engine = summary.result.to_json()
        assert {k: typed[k] for k in engine} == engine
        progress = summary.month.in_progress
        assert progress is not None and typed["in_progress"] == progress.to_json()
