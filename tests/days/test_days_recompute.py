"""Stored day results follow every fact they depend on: one test per cause.

After each cause the stored result of the employee-day (`day_results`) must be what a
fresh evaluation of the same day gives (the engine fed by `server.days.facts` with the
rules in force that day), and the figure a person reads must have changed as the rule
says. Causes: a stamp, a late stamp for an old day, a correction, an approval, its
revocation, a rule activation, a change of profile, of part-time, a deactivation and a
reactivation. Employees have no flags of their own yet, so there is no flags cause.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fake_terminal import BROKER, FakeTerminal
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import Session
from world import World, app_on, cheap_hashing, hm, log_in, open_client, world

from server.days.dirty import pending
from server.days.employment import contracts_of, employed_on
from server.days.facts import load_facts
from server.days.month import person_months
from server.days.results import refresh_days
from server.days.rules_in_force import RulesInForce
from server.days.schedules import load_schedules
from server.days.worker import Recomputer
from server.db.directory import add_badge, add_terminal
from server.db.models import AuditEntry, DayResultRow, Employee, MonthClose, Stamp, User
from server.db.models import Request as RequestRow
from server.engine import evaluate_day
from server.errors import MonthClosed, NotAllowed, OfficeError
from server.ingest.service import IngestService
from server.ingest.settings import BrokerSettings
from server.office import decisions, rules_upload
from server.office.activation import deactivate_employee, reactivate_employee
from server.office.corrections import correct_stamp
from server.office.profiles import change_profile
from server.office.requests import file_justification, file_missed_stamp

SCHOOL_RULES = (Path(__file__).parents[2] / "plugins/school/school.rules").read_text()
# 35 hours instead of 36: the full-time day is due 7h instead of 7h12m.
SCHOOL_35H = SCHOOL_RULES.replace("        weekly 36h\n", "        weekly 35h\n", 1).replace(
    "        due 7h12m\n", "        due 7h\n", 1)
MARCH_31, APRIL_1, APRIL_7, APRIL_8 = (date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 7),
                                       date(2026, 4, 8))
APRIL_9, APRIL_13, APRIL_14, APRIL_16 = (date(2026, 4, 9), date(2026, 4, 13),
                                         date(2026, 4, 14), date(2026, 4, 16))
STORED_AT = datetime(2026, 4, 9, 17, 0, tzinfo=UTC)  # when the days were first computed
NOW = datetime(2026, 4, 14, 16, 0, tzinfo=UTC)  # 18:00 in Rome, a Tuesday
SCHOOL_DAY = 7 * 60 + 12  # seed 003: full time, 36 hours over five days


# ---- the check every test makes ---------------------------------------------------------


def fresh(session: Session, employee_id: int, day: date) -> dict[str, Any] | None:
    """The day evaluated now from the facts, as the month a person sees evaluates it; None
    when the day is not evaluated at all (no rules, or not employed then)."""
    employee = session.get(Employee, employee_id)
    assert employee is not None
    policy = RulesInForce(session, [employee.institution_id]).on(employee.institution_id, day)
    if policy is None or not employed_on(employee, day, ZoneInfo(policy.timezone),
                                         contracts_of(session, [employee])[employee.id]):
        return None
    facts = load_facts(session, [employee_id], day, day)
    key = (employee_id, day)
    # The day's schedule: the contract's profile and part-time percentage, a period's.
    schedule = load_schedules(session, [employee], day, day).get(key, employee.profile)
    result = evaluate_day(policy, schedule, day, facts.stamps.get(key, []),
                          facts.requests.get(key, []))
    return {"worked": result.worked, "due": result.due, "balance": result.balance,
            "anomalies": len(result.anomalies),
            "data": json.loads(json.dumps(result.to_json(explain=False)))}


def stored(session: Session, employee_id: int, day: date) -> dict[str, Any] | None:
    row = session.get(DayResultRow, (employee_id, day))
    if row is None:
        return None
    return {"worked": row.worked, "due": row.due, "balance": row.balance,
            "anomalies": row.anomalies, "data": row.data}


def current(session: Session, employee_id: int, day: date) -> dict[str, Any] | None:
    """The stored result, asserted equal to a fresh evaluation of the same day."""
    session.rollback()  # a new transaction: SQLite's reads see the snapshot they began with
    kept = stored(session, employee_id, day)
    assert kept == fresh(session, employee_id, day), f"day {day} of {employee_id} is stale"
    return kept


def computed_at(session: Session, employee_id: int, day: date) -> datetime | None:
    session.rollback()
    row = session.get(DayResultRow, (employee_id, day))
    return row.computed_at if row else None


def codes(result: dict[str, Any] | None) -> list[str]:
    assert result is not None
    return [a["code"] for a in result["data"]["anomalies"]]


def work_off(engine: sa.Engine) -> None:
    """What `timbra recompute` (or the ingest's thread) does with the dirty days."""
    worker = Recomputer(engine, lambda: NOW)
    try:
        while worker.run_once():
            pass
    finally:
        worker.turn.release()  # the next worker of this test must get the turn


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


# ---- worlds -----------------------------------------------------------------------------


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    """Seed 003's school: Ann, Bob (lab), Cat (library), their managers, office, admin."""
    with Session(db_engine) as session:
        yield world(session, "school")


def stamped(w: World, key: str, day: date, text: str) -> int:
    """Terminal stamps already synced, and the day computed from them at STORED_AT."""
    w.stamps(key, day, text)
    employee = w.employees[key]
    refresh_days(w.session, [(w.institution, employee.id, day)], STORED_AT)
    w.session.commit()
    return employee.id


# ---- a stamp, and a late one ------------------------------------------------------------


@pytest.fixture
def ingest(db_engine: sa.Engine, school: World) -> Iterator[tuple[World, FakeTerminal]]:
    """The ingest service on the real Mosquitto, its clock at NOW; Ann's badge 1001."""
    code = f"t{uuid.uuid4().hex[:10]}"  # unique: no retained message of another run
    add_badge(school.session, school.employees["ann"], "1001")
    add_terminal(school.session, "school", code)
    school.session.commit()
    service = IngestService(db_engine, BrokerSettings(
        host=BROKER[0], port=BROKER[1], client_id=f"ingest-{uuid.uuid4().hex[:8]}",
        session_expiry_s=60), clock=lambda: NOW)
    service.start()
    assert service.connected.wait(10), "Mosquitto must be running at 127.0.0.1:1883"
    terminal = FakeTerminal("school", code)
    try:
        yield school, terminal
    finally:
        terminal.close()
        service.stop()


def seen(w: World, employee_id: int, day: date, stamps: int) -> Callable[[], bool]:
    def check() -> bool:
        w.session.rollback()
        row = w.session.get(DayResultRow, (employee_id, day))
        return row is not None and row.stamps_seen == stamps
    return check


def test_a_stamp_recomputes_its_day(ingest: tuple[World, FakeTerminal]) -> None:
    """Seed 003: "per ogni entrata deve seguire un'uscita": the entry alone is an unpaired
    stamp; the exit arriving from the terminal closes the day at 7h12m."""
    w, terminal = ingest
    ann = stamped(w, "ann", APRIL_14, "in 07:30")
    assert "unpaired_stamps" in codes(current(w.session, ann, APRIL_14))
    terminal.stamp(1, "2026-04-14T14:42:00")
    wait_until(seen(w, ann, APRIL_14, 2))
    day = current(w.session, ann, APRIL_14)
    assert day is not None and (day["worked"], day["balance"], day["anomalies"]) == (
        SCHOOL_DAY, 0, 0)


def test_a_late_stamp_for_an_old_day_recomputes_that_day(
        ingest: tuple[World, FakeTerminal]) -> None:
    """A terminal offline since 8 April replays that day's exit on the 14th: seed 003, "le
    timbrature ... potranno essere scaricate dall'ufficio successivamente"."""
    w, terminal = ingest
    ann = stamped(w, "ann", APRIL_8, "in 07:30")
    assert current(w.session, ann, APRIL_8)["worked"] == 0  # type: ignore[index]
    terminal.stamp(1, "2026-04-08T14:42:00")
    wait_until(seen(w, ann, APRIL_8, 2))
    late = w.session.scalars(sa.select(Stamp).where(Stamp.local_minute == hm("14:42"))).one()
    assert "late" in late.flags.split(",")
    day = current(w.session, ann, APRIL_8)
    assert day is not None and (day["worked"], day["balance"]) == (SCHOOL_DAY, 0)


# ---- the office's changes ---------------------------------------------------------------


def test_a_correction_recomputes_the_day(school: World) -> None:
    """Seed 003: when the terminal fails "le presenze saranno accertate mediante il ricorso
    ad un registro di emergenza": the office corrects the exit from the register."""
    w = school
    ann = stamped(w, "ann", APRIL_8, "in 07:30, out 13:42")
    assert current(w.session, ann, APRIL_8)["balance"] == -60  # type: ignore[index]
    exit_row = w.session.scalars(sa.select(Stamp).where(
        Stamp.employee_id == ann, Stamp.local_minute == hm("13:42"))).one()
    correct_stamp(w.session, w.users["office"], exit_row.id, minute=hm("14:42"),
                  direction="out", code=None, reason="registro di emergenza", now=NOW)
    w.session.commit()
    day = current(w.session, ann, APRIL_8)
    assert day is not None and (day["worked"], day["balance"]) == (SCHOOL_DAY, 0)
    assert computed_at(w.session, ann, APRIL_8) == NOW


def missed_exit(w: World, day: date) -> RequestRow:
    """Ann declares the exit she did not stamp; seed 003 Art. 5: "Il dipendente dovrà
    provvedere nella stessa giornata o al massimo entro la giornata successiva
    all'autocertificazione degli orari di ingresso e/o uscita"."""
    filed = datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)  # that evening
    return file_missed_stamp(w.session, w.users["ann"], w.employees["ann"].id, day,
                             hm("14:42"), "out", "badge dimenticato a casa", now=filed)


def test_an_approval_recomputes_the_day(school: World) -> None:
    w = school
    ann = stamped(w, "ann", APRIL_13, "in 07:30")
    request = missed_exit(w, APRIL_13)
    w.session.commit()
    assert current(w.session, ann, APRIL_13)["worked"] == 0  # type: ignore[index]
    decisions.approve(w.session, w.users["office"], request.id, now=NOW)
    w.session.commit()
    day = current(w.session, ann, APRIL_13)
    assert day is not None and (day["worked"], day["balance"], day["anomalies"]) == (
        SCHOOL_DAY, 0, 0)


def test_revoking_an_approval_recomputes_the_day_without_it(school: World) -> None:
    w = school
    ann = stamped(w, "ann", APRIL_13, "in 07:30")
    before = current(w.session, ann, APRIL_13)
    request = missed_exit(w, APRIL_13)
    director = w.user("dsga", "manager", unit=None)  # missed_stamp approval director
    decisions.approve(w.session, director, request.id, now=NOW)
    w.session.commit()
    assert current(w.session, ann, APRIL_13)["worked"] == SCHOOL_DAY  # type: ignore[index]
    decisions.revoke(w.session, w.users["office"], request.id,
                     "l'uscita alle 14:42 non risulta dal registro", now=NOW)
    w.session.commit()
    assert current(w.session, ann, APRIL_13) == before
    assert "unpaired_stamps" in codes(before)
    w.session.refresh(request)
    assert (request.state, request.decision_note, request.decided_by) == (
        "revoked", "l'uscita alle 14:42 non risulta dal registro", w.users["office"].id)
    entry = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "request_revoked")).one()
    assert entry.detail["approved_by"] == director.id
    assert entry.target == f"request:{request.id}"


def test_a_revocation_is_refused_unless_the_office_revokes_an_approved_request_of_an_open_month(
        school: World) -> None:
    w = school
    stamped(w, "ann", APRIL_13, "in 07:30")
    request = missed_exit(w, APRIL_13)
    w.session.commit()
    with pytest.raises(OfficeError, match="approvata"):  # still pending: nothing to revoke
        decisions.revoke(w.session, w.users["office"], request.id, "errore", now=NOW)
    decisions.approve(w.session, w.users["office"], request.id, now=NOW)
    w.session.commit()
    with pytest.raises(NotAllowed):  # the manager who approved cannot take it back
        decisions.revoke(w.session, w.users["lab_head"], request.id, "errore", now=NOW)
    with pytest.raises(OfficeError, match="motivo"):
        decisions.revoke(w.session, w.users["office"], request.id, "  ", now=NOW)
    with pytest.raises(OfficeError, match="troppo lungo"):
        decisions.revoke(w.session, w.users["office"], request.id, "x" * 501, now=NOW)
    w.session.add(MonthClose(institution_id="school", year=2026, month=4, state="closed",
                             done=3, total=3, started_by=w.users["office"].id,
                             started_at=NOW, closed_at=NOW))
    w.session.commit()
    with pytest.raises(MonthClosed):
        decisions.revoke(w.session, w.users["office"], request.id, "errore", now=NOW)
    w.session.rollback()
    w.session.refresh(request)
    assert request.state == "approved"
    assert not w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "request_revoked")).all()


def test_a_rule_activation_recomputes_every_stored_day_from_its_date_and_none_before(
        school: World, web: sa.Engine) -> None:
    """Principle 4: "a month is computed with the rules in force then". The school moves
    to 35 hours from 1 April: every employee's stored April days are due 7h, March stays
    as it was computed."""
    w = school
    ann = stamped(w, "ann", MARCH_31, "in 07:30, out 14:42")
    stamped(w, "ann", APRIL_7, "in 07:30, out 14:00")  # 6h30: 30m short of the new 7h
    bob = stamped(w, "bob", APRIL_7, "in 07:30, out 14:30")
    cat = stamped(w, "cat", APRIL_9, "in 08:00, out 15:00")
    draft = rules_upload.upload_rules(w.session, w.users["admin"], "school-35h.rules",
                                      SCHOOL_35H, now=NOW)
    rules_upload.activate(w.session, w.users["admin"], draft.id, APRIL_1, now=NOW)
    w.session.commit()
    # Marked in the activation's own transaction: a crash now still recomputes them.
    assert sorted(pending(w.session)) == [(ann, APRIL_7), (bob, APRIL_7), (cat, APRIL_9)]
    work_off(web)
    assert pending(w.session) == []
    april = {key: current(w.session, *key) for key in ((ann, APRIL_7), (bob, APRIL_7),
                                                       (cat, APRIL_9))}
    assert {key: (d["due"], d["balance"]) for key, d in april.items() if d} == {
        (ann, APRIL_7): (420, -30), (bob, APRIL_7): (420, 0), (cat, APRIL_9): (420, 0)}
    march = current(w.session, ann, MARCH_31)
    assert march is not None and march["due"] == SCHOOL_DAY
    assert computed_at(w.session, ann, MARCH_31) == STORED_AT


@pytest.fixture
def cheap() -> Iterator[PasswordHasher]:
    with cheap_hashing() as hasher:
        yield hasher


def signed_in(w: World, web: sa.Engine, stack: ExitStack, hasher: PasswordHasher, key: str,
              tmp_path: Path) -> TestClient[Litestar]:
    """A client of an app on the `web` engine (nothing but the web runs), logged in."""
    user = w.users[key]
    w.session.execute(sa.update(User).where(User.id == user.id).values(
        password_hash=hasher.hash("una parola lunga 1!")))
    w.session.commit()
    client = open_client(app_on(web, tmp_path), stack)
    assert log_in(client, user.username, "una parola lunga 1!").status_code == 303
    return client


def csrf(client: TestClient[Any]) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("timbra_csrf", "")}


def test_with_only_the_web_running_an_activation_s_days_are_worked_off(
        school: World, web: sa.Engine, stack: ExitStack, cheap: PasswordHasher,
        tmp_path: Path) -> None:
    w = school
    ann = stamped(w, "ann", APRIL_7, "in 07:30, out 14:00")  # 6h30: 30m short of the new 7h
    draft = rules_upload.upload_rules(w.session, w.users["admin"], "school-35h.rules",
                                      SCHOOL_35H, now=NOW)
    w.session.commit()
    admin = signed_in(w, web, stack, cheap, "admin", tmp_path)
    answer = admin.post(f"/api/v1/admin/rules/{draft.id}/activate",
                        json={"active_from": "2026-04-01"}, headers=csrf(admin))
    assert answer.status_code == 200, answer.text
    wait_until(lambda: (w.session.rollback() or stored(w.session, ann, APRIL_7) or {}).get(
        "due") == 420)
    assert current(w.session, ann, APRIL_7)["balance"] == -30  # type: ignore[index]
    wait_until(lambda: w.session.rollback() or pending(w.session) == [])


def test_the_office_revokes_an_approval_through_the_api_and_the_page(
        school: World, web: sa.Engine, stack: ExitStack, cheap: PasswordHasher,
        tmp_path: Path) -> None:
    w = school
    ann = stamped(w, "ann", APRIL_13, "in 07:30")
    first, second = missed_exit(w, APRIL_13), missed_exit(w, APRIL_14)
    for request in (first, second):
        decisions.approve(w.session, w.users["office"], request.id, now=NOW)
    w.session.commit()
    office = signed_in(w, web, stack, cheap, "office", tmp_path)
    refused = office.post(f"/api/v1/requests/{first.id}/revoke", json={"reason": ""},
                          headers=csrf(office))
    assert refused.status_code == 400 and "motivo" in refused.text
    answer = office.post(f"/api/v1/requests/{first.id}/revoke",
                         json={"reason": "uscita non confermata"}, headers=csrf(office))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["state_label"]) == (
        "revoked", "Revocata")
    assert current(w.session, ann, APRIL_13)["worked"] == 0  # type: ignore[index]
    again = office.post(f"/api/v1/requests/{first.id}/revoke",
                        json={"reason": "di nuovo"}, headers=csrf(office))
    assert again.status_code == 400
    page = office.get(f"/requests/{second.id}").text
    assert f'action="/approvals/{second.id}/revoke"' in page
    posted = office.post(f"/approvals/{second.id}/revoke", data={
        "reason": "uscita non confermata", "_csrf_token": csrf(office)["x-csrftoken"]},
        follow_redirects=False)
    assert posted.status_code == 303
    shown = office.get(posted.headers["location"]).text
    assert "Revocata" in shown and "uscita non confermata" in shown
    assert "/revoke" not in shown
    assert current(w.session, ann, APRIL_14) is not None


def test_a_profile_change_recomputes_the_days_from_its_date(school: World) -> None:
    """Seed 003: part-time staff "per 3 giorni lavorativi ... con orario giornaliero di 6
    ore": Ann moves to part time from 1 April; until her record names her three days, 7
    April owes nothing and says the days are missing (`days choose 3 of mon..fri`)."""
    w = school
    ann = stamped(w, "ann", MARCH_31, "in 07:30, out 13:30")
    stamped(w, "ann", APRIL_7, "in 07:30, out 13:30")
    assert current(w.session, ann, APRIL_7)["balance"] == 360 - SCHOOL_DAY  # type: ignore[index]
    change_profile(w.session, w.users["office"], ann, profile="part_time_vertical",
                   effective=APRIL_1, now=NOW)
    w.session.commit()
    day = current(w.session, ann, APRIL_7)
    # Nothing due, and the six hours are not credited: in the school, work beyond the due
    # counts only with an approved overtime request (school.rules `unauthorised
    # not_credited`, seed 003 "senza preventiva autorizzazione").
    assert day is not None and (day["due"], day["balance"]) == (0, 0)
    assert day["anomalies"] == 1
    assert [a["code"] for a in day["data"]["anomalies"]] == ["schedule_missing"]
    assert computed_at(w.session, ann, MARCH_31) == STORED_AT


def test_a_part_time_change_recomputes_the_days_from_its_date(school: World) -> None:
    """Seed 002: "In caso di rapporto di lavoro part time, le 72 ore saranno da
    riparametrare alla percentuale del part time stesso": timbra scales the day's due of a
    full-time profile ("time full") by the contract's percentage in the same way. Ann goes
    to 50% from 1 April: 7 April owes half of 7h12m, and says why."""
    w = school
    ann = stamped(w, "ann", APRIL_7, "in 07:30, out 14:42")
    assert current(w.session, ann, APRIL_7)["due"] == SCHOOL_DAY  # type: ignore[index]
    change_profile(w.session, w.users["office"], ann, part_time_percent=50, effective=APRIL_1,
                   now=NOW)
    w.session.commit()
    assert computed_at(w.session, ann, APRIL_7) == NOW
    day = current(w.session, ann, APRIL_7)
    assert day is not None and day["due"] == SCHOOL_DAY // 2
    # A stored day keeps no explanation; the month the pages compute says why.
    month = person_months(w.session, RulesInForce(w.session, [w.institution]),
                          [w.session.get(Employee, ann)], 2026, 4, now=NOW)[ann]
    shown = next(d for d in month.result.days if d.day == APRIL_7)
    assert "7h12 at the contract's 50% part time" in json.dumps(shown.to_json())


@pytest.fixture
def university(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "university")


def test_a_deactivation_leaves_no_day_due_after_it_and_a_reactivation_brings_them_back(
        university: World) -> None:
    """Ann is approved a training day on 16 April (seed 002, "Corso di aggiornamento intera
    giornata"), then leaves on the 14th: the 16th is no longer hers to be due or credited.
    Her last day keeps the stamps she made before leaving. Reactivated, the 16th returns."""
    w = university
    ann = stamped(w, "ann", APRIL_14, "in 08:00, out 16:00")
    course = file_justification(w.session, w.users["ann"], ann, APRIL_16, "39", now=NOW)
    decisions.approve(w.session, w.users["lab_head"], course.id, now=NOW)
    w.session.commit()
    last_day = current(w.session, ann, APRIL_14)
    assert (current(w.session, ann, APRIL_16) or {}).get("due") == 7 * 60 + 15
    deactivate_employee(w.session, w.users["office"], ann, reason="trasferita", now=NOW)
    w.session.commit()
    assert current(w.session, ann, APRIL_16) is None
    assert current(w.session, ann, APRIL_14) == last_day
    reactivate_employee(w.session, w.users["office"], ann, reason="riga sbagliata",
                        now=NOW + timedelta(hours=1))
    w.session.commit()
    back = current(w.session, ann, APRIL_16)
    assert back is not None and back["due"] == 7 * 60 + 15 and back["anomalies"] == 0


def test_days_left_marked_by_a_stopped_web_are_worked_off_when_it_starts_again(
        school: World, web: sa.Engine, stack: ExitStack, cheap: PasswordHasher,
        tmp_path: Path) -> None:
    w = school
    ann = stamped(w, "ann", APRIL_7, "in 07:30, out 14:42")
    draft = rules_upload.upload_rules(w.session, w.users["admin"], "school-35h.rules",
                                      SCHOOL_35H, now=NOW)
    rules_upload.activate(w.session, w.users["admin"], draft.id, APRIL_1, now=NOW)
    w.session.commit()  # committed, and the process stopped before working them off
    assert pending(w.session) == [(ann, APRIL_7)]
    signed_in(w, web, stack, cheap, "ann", tmp_path)  # the web starts again
    wait_until(lambda: w.session.rollback() or pending(w.session) == [])
    assert current(w.session, ann, APRIL_7)["due"] == 420  # type: ignore[index]
