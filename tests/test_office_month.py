"""The month summary, the month close with its lock, and the audited reopen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from office_world import World, at, hm, world
from sqlalchemy.orm import Session

from server.db.models import AuditEntry, DayResultRow, Stamp
from server.office import closing, corrections, decisions, requests
from server.office.audit import AuditQuery, audit_log
from server.office.errors import MonthClosed, NotAllowed, OfficeError
from server.office.summary import month_summary

APRIL = (2026, 4)
AFTER_APRIL = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


def test_more_than_three_missed_stamps_in_a_month_are_flagged(school: World) -> None:
    """Seed 003: "OLTRE LE TRE MANCATE TIMBRATURE ... IL DS POTRÀ MUOVERE CONTESTAZIONE DI
    ADDEBITO" (school.rules: flag missed_stamps over 3 per month)."""
    w, ann = school, school.employees["ann"].id
    days = [date(2026, 4, d) for d in (7, 8, 9, 10)]
    for n, day in enumerate(days):
        w.stamps("ann", day, "in 07:30")
        filed = requests.file_missed_stamp(w.session, w.users["ann"], ann, day, hm("14:42"),
                                           "out", "dimenticato", now=at(day, "18:00"))
        decisions.approve(w.session, w.users["office"], filed.id, now=at(day, "19:00"))
        summary = month_summary(w.session, w.users["lab_head"], ann, *APRIL)
        flagged = [f["name"] for f in summary.flags]
        assert flagged == (["missed_stamps"] if n == 3 else []), n
    assert summary.result.worked == 4 * hm("07:12")
    assert "contestazione" in summary.flags[0]["message"]


def test_month_summary_has_balance_deadline_allowance_and_anomaly_fix_by(school: World) -> None:
    """Seed 003: "Il mancato recupero del debito orario, entro i due mesi successivi a quello
    in cui si è verificato" (negative_balance end of month + 2)."""
    w, ann = school, school.employees["ann"].id
    w.stamps("ann", date(2026, 4, 21), "in 07:30, out 10:00 code PB, in 11:00, out 14:42")
    w.stamps("ann", date(2026, 4, 22), "in 07:30")
    summary = month_summary(w.session, w.users["ann"], ann, *APRIL).to_json()
    assert summary["deadlines"]["negative_balance"] == "2026-06-30"
    [permit] = summary["allowances"]
    assert (permit["name"], permit["used"], permit["recover_by"]) == (
        "short_permit", 60, "2026-06-30")
    unpaired = [a for a in summary["anomalies"] if a["code"] == "unpaired_stamps"]
    assert unpaired == [{"code": "unpaired_stamps", "message": unpaired[0]["message"],
                         "fix_by": "2026-04-23T08:30", "date": "2026-04-22"}]
    with pytest.raises(NotAllowed):
        month_summary(w.session, w.users["bob"], ann, *APRIL)


def test_close_shows_progress_then_locks_the_month(school: World) -> None:
    w = school
    w.stamps("ann", date(2026, 4, 7), "in 07:30, out 14:42")
    seen: list[tuple[int, int]] = []
    final = closing.close_month(w.session, w.users["office"], *APRIL, batch=2,
                                now=AFTER_APRIL,
                                on_progress=lambda p: seen.append((p.done, p.total)))
    assert seen == [(2, 3), (3, 3)] and (final.state, final.percent) == ("closed", 100)
    stored = w.session.get(DayResultRow, (w.employees["ann"].id, date(2026, 4, 7)))
    assert stored is not None and stored.worked == hm("07:12")
    [stamp_id] = w.session.scalars(sa.select(Stamp.id).where(
        Stamp.employee_id == w.employees["ann"].id, Stamp.direction == "out"))
    with pytest.raises(MonthClosed, match="04/2026 è chiuso"):
        corrections.correct_stamp(w.session, w.users["office"], stamp_id, minute=hm("15:00"),
                                  direction="out", code=None, reason="errore",
                                  now=AFTER_APRIL)
    with pytest.raises(MonthClosed):
        requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id,
                               date(2026, 4, 8), "paid", now=AFTER_APRIL)
    with pytest.raises(MonthClosed):
        corrections.add_stamp(w.session, w.users["office"], w.employees["bob"].id,
                              date(2026, 4, 30), hm("08:00"), "in", reason="registro",
                              now=AFTER_APRIL)


def test_a_pending_request_cannot_be_decided_once_its_month_is_closed(school: World) -> None:
    w = school
    filed = requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id,
                                   date(2026, 4, 8), "banked", now=AFTER_APRIL)
    closing.close_month(w.session, w.users["office"], *APRIL, now=AFTER_APRIL)
    with pytest.raises(MonthClosed):
        decisions.approve(w.session, w.users["office"], filed.id, now=AFTER_APRIL)
    with pytest.raises(MonthClosed):
        decisions.withdraw(w.session, w.users["ann"], filed.id, now=AFTER_APRIL)


def test_reopen_is_audited_and_unlocks(school: World) -> None:
    w = school
    closing.close_month(w.session, w.users["office"], *APRIL, now=AFTER_APRIL)
    with pytest.raises(NotAllowed):
        closing.reopen(w.session, w.users["lab_head"], *APRIL, "errore", now=AFTER_APRIL)
    with pytest.raises(OfficeError, match="motivo"):
        closing.reopen(w.session, w.users["office"], *APRIL, "", now=AFTER_APRIL)
    closing.reopen(w.session, w.users["office"], *APRIL, "timbratura persa dal terminale 2",
                   now=AFTER_APRIL)
    [entry] = audit_log(w.session, AuditQuery("school", action="month_reopened"))
    assert (entry.user_id, entry.target, entry.detail["reason"]) == (
        w.users["office"].id, "month:2026-04", "timbratura persa dal terminale 2")
    corrections.add_stamp(w.session, w.users["office"], w.employees["bob"].id,
                          date(2026, 4, 30), hm("08:00"), "in", reason="registro",
                          now=AFTER_APRIL)
    assert closing.close_progress(w.session, "school", *APRIL).state == "reopened"
    # Another institution's log never shows it.
    assert audit_log(w.session, AuditQuery("university")) == []
    assert w.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 4


def test_a_month_that_has_not_ended_cannot_be_closed(school: World) -> None:
    with pytest.raises(OfficeError, match="non è ancora finito"):
        closing.begin_close(school.session, school.users["office"], *APRIL,
                            now=datetime(2026, 4, 30, 20, 0, tzinfo=UTC))
