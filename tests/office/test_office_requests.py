"""Requests: filing justifications, missed stamps and overtime, deciding them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, at, hm, world

from server.db.models import AuditEntry, DayResultRow
from server.db.models import Request as RequestRow
from server.errors import NotAllowed, NotFound, OfficeError
from server.office import decisions, requests

DAY = date(2026, 3, 16)  # a Monday
LATER = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def uni(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "university")


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


def day_result(w: World, key: str, day: date) -> DayResultRow | None:
    return w.session.get(DayResultRow, (w.employees[key].id, day))


def test_approved_code_49_turns_a_pause_outside_the_band_into_a_regular_one(uni: World) -> None:
    """Seed 002: "la pausa pranzo dovesse essere svolta fuori dalla fascia di flessibilità
    prevista, il/la dipendente deve timbrare la pausa e caricare successivamente su Start Web
    il giustificativo N. 49 MENSA FUORI ORARIO, compilando dettagliatamente le note"."""
    w = uni
    w.stamps("ann", DAY, "in 08:00, out 15:00, in 15:30, out 16:30")
    request = requests.file_justification(
        w.session, w.users["ann"], w.employees["ann"].id, DAY, "49", start=hm("15:00"),
        end=hm("15:30"), notes="riunione fino alle 15", now=LATER)
    assert request.state == "pending"
    decisions.approve(w.session, w.users["lab_head"], request.id, now=LATER)
    w.session.commit()
    result = day_result(w, "ann", DAY)
    assert result is not None
    assert [a["code"] for a in result.data["anomalies"]] == []
    assert result.data["meal_voucher"] is True
    assert result.data["by_code"] == {"49": 30}


def test_a_whole_day_code_approved_changes_the_day_from_absent_to_justified(uni: World) -> None:
    w = uni
    request = requests.file_justification(
        w.session, w.users["ann"], w.employees["ann"].id, DAY, "17",
        attachment=("certificato.pdf", b"%PDF"), now=LATER)
    decisions.approve(w.session, w.users["office"], request.id, now=LATER)
    result = day_result(w, "ann", DAY)
    assert result is not None
    assert (result.due, result.balance, result.anomalies) == (435, 0, 0)


def test_times_are_rounded_as_the_rules_say(uni: World) -> None:
    """Seed 002: "caricare i giustificativi on line con gli orari arrotondati ... (es 08.02
    inserire 08.00 – 08.03 inserire 08.05)"."""
    w = uni
    request = requests.file_justification(
        w.session, w.users["ann"], w.employees["ann"].id, DAY, "20", start=hm("08:02"),
        end=hm("10:03"), now=LATER)
    assert (request.start_minute, request.end_minute) == (hm("08:00"), hm("10:05"))


def test_hourly_codes_need_both_times_and_whole_day_codes_none(uni: World) -> None:
    """Seed 002: "E' obbligatorio indicare, nei casi di giustificativi orari, l'ora di inizio
    e l'ora di fine"."""
    w, ann = uni, uni.employees["ann"].id
    with pytest.raises(OfficeError, match="inizio") as hourly:
        requests.file_justification(w.session, w.users["ann"], ann, DAY, "20", now=LATER)
    assert hourly.value.field == "start"
    with pytest.raises(OfficeError, match="intera giornata"):
        requests.file_justification(w.session, w.users["ann"], ann, DAY, "39",
                                    start=600, end=700, now=LATER)


def test_codes_must_exist_that_day_be_web_codes_and_carry_what_they_require(uni: World) -> None:
    w, ann, user = uni, uni.employees["ann"].id, uni.users["ann"]
    with pytest.raises(OfficeError, match="non esiste"):
        requests.file_justification(w.session, user, ann, DAY, "99", now=LATER)
    # Code 20 arrives with seed 002's section (2023-09-01): unknown in 2023-03.
    with pytest.raises(OfficeError, match="non esiste"):
        requests.file_justification(w.session, user, ann, date(2023, 3, 1), "20",
                                    start=600, end=700, now=LATER)
    # Seed 001's 41 "commissioni" is typed at the terminal and needs nobody's approval:
    # nothing to file on the web (29, typed there too, has `approval manager`: its request
    # is the authorisation, tests/web/test_web_employee_year.py).
    with pytest.raises(OfficeError, match="terminale"):
        requests.file_justification(w.session, user, ann, date(2023, 3, 1), "41",
                                    start=600, end=700, now=LATER)
    with pytest.raises(OfficeError, match="allegato"):
        requests.file_justification(w.session, user, ann, DAY, "17", now=LATER)
    with pytest.raises(OfficeError, match="note"):
        requests.file_justification(w.session, user, ann, DAY, "49", start=900, end=930,
                                    now=LATER)


def test_a_code_without_approval_counts_as_filed(uni: World) -> None:
    w = uni
    request = requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id,
                                          DAY, "35", start=hm("15:00"), end=hm("16:00"),
                                          now=LATER)
    assert request.state == "approved" and request.decided_by is None
    assert day_result(w, "ann", DAY) is not None


def test_only_a_manager_of_the_unit_or_the_office_approves(uni: World) -> None:
    w = uni
    request = requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id,
                                          DAY, "20", start=600, end=700, now=LATER)
    for key in ("library_head", "bob", "admin", "ann"):
        with pytest.raises(NotAllowed):
            decisions.approve(w.session, w.users[key], request.id, now=LATER)
    assert [r.id for r in decisions.approval_queue(w.session, w.users["lab_head"])] == [
        request.id]
    assert decisions.approval_queue(w.session, w.users["library_head"]) == []
    decisions.approve(w.session, w.users["lab_head"], request.id, now=LATER)
    assert (request.state, request.decided_by) == ("approved", w.users["lab_head"].id)
    actions = w.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["request_filed", "request_approved"]


def test_a_manager_reads_the_requests_of_their_unit_only(uni: World) -> None:
    w = uni
    requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id,
                                DAY, "20", start=600, end=700, now=LATER)
    assert len(decisions.requests_of(w.session, w.users["lab_head"], w.employees["ann"].id)) == 1
    for key in ("library_head", "bob"):
        with pytest.raises(NotFound):
            decisions.requests_of(w.session, w.users[key], w.employees["ann"].id)
    with pytest.raises(NotFound):  # not even a reason to refuse before the wall
        decisions.reject(w.session, w.users["library_head"], 10**6, "")


def test_one_files_only_for_oneself_unless_personnel_office(uni: World) -> None:
    w = uni
    with pytest.raises(NotAllowed):
        requests.file_justification(w.session, w.users["bob"], w.employees["ann"].id, DAY,
                                    "20", start=600, end=700, now=LATER)
    filed = requests.file_justification(w.session, w.users["office"], w.employees["ann"].id,
                                        DAY, "20", start=600, end=700, now=LATER)
    assert filed.created_by == w.users["office"].id


def test_reject_needs_a_reason_and_withdraw_only_while_pending(uni: World) -> None:
    w = uni
    first = requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id, DAY,
                                        "20", start=600, end=700, now=LATER)
    with pytest.raises(OfficeError, match="motivo"):
        decisions.reject(w.session, w.users["lab_head"], first.id, "", now=LATER)
    decisions.reject(w.session, w.users["lab_head"], first.id, "missione non autorizzata",
                     now=LATER)
    with pytest.raises(OfficeError, match="in attesa"):
        decisions.withdraw(w.session, w.users["ann"], first.id, now=LATER)
    second = requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id,
                                         DAY, "20", start=600, end=700, now=LATER)
    decisions.withdraw(w.session, w.users["ann"], second.id, now=LATER)
    assert (first.state, second.state) == ("rejected", "withdrawn")
    assert day_result(w, "ann", DAY) is None  # nothing approved, nothing recomputed


def test_overlapping_justifications_are_refused(uni: World) -> None:
    w, ann = uni, uni.employees["ann"].id
    requests.file_justification(w.session, w.users["ann"], ann, DAY, "20", start=600, end=700,
                                now=LATER)
    with pytest.raises(OfficeError, match="già"):
        requests.file_justification(w.session, w.users["ann"], ann, DAY, "36", start=650,
                                    end=720, now=LATER)


def test_missed_stamp_after_0830_of_the_next_day_is_refused(school: World) -> None:
    """Seed 003: "Da inviare entro le ore 08.30 del giorno successivo"; "Non è ammessa
    giustificazione oltre il termine sopra indicato"."""
    w, ann = school, school.employees["ann"].id
    w.stamps("ann", DAY, "in 07:30")
    on_time = requests.file_missed_stamp(w.session, w.users["ann"], ann, DAY, hm("14:42"),
                                         "out", "badge dimenticato in ufficio",
                                         now=at(date(2026, 3, 17), "08:30"))
    assert on_time.state == "pending"
    with pytest.raises(OfficeError, match="entro 17/03/2026 08:30"):
        requests.file_missed_stamp(w.session, w.users["bob"], w.employees["bob"].id, DAY,
                                   hm("07:30"), "in", "badge dimenticato",
                                   now=at(date(2026, 3, 17), "08:31"))
    # The office may still record it from the emergency register; the audit says late.
    late = requests.file_missed_stamp(w.session, w.users["office"], w.employees["bob"].id, DAY,
                                      hm("07:30"), "in", "registro di emergenza",
                                      now=at(date(2026, 3, 17), "09:00"))
    entry = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.target == f"request:{late.id}")).one()
    assert entry.detail["late"] is True


def test_an_approved_missed_stamp_closes_the_day(school: World) -> None:
    """Seed 003: the missed exit, declared and authorised by the DSGA, pairs the entry."""
    w = school
    w.stamps("ann", DAY, "in 07:30, out 13:00, in 13:30")
    requests.file_missed_stamp(w.session, w.users["ann"], w.employees["ann"].id, DAY,
                               hm("15:12"), "out", "uscita senza badge",
                               now=at(DAY, "16:00"))
    w.session.commit()
    [pending] = decisions.approval_queue(w.session, w.users["office"])
    decisions.approve(w.session, w.users["office"], pending.id, now=at(DAY, "17:00"))
    result = day_result(w, "ann", DAY)
    assert result is not None
    assert (result.worked, result.balance, result.anomalies) == (hm("07:12"), 0, 0)


def test_missed_stamp_needs_circumstances_and_no_future(school: World) -> None:
    """Seed 002: "compilare dettagliatamente le note indicando le circostanze specifiche"."""
    w, ann = school, school.employees["ann"].id
    with pytest.raises(OfficeError, match="circostanze"):
        requests.file_missed_stamp(w.session, w.users["ann"], ann, DAY, 600, "in", " ",
                                   now=at(DAY, "12:00"))
    with pytest.raises(OfficeError, match="futura"):
        requests.file_missed_stamp(w.session, w.users["ann"], ann, DAY, hm("13:00"), "out",
                                   "dimenticato", now=at(DAY, "12:00"))


def test_overtime_authorised_clears_the_needs_approval_anomaly(school: World) -> None:
    """Seed 003: "contabilizzazione separata, previa digitazione dell'apposito codice, delle
    ore di lavoro straordinario ... previa specifica autorizzazione scritta del Dirigente e/o
    del Direttore Amministrativo"."""
    w = school
    w.stamps("ann", DAY, "in 07:30, out 13:00, in 13:30, out 16:12 code STRP")
    # "preventivamente autorizzato": asked before the day (approval director prior)
    request = requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id, DAY,
                                     "paid", now=at(date(2026, 3, 13), "12:00"))
    assert request.code == "STRP"
    with pytest.raises(NotAllowed, match="dirigente"):
        decisions.approve(w.session, w.users["lab_head"], request.id, now=LATER)
    decisions.approve(w.session, w.users["office"], request.id, now=LATER)
    result = day_result(w, "ann", DAY)
    assert result is not None
    assert result.data["overtime_paid"] == 60 and result.data["anomalies"] == []
    with pytest.raises(OfficeError, match="non è uno straordinario retribuito"):
        requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id, DAY, "paid",
                               code="PB", now=LATER)


def test_university_has_no_overtime_code(uni: World) -> None:
    with pytest.raises(OfficeError, match="non prevedono"):
        requests.file_overtime(uni.session, uni.users["ann"], uni.employees["ann"].id, DAY,
                               "banked", now=LATER)


def _filed(w: World, key: str) -> int:
    return w.session.scalar(sa.select(sa.func.count()).select_from(RequestRow).where(
        RequestRow.employee_id == w.employees[key].id)) or 0


def test_a_note_is_at_most_2000_characters_and_a_rejection_note_500(uni: World) -> None:
    """A 9 MB note made every listing that shows it 9 MB."""
    w, ann = uni, uni.employees["ann"].id
    with pytest.raises(OfficeError, match="al massimo 2000 caratteri") as refused:
        requests.file_justification(w.session, w.users["ann"], ann, DAY, "20", start=600,
                                    end=700, notes="x" * 2001, now=LATER)
    assert refused.value.field == "notes" and _filed(w, "ann") == 0
    with pytest.raises(OfficeError, match="al massimo 2000") as refused:
        requests.file_missed_stamp(w.session, w.users["ann"], ann, DAY, 600, "in",
                                   "x" * 2001, now=LATER)
    assert refused.value.field == "notes" and _filed(w, "ann") == 0
    filed = requests.file_justification(w.session, w.users["ann"], ann, DAY, "20", start=600,
                                        end=700, notes="x" * 2000, now=LATER)
    with pytest.raises(OfficeError, match="al massimo 500") as refused:
        decisions.reject(w.session, w.users["lab_head"], filed.id, "y" * 501, now=LATER)
    assert refused.value.field == "decision_note" and filed.state == "pending"


def test_a_request_is_dated_at_most_a_year_ahead_and_within_the_rules(uni: World) -> None:
    """A request dated 9999-12-31 was accepted and approved; then no page could show or
    close that month."""
    w, ann = uni, uni.employees["ann"].id
    for day in (date(9999, 12, 31), date(2027, 3, 22)):  # LATER + 367 days
        with pytest.raises(OfficeError, match="Data troppo lontana") as refused:
            requests.file_justification(w.session, w.users["office"], ann, day, "20",
                                        start=600, end=700, now=LATER)
        assert refused.value.field == "day"
        with pytest.raises(OfficeError, match="Data troppo lontana"):
            requests.file_overtime(w.session, w.users["office"], ann, day, "paid", now=LATER)
    with pytest.raises(OfficeError, match="Nessuna regola in vigore") as refused:
        requests.file_justification(w.session, w.users["office"], ann, date(1900, 1, 1),
                                    "20", start=600, end=700, now=LATER)
    assert refused.value.field == "day" and _filed(w, "ann") == 0
    a_year_on = requests.file_justification(w.session, w.users["office"], ann,
                                            date(2027, 3, 19), "20", start=600, end=700,
                                            now=LATER)
    assert a_year_on.day == date(2027, 3, 19)
