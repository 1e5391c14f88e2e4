"""The personnel office's pages: corrections, signature sheets, month close and reopen,
missed-stamp flags, badge fees, the reports of seed 001."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from web_pages import (
    Client,
    activate_rules,
    form,
    json_headers,
    last_month,
    plain_days,
    signed_in,
)
from world import WebWorld, fresh_web_world

from server.db.directory import add_employee
from server.db.models import AuditEntry, Badge, BadgeFee, Stamp, User
from server.db.models import Request as RequestRow
from server.i18n.formats import month_label
from server.ingest.lookup import Lookup
from server.office.fees import replace_badge
from server.office.reports import hours


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world



def _first_stamp(world: WebWorld, institution: str, employee: str, day: str) -> Stamp:
    with Session(world.engine) as session:
        found = session.scalar(sa.select(Stamp).where(
            Stamp.employee_id == world.ids[(institution, employee)],
            Stamp.local_date == date.fromisoformat(day)).order_by(Stamp.local_minute))
        assert found is not None
        return found


def test_office_corrects_a_stamp_and_both_original_and_correction_show(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    day = plain_days(office, me)[0]["date"]
    original = _first_stamp(world, "university", "self_employee", day)
    corrected = office.post(f"/office/stamps/{original.id}/correct", data=form(
        office, time="07:45", direction="in", reason="guasto del terminale"),
        follow_redirects=False)
    assert corrected.status_code == 303
    page = office.get(corrected.headers["location"]).text
    assert "sostituita da #" in page and f"corregge #{original.id}" in page
    assert "university.personale: «guasto del terminale»" in page
    stamps = office.get(f"/api/v1/stamps/{me}?day={day}").json()
    old = next(s for s in stamps if s["id"] == original.id)
    new = next(s for s in stamps if s["replaces_id"] == original.id)
    assert (old["in_force"], new["in_force"], new["minute"], new["reason"]) == (
        False, True, 7 * 60 + 45, "guasto del terminale")
    # The employee's timecard now counts the corrected time, marked as a correction.
    timecard = office.get(f"/api/v1/timecard/{me}?month={day[:7]}").json()
    first = next(d for d in timecard["days"] if d["date"] == day)["stamps"][0]
    assert (first["time"], first["corrected"]) == ("07:45", True)
    # A correction without a reason is refused and changes nothing.
    refused = office.post(f"/office/stamps/{new['id']}/correct",
                          data=form(office, time="07:40", direction="in", reason=""))
    assert refused.status_code == 400 and "motivo" in refused.text


def test_signature_sheets_are_transcribed_for_staff_who_do_not_stamp(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 000: auxiliary staff sign sheets with their entry and exit times."""
    with Session(world.engine) as session, session.begin():
        auxiliary = add_employee(session, "chamber", "A001", "Anna Ausiliaria",
                                 profile="auxiliary").id
    office = signed_in(world, stack, "chamber", "office")
    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    lines = f"{monday:%d/%m/%Y} 07:30 14:42\n{monday + timedelta(days=1):%d/%m/%Y} 07:28 14:40"
    wrong = office.post("/office/sheets", data=form(
        office, employee_id=str(auxiliary), sheet="settimana", lines=lines + "\n32/13/2026 x y"))
    assert wrong.status_code == 400
    with Session(world.engine) as session:
        assert not session.scalars(sa.select(Stamp).where(Stamp.employee_id == auxiliary)).all()
    done = office.post("/office/sheets", data=form(
        office, employee_id=str(auxiliary), sheet="settimana", lines=lines),
        follow_redirects=True)
    assert done.status_code == 200 and "Registrati 2 giorni" in done.text
    stamps = office.get(f"/api/v1/stamps/{auxiliary}?day={monday.isoformat()}").json()
    assert [(s["minute"], s["direction"], s["source"]) for s in stamps] == [
        (450, "in", "manual"), (882, "out", "manual")]


def _wait_closed(office: Client, month: str) -> list[dict[str, object]]:
    seen = []
    for _ in range(200):
        progress = office.get(f"/api/v1/closes/{month}").json()
        seen.append(progress)
        if progress["state"] == "closed":
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the close of {month} did not end: {seen[-1]}")


def test_closing_a_month_shows_progress_then_refuses_requests_and_reopen_is_audited(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    employee = signed_in(world, stack, "university", "employee")
    month = last_month()
    day = plain_days(employee, world.ids[("university", "self_employee")])[0]["date"]
    started = office.post("/office/close", data=form(
        office, month=month, reason="assenze del demo da giustificare"), follow_redirects=False)
    assert started.status_code == 303
    page = office.get(started.headers["location"]).text
    assert '<progress id="close-bar"' in page
    seen = _wait_closed(office, month)
    assert all(p["total"] == seen[-1]["total"] > 0 for p in seen)
    assert seen[-1]["done"] == seen[-1]["total"] and seen[-1]["percent"] == 100
    assert "Chiuso" in office.get(f"/office/close?month={month}").text
    refused = employee.post("/api/v1/requests", json={
        "kind": "justification", "day": day, "code": "20", "start": "18:00", "end": "19:00"},
        headers=json_headers(employee))
    assert refused.status_code == 409 and "chiuso" in refused.json()["detail"]
    page_refusal = employee.post("/requests/justification", data=form(
        employee, code="20", day=day, start="18:00", end="19:00"),
        files={"attachment": ("", b"", "application/octet-stream")})
    assert page_refusal.status_code == 409 and "chiuso" in page_refusal.text
    assert office.post("/office/close/reopen", data=form(office, month=month, reason=""),
                       ).status_code == 400
    reopened = office.post("/office/close/reopen", data=form(
        office, month=month, reason="correzione tardiva del cartellino"),
        follow_redirects=False)
    assert reopened.status_code == 303
    page = office.get(f"/office/close?month={month}").text
    # Reopened: it says so, and no longer shows the last close's "3 / 3" as if under way.
    assert "Riaperto" in page and "close-total" not in page
    with Session(world.engine) as session:
        entry = session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "month_reopened", AuditEntry.institution_id == "university"))
        clerk = session.scalar(sa.select(User.id).where(
            User.username == "university.personale"))
    assert entry is not None and entry.detail["reason"] == "correzione tardiva del cartellino"
    assert entry.user_id == clerk and entry.target == f"month:{month}"
    assert employee.post("/api/v1/requests", json={
        "kind": "justification", "day": day, "code": "20", "start": "18:00", "end": "19:00"},
        headers=json_headers(employee)).status_code == 201


def test_the_precheck_lists_what_is_open_and_the_close_needs_a_reason_for_it(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 002: "La mancata giustificazione delle giornate in anomalia non consente: ...
    la chiusura del mese"; a pending request could no longer be decided once it locks."""
    office = signed_in(world, stack, "university", "office")
    employee = signed_in(world, stack, "university", "employee")
    month, me = last_month(), world.ids[("university", "self_employee")]
    day = plain_days(employee, me)[0]["date"]
    filed = employee.post("/api/v1/requests", json={
        "kind": "justification", "day": day, "code": "20", "start": "18:00", "end": "19:00"},
        headers=json_headers(employee))
    assert filed.status_code == 201
    check = office.get(f"/api/v1/closes/{month}/precheck").json()
    mine = next(e for e in check["employees"] if e["employee_id"] == me)
    timecard = office.get(f"/api/v1/summaries/{me}?month={month}").json()
    assert mine["pending_requests"] == 1 == timecard["pending_requests"]
    assert mine["open_anomalies"] == len(timecard["anomalies"])
    assert check["pending_requests"] == sum(e["pending_requests"] for e in check["employees"])
    assert not check["clear"]
    page = office.get(f"/office/close/check?month={month}").text
    assert 'id="precheck-list"' in page and f"{mine['number']} · {mine['name']}" in page
    back = page.split("‹", 1)[1].split("</a>", 1)[0]
    assert month not in back, back  # the month reads as words (its heading), not 2026-11
    assert 'name="reason" required' in page
    # A forged form without the reason (the page requires it): refused, nothing changes.
    refused = office.post("/office/close", data=form(office, month=month, reason=""))
    assert refused.status_code == 400 and "indica il motivo" in refused.text
    assert 'id="precheck-list"' in refused.text  # back on the list, with the error
    too_long = office.post("/office/close", data=form(office, month=month, reason="x" * 501))
    assert too_long.status_code == 400 and "500 caratteri" in too_long.text
    assert office.get(f"/api/v1/closes/{month}").json()["state"] is None
    with Session(world.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "month_close_started")) == 0
    started = office.post("/office/close", data=form(
        office, month=month, reason="paghe in scadenza: le anomalie restano al responsabile"),
        follow_redirects=False)
    assert started.status_code == 303
    _wait_closed(office, month)
    with Session(world.engine) as session:
        entry = session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "month_close_started",
            AuditEntry.institution_id == "university"))
        locked = session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "month_closed", AuditEntry.institution_id == "university"))
    # The start records the requests it overrode; the close, the anomalies it locked with.
    assert entry is not None and entry.detail["reason"].startswith("paghe in scadenza")
    assert locked is not None
    assert (entry.detail["pending_requests"], locked.detail.get("open_anomalies", 0)) == (
        check["pending_requests"], check["open_anomalies"])
    # Closed: the page shows the figures the close stored, the same as the API's.
    figures = office.get(f"/api/v1/closes/{month}/figures").json()
    stored = next(f for f in figures if f["employee_id"] == me)
    assert (stored["worked"], stored["due"], stored["balance"], stored["anomalies"]) == (
        timecard["worked"], timecard["due"], timecard["balance"], len(timecard["anomalies"]))
    closed = office.get(f"/office/close?month={month}").text
    assert 'id="close-figures"' in closed and f"{stored['number']} · {stored['name']}" in closed
    history = closed.split('href="/office/close?month=' + month + '">', 1)[1].split("</a>", 1)[0]
    assert history == month_label(month, "it"), history


def test_a_month_not_yet_ended_cannot_be_closed(world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "school", "office")
    this_month = date.today().strftime("%Y-%m")
    refused = office.post("/office/close", data=form(office, month=this_month))
    assert refused.status_code == 400 and "non è ancora finito" in refused.text
    assert office.get(f"/api/v1/closes/{this_month}").json()["state"] is None


def test_more_than_three_missed_stamps_in_a_month_are_flagged(world: WebWorld,
                                                             stack: ExitStack) -> None:
    """Seed 003: "Oltre le tre mancate timbrature il DS può muovere contestazione"."""
    # M900 has no demo stamps, so the four declared here are all the missed stamps it has.
    colleague = world.ids[("school", "other_unit")]
    first = date.fromisoformat(last_month() + "-01")
    with Session(world.engine) as session, session.begin():
        clerk = session.scalar(sa.select(User.id).where(User.username == "school.personale"))
        assert clerk is not None
        # Two days of forgotten entry and exit, declared: 4 missed stamps, none unpaired
        # (the engine also counts unpaired days as missed stamps).
        for offset in range(2):
            for minute, direction in ((8 * 60, "in"), (14 * 60, "out")):
                session.add(RequestRow(
                    institution_id="school", employee_id=colleague, kind="missed_stamp",
                    day=first + timedelta(days=offset), start_minute=minute,
                    direction=direction, notes="dimenticato", state="approved",
                    created_by=clerk, created_at=datetime.now(UTC)))
    office = signed_in(world, stack, "school", "office")
    flags = office.get(f"/api/v1/flags?month={last_month()}").json()
    assert [(f["flag"], f["count"]) for f in flags if f["employee_id"] == colleague] == [
        ("missed_stamps", 4)]
    page = office.get(f"/office/flags?month={last_month()}").text
    assert "Altra Persona" in page and "school.rules:" in page
    manager = signed_in(world, stack, "school", "manager")  # of another unit than M900
    assert colleague not in [f["employee_id"] for f in
                             manager.get(f"/api/v1/flags?month={last_month()}").json()]


def test_school_badge_replacement_through_the_web_still_costs_5_then_10_euros(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 003, art. 3: "una somma pari a 5 euro per la prima richiesta ed a 10 euro per
    le successive" (school.rules: `fee badge_replacement 5.00 EUR then 10.00 EUR`)."""
    office = signed_in(world, stack, "school", "office")
    assert "badge_replacement: 5,00 € la prima volta, poi 10,00 €" in office.get(
        "/office/fees").text
    me = str(world.ids[("school", "self_employee")])
    for badge in ("SCH9001", "SCH9002"):
        posted = office.post("/office/fees", data=form(
            office, employee_id=me, reason="lost", new_badge=badge), follow_redirects=False)
        assert posted.status_code == 303
    assert "costo addebitato" in office.get(posted.headers["location"]).text
    fees = office.get("/api/v1/fees").json()
    assert [f["euros"] for f in fees] == ["10,00", "5,00"]
    assert fees[0]["badge_code"] == "SCH9001"  # the second time, the badge given the first


def test_badge_fees_are_the_activated_rule_files(world: WebWorld, stack: ExitStack) -> None:
    """The school activates a file with `fee badge_replacement 7.00 EUR then 12.00 EUR`
    in place of its plugin's 5 then 10: the page lists the new amounts and charges them."""
    activate_rules(world, stack, "school",
                   lambda text: text.replace("fee badge_replacement 5.00 EUR then 10.00 EUR",
                                             "fee badge_replacement 7.00 EUR then 12.00 EUR",
                                             1),
                   "liceo-tariffe.rules")
    office = signed_in(world, stack, "school", "office")
    assert "badge_replacement: 7,00 € la prima volta, poi 12,00 €" in office.get(
        "/office/fees").text
    me = world.ids[("school", "self_employee")]
    for badge in ("SCH9101", "SCH9102"):
        charged = office.post("/api/v1/fees", json={
            "employee_id": me, "reason": "lost", "new_badge": badge},
            headers=json_headers(office))
        assert charged.status_code == 201, charged.text
    assert [f["euros"] for f in office.get("/api/v1/fees").json()] == ["12,00", "7,00"]
    # From the 1st at local midnight, still the month before in UTC; a minute earlier the
    # plugin's file charges (its "10 euro per le successive").
    first = date.today().replace(day=1)
    midnight = datetime(first.year, first.month, 1, tzinfo=ZoneInfo("Europe/Rome"))
    with Session(world.engine) as session:
        clerk = session.scalars(sa.select(User).where(
            User.username == world.usernames[("school", "office")])).one()
        for moment, euros in ((midnight - timedelta(minutes=1), 1000), (midnight, 1200)):
            done = replace_badge(session, clerk, me, "lost", now=moment.astimezone(UTC))
            assert done.fee is not None and done.fee.amount_cents == euros


def test_university_clerk_replaces_a_lost_badge_through_the_web_with_no_fee(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 001 states no fee: "Lo smarrimento o il furto del badge dovrà essere
    segnalato alla Divisione Stipendi per il rilascio di una nuova tessera", and
    university.rules defines none. The old badge is revoked, the new one is read as the
    employee's, no fee row is written, and the page says so."""
    office = signed_in(world, stack, "university", "office")
    page = office.get("/office/fees").text
    assert "non prevedono costi" in page and "define no badge replacement fee" not in page
    me = world.ids[("university", "self_employee")]
    with Session(world.engine) as session:
        old = session.scalars(sa.select(Badge.code).where(
            Badge.employee_id == me, Badge.revoked_at.is_(None))).one()
    posted = office.post("/office/fees", data=form(
        office, employee_id=str(me), reason="lost", new_badge="UNI9001"),
        follow_redirects=False)
    assert posted.status_code == 303
    done = office.get(posted.headers["location"]).text
    assert "Badge sostituito senza addebito" in done and "Badge replaced" not in done
    now = datetime.now(UTC)
    with Session(world.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BadgeFee)) == 0
        holders = Lookup().holders(session, {"university": {old, "UNI9001"}})
    assert not holders[("university", old)].valid_at(now)
    assert holders[("university", "UNI9001")].valid_at(now)
    assert holders[("university", "UNI9001")].employee_id == me
    assert office.get("/api/v1/fees").json() == []


def _csv_rows(response_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response_text.lstrip("\ufeff")), delimiter=";"))


def test_reports_download_as_csv_xlsx_and_pdf_and_a_manager_gets_their_unit(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    month = last_month()
    csv_file = office.get(f"/reports/balances/csv?month={month}")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(csv_file.text)
    assert rows[0][:4] == ["Matricola", "Nome", "Unità", "Lavorato"]
    assert [r[0] for r in rows[1:]] == ["M001", "M002", "M003", "M900", "Totale"]
    xlsx = office.get(f"/reports/overtime/xlsx?month={month}")
    assert xlsx.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert "Straordinario" in str(values[1][0])
    assert [row[0] for row in values[5:]] == ["M001", "M002", "M003", "M900", "Totale"]
    pdf = office.get(f"/reports/balances/pdf?month={month}")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    manager = signed_in(world, stack, "university", "manager")
    unit_rows = _csv_rows(manager.get(f"/reports/balances/csv?month={month}").text)
    assert [r[0] for r in unit_rows[1:]] == ["M001", "M002", "M003", "Totale"]
    as_json = office.get(f"/api/v1/reports/balances?month={month}").json()
    # The API keeps minutes (for programs); the file shows the same figures in hours.
    minutes = as_json["minute_columns"]
    assert [[hours(c) if i in minutes else str(c) for i, c in enumerate(r)]
            for r in as_json["rows"]] == rows[1:-1]
    office.cookies.set("timbra_lang", "en", domain="testserver.local")
    english = _csv_rows(office.get(f"/reports/balances/csv?month={month}").text)
    assert english[0][:4] == ["Number", "Name", "Unit", "Worked"] and english[-1][0] == "Total"


def test_the_json_api_closes_reopens_charges_and_transcribes_too(world: WebWorld,
                                                                 stack: ExitStack) -> None:
    office = signed_in(world, stack, "school", "office")
    month, headers = last_month(), json_headers(office)
    refused = office.post(f"/api/v1/closes/{month}", headers=headers)
    assert refused.status_code == 400 and "motivo" in refused.json()["detail"]
    started = office.post(f"/api/v1/closes/{month}", json={"reason": "ricalcolo"},
                          headers=headers)
    assert started.status_code == 202 and started.json()["state"] == "closing"
    assert _wait_closed(office, month)[-1]["error"] is None
    assert office.post(f"/api/v1/closes/{month}/reopen", json={"reason": " "},
                       headers=headers).status_code == 400
    reopened = office.post(f"/api/v1/closes/{month}/reopen", json={"reason": "ricalcolo"},
                           headers=headers)
    assert reopened.status_code == 200 and reopened.json()["state"] == "reopened"
    me = world.ids[("school", "self_employee")]
    fee = office.post("/api/v1/fees", json={"employee_id": me, "reason": "damaged"},
                      headers=headers)
    assert fee.status_code == 201 and fee.json()["fee"]["euros"] == "5,00"
    foreign = world.ids[("university", "self_employee")]
    assert office.post("/api/v1/fees", json={"employee_id": foreign, "reason": "lost"},
                       headers=headers).status_code == 404
    # M001 stamps at the terminal: the rules say signature sheets are not for them.
    sheet = office.post("/api/v1/sheets", json={"employee_id": me, "lines": [
        {"day": date.today().isoformat(), "entry": "07:30", "exit": "14:42"}]},
        headers=headers)
    assert sheet.status_code == 400 and "fogli presenza" in sheet.json()["detail"]


def test_the_json_api_replaces_a_university_badge_with_a_null_fee(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 001 states no fee for a new card: the API answers the replacement with
    `fee: null`, the revoked badge and the new one."""
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    answer = office.post("/api/v1/fees", json={"employee_id": me, "reason": "stolen",
                                               "new_badge": "UNI9002"},
                         headers=json_headers(office))
    assert answer.status_code == 201
    body = answer.json()
    assert (body["fee"], body["new_badge"], body["reason"]) == (None, "UNI9002", "stolen")
    assert len(body["revoked"]) == 1 and body["revoked"][0] != "UNI9002"
    assert office.get("/api/v1/fees").json() == []


def test_a_month_never_closed_shows_no_employee_count(world: WebWorld, stack: ExitStack) -> None:
    """Before any close the page said "0 / 0 dipendenti" with employees in the office."""
    office = signed_in(world, stack, "school", "office")
    page = office.get("/office/close?month=2026-01").text
    assert "Aperto" in page and "close-total" not in page
