"""The month summary, the month close with its lock, and the audited reopen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, at, hm, world

from server.days.dirty import mark_dirty
from server.db.models import AuditEntry, DayResultRow, MonthCloseEntry, Stamp
from server.errors import MonthClosed, NotAllowed, OfficeError
from server.office import closing, corrections, decisions, requests
from server.office.audit import AuditQuery, audit_log
from server.office.summary import month_summary

APRIL = (2026, 4)
AFTER_APRIL = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
BEFORE_APRIL_8 = at(date(2026, 4, 7), "12:00")  # overtime is authorised before it is worked
ABSENT = "assenze da giustificare: si chiude per il pagamento"  # everyone's unstamped days


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
        flagged = [f.name for f in summary.result.flags]
        assert flagged == (["missed_stamps"] if n == 3 else []), n
    assert summary.result.worked == 4 * hm("07:12")
    assert "contestazione" in summary.result.flags[0].message


def test_month_summary_has_balance_deadline_allowance_and_anomaly_fix_by(school: World) -> None:
    """Seed 003: "Il mancato recupero del debito orario, entro i due mesi successivi a quello
    in cui si è verificato" (negative_balance end of month + 2)."""
    w, ann = school, school.employees["ann"].id
    w.stamps("ann", date(2026, 4, 21), "in 07:30, out 10:00 code PB, in 11:00, out 14:42")
    w.stamps("ann", date(2026, 4, 22), "in 07:30")
    summary = month_summary(w.session, w.users["ann"], ann, *APRIL).result.to_json()
    assert summary["deadlines"]["negative_balance"] == "2026-06-30"
    [permit] = summary["allowances"]
    assert (permit["name"], permit["used"], permit["recover_by"]) == (
        "short_permit", 60, "2026-06-30")
    unpaired = [a for a in summary["anomalies"] if a["code"] == "unpaired_stamps"]
    assert unpaired == [{"code": "unpaired_stamps", "message": "entry at 07:30 has no exit",
                         "fix_by": "2026-04-23T08:30", "date": "2026-04-22",
                         "message_id": "entry at {:clock} has no exit", "args": [450]}]
    with pytest.raises(NotAllowed):
        month_summary(w.session, w.users["bob"], ann, *APRIL)


def test_close_shows_progress_then_locks_the_month(school: World) -> None:
    w = school
    w.stamps("ann", date(2026, 4, 7), "in 07:30, out 14:42")
    seen: list[tuple[int, int]] = []
    final = closing.close_month(w.session, w.users["office"], *APRIL, batch=2,
                                now=AFTER_APRIL, reason=ABSENT,
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
                                   date(2026, 4, 8), "banked", now=BEFORE_APRIL_8)
    closing.close_month(w.session, w.users["office"], *APRIL, now=AFTER_APRIL,
                        reason="chiusura forzata: la richiesta resta indecisa")
    with pytest.raises(MonthClosed):
        decisions.approve(w.session, w.users["office"], filed.id, now=AFTER_APRIL)
    with pytest.raises(MonthClosed):
        decisions.withdraw(w.session, w.users["ann"], filed.id, now=AFTER_APRIL)


def test_reopen_is_audited_and_unlocks(school: World) -> None:
    w = school
    closing.close_month(w.session, w.users["office"], *APRIL, now=AFTER_APRIL, reason=ABSENT)
    with pytest.raises(NotAllowed):
        closing.reopen(w.session, w.users["lab_head"], *APRIL, "errore", now=AFTER_APRIL)
    with pytest.raises(OfficeError, match="motivo"):
        closing.reopen(w.session, w.users["office"], *APRIL, "", now=AFTER_APRIL)
    with pytest.raises(OfficeError, match="al massimo 500 caratteri") as too_long:
        closing.reopen(w.session, w.users["office"], *APRIL, "x" * 501, now=AFTER_APRIL)
    assert too_long.value.field == "reason"
    assert closing.close_progress(w.session, "school", *APRIL).state == "closed"
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


def _stamp_every_working_day(w: World, *keys: str) -> None:
    """A regular day (07:30–14:42, the school's 7h12) on every day April owes."""
    people = [w.employees[k] for k in keys]
    for employee, result in zip(people, closing.month_results(
            w.session, w.institution, people, *APRIL).values(), strict=True):
        assert result.anomalies, "an unstamped working day must be an anomaly"
        for day in result.days:
            if day.due:
                w.stamps(employee.number.lower(), day.day, "in 07:30, out 14:42")
    w.session.commit()


def _audit(w: World, action: str) -> list[AuditEntry]:
    return audit_log(w.session, AuditQuery(w.institution, action=action))


def test_precheck_lists_each_employee_s_pending_requests_and_open_anomalies(
        school: World) -> None:
    """Seed 002: "La mancata giustificazione delle giornate in anomalia non consente: ...
    la chiusura del mese"; a request still pending when the month locks cannot be decided."""
    w = school
    _stamp_every_working_day(w, "ann", "bob", "cat")
    w.stamps("ann", date(2026, 4, 30), "in 18:00")  # an exit never stamped
    requests.file_overtime(w.session, w.users["bob"], w.employees["bob"].id,
                           date(2026, 4, 8), "paid", now=BEFORE_APRIL_8)
    w.session.commit()
    check = closing.precheck(w.session, w.users["office"], *APRIL)
    ann = month_summary(w.session, w.users["office"], w.employees["ann"].id, *APRIL)
    assert [(e.number, e.pending_requests, e.open_anomalies) for e in check.employees] == [
        ("ANN", 0, len(ann.result.anomalies)), ("BOB", 1, 0)]
    assert len(ann.result.anomalies) > 0 and check.pending_requests == 1
    assert not check.clear
    with pytest.raises(NotAllowed):
        closing.precheck(w.session, w.users["lab_head"], *APRIL)


def test_closing_over_open_items_needs_a_bounded_reason_and_audits_what_it_overrode(
        school: World) -> None:
    w, office = school, school.users["office"]
    requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id,
                           date(2026, 4, 8), "banked", now=BEFORE_APRIL_8)
    w.session.commit()
    check = closing.precheck(w.session, office, *APRIL)
    for reason in (None, "   "):
        with pytest.raises(OfficeError, match="indica il motivo") as refused:
            closing.begin_close(w.session, office, *APRIL, reason=reason, now=AFTER_APRIL)
        assert refused.value.field == "reason"
    with pytest.raises(OfficeError, match="500 caratteri"):
        closing.begin_close(w.session, office, *APRIL, reason="x" * 501, now=AFTER_APRIL)
    w.session.rollback()
    # Refused: the month is still open, no snapshot, nothing in the log.
    assert closing.close_progress(w.session, "school", *APRIL).state is None
    assert w.session.scalar(sa.select(sa.func.count()).select_from(MonthCloseEntry)) == 0
    assert _audit(w, "month_close_started") == []
    closing.begin_close(w.session, office, *APRIL, reason=ABSENT, now=AFTER_APRIL)
    w.session.commit()
    [entry] = _audit(w, "month_close_started")
    assert entry.detail == {"total": 3, "reason": ABSENT, "pending_requests": 1}
    # The open anomalies it overrode are counted by the close itself, as the month locks.
    closing.close_month(w.session, office, *APRIL, now=AFTER_APRIL)
    [locked] = _audit(w, "month_closed")
    assert locked.detail == {"total": 3, "open_anomalies": check.open_anomalies,
                             "employees": 3}
    assert check.open_anomalies > 0


def test_the_precheck_after_a_close_follows_a_stamp_the_stored_days_do_not_have_yet(
        school: World) -> None:
    """Seed 002: "La mancata giustificazione delle giornate in anomalia non consente: ...
    la chiusura del mese". Closed and reopened, the month's stored days are current and the
    pre-check agrees with them; an entry stamped since, not yet recomputed, opens an
    anomaly the stored day does not have, and the pre-check still shows it."""
    w, office, ann = school, school.users["office"], school.employees["ann"]
    _stamp_every_working_day(w, "ann", "bob", "cat")
    closing.close_month(w.session, office, *APRIL, now=AFTER_APRIL)
    closing.reopen(w.session, office, *APRIL, "una timbratura in ritardo", now=AFTER_APRIL)
    w.session.commit()
    assert closing.precheck(w.session, office, *APRIL).clear
    last = date(2026, 4, 30)
    w.stamps("ann", last, "in 18:00")
    mark_dirty(w.session, [("school", ann.id, last)], AFTER_APRIL)
    w.session.commit()
    [item] = closing.precheck(w.session, office, *APRIL).employees
    summary = month_summary(w.session, office, ann.id, *APRIL)
    assert (item.number, item.open_anomalies) == ("ANN", len(summary.result.anomalies))
    assert [a.day for a in summary.result.anomalies] == [last]
    stored = w.session.get(DayResultRow, (ann.id, last))
    assert stored is not None and stored.anomalies == 0  # not recomputed yet
    # The stored day keeps no explanation; the timecard words it from the rules.
    assert "explain" not in stored.data and summary.result.days[-1].explanations()


def test_a_month_with_nothing_open_closes_without_a_reason_and_keeps_its_figures(
        school: World) -> None:
    w = school
    _stamp_every_working_day(w, "ann", "bob", "cat")
    assert closing.precheck(w.session, w.users["office"], *APRIL).clear
    final = closing.close_month(w.session, w.users["office"], *APRIL, now=AFTER_APRIL)
    assert final.state == "closed"
    [entry] = _audit(w, "month_close_started")
    assert entry.detail == {"total": 3}
    figures = closing.close_figures(w.session, w.users["office"], *APRIL)
    summary = month_summary(w.session, w.users["office"], w.employees["ann"].id, *APRIL)
    assert [f.number for f in figures] == ["ANN", "BOB", "CAT"]
    assert (figures[0].worked, figures[0].due, figures[0].balance, figures[0].anomalies,
            figures[0].meal_vouchers) == (
        summary.result.worked, summary.result.due, summary.result.balance, 0,
        summary.result.meal_vouchers)
    assert figures[0].worked == figures[0].due > 0


def test_a_step_that_fails_midway_is_rolled_back_and_the_resume_evaluates_everyone_once(
        school: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w, office = school, school.users["office"]
    bob = w.employees["bob"]
    w.stamps("bob", date(2026, 4, 7), "in 07:30, out 14:42")
    w.session.commit()
    closing.begin_close(w.session, office, *APRIL, reason=ABSENT, now=AFTER_APRIL)
    w.session.commit()
    assert closing.close_step(w.session, office, *APRIL, batch=1, now=AFTER_APRIL).done == 1
    w.session.commit()
    real = closing.mark_done

    def broken(session: Session, *step: object) -> None:
        raise RuntimeError("the server stops here, after bob's day results are written")

    monkeypatch.setattr(closing, "mark_done", broken)
    with pytest.raises(RuntimeError):
        closing.close_step(w.session, office, *APRIL, batch=1, now=AFTER_APRIL)
    w.session.rollback()
    monkeypatch.setattr(closing, "mark_done", real)
    # Nothing of the failed step stayed: bob not done, his day results not written.
    assert closing.close_progress(w.session, "school", *APRIL) == closing.Progress(
        "closing", 1, 3)
    assert w.session.get(DayResultRow, (bob.id, date(2026, 4, 7))) is None
    # Bob leaves and Dan arrives before the resume: Bob worked in April, Dan did not.
    bob.active = False
    w.employee("dan")
    w.session.commit()
    final = closing.close_month(w.session, office, *APRIL, batch=1, now=AFTER_APRIL)
    assert (final.state, final.done, final.total) == ("closed", 3, 3)
    entries = w.session.execute(sa.select(MonthCloseEntry.employee_id,
                                          MonthCloseEntry.evaluations)).all()
    assert sorted(entries) == sorted((w.employees[k].id, 1) for k in ("ann", "bob", "cat"))
    stored = w.session.get(DayResultRow, (bob.id, date(2026, 4, 7)))
    assert stored is not None and stored.worked == hm("07:12")
    figures = {f.number: f for f in closing.close_figures(w.session, office, *APRIL)}
    assert figures["BOB"].worked == hm("07:12") and "DAN" not in figures


def test_a_reopened_month_closed_again_takes_a_new_snapshot(school: World) -> None:
    w, office = school, school.users["office"]
    closing.close_month(w.session, office, *APRIL, now=AFTER_APRIL, reason=ABSENT)
    closing.reopen(w.session, office, *APRIL, "timbratura persa", now=AFTER_APRIL)
    w.stamps("ann", date(2026, 4, 7), "in 07:30, out 14:42")
    w.employees["cat"].active = False
    w.session.commit()
    final = closing.close_month(w.session, office, *APRIL, now=AFTER_APRIL, reason=ABSENT)
    assert (final.state, final.done, final.total) == ("closed", 2, 2)
    figures = {f.number: f.worked for f in closing.close_figures(w.session, office, *APRIL)}
    assert figures == {"ANN": hm("07:12"), "BOB": 0}
    assert set(w.session.scalars(sa.select(MonthCloseEntry.evaluations))) == {1}


def test_a_close_left_closing_without_a_snapshot_takes_it_at_the_resume(
        school: World) -> None:
    """A month an older version left "closing" (before migration 0007) has no entries."""
    w, office = school, school.users["office"]
    closing.begin_close(w.session, office, *APRIL, reason=ABSENT, now=AFTER_APRIL)
    w.session.execute(sa.delete(MonthCloseEntry))
    w.session.commit()
    final = closing.close_month(w.session, office, *APRIL, now=AFTER_APRIL)
    assert (final.state, final.done, final.total) == ("closed", 3, 3)
    assert len(closing.close_figures(w.session, office, *APRIL)) == 3


@pytest.mark.parametrize("reopened", [False, True], ids=["first close", "after a reopen"])
def test_two_clerks_starting_the_close_together_one_starts_it_the_other_is_told(
        school: World, db_engine: sa.Engine, reopened: bool) -> None:
    """Both read the month as open; the second's start waits on the first's and is refused
    with a message (it was a 500), and exactly one snapshot is taken."""
    w, office = school, school.users["office"]
    if reopened:
        closing.close_month(w.session, office, *APRIL, now=AFTER_APRIL, reason=ABSENT)
        closing.reopen(w.session, office, *APRIL, "timbratura persa", now=AFTER_APRIL)
        w.session.commit()
    with Session(db_engine) as second:
        clerk = second.get(type(office), office.id)
        assert clerk is not None
        # The second clerk's page has read the month before the first one's start commits.
        assert closing.precheck(second, clerk, *APRIL) is not None
        closing.begin_close(w.session, office, *APRIL, reason=ABSENT, now=AFTER_APRIL)
        outcome: list[BaseException | str] = []

        def start_second() -> None:
            try:
                closing.begin_close(second, clerk, *APRIL, reason=ABSENT, now=AFTER_APRIL)
                outcome.append("started")
            except BaseException as refused:  # the test reports what it got
                outcome.append(refused)

        racer = threading.Thread(target=start_second)
        racer.start()
        racer.join(timeout=1.0)  # it waits on the first start's write
        w.session.commit()
        racer.join(timeout=30)
        [got] = outcome
        assert isinstance(got, OfficeError) and "già chiuso o in chiusura" in got.italian, got
        second.rollback()
    progress = closing.close_progress(w.session, "school", *APRIL)
    assert (progress.state, progress.total) == ("closing", 3)
    entries = w.session.scalar(sa.select(sa.func.count()).select_from(MonthCloseEntry))
    assert entries == 3
