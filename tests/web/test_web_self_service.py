"""Riepiloghi and stamping from the browser or a phone, as an employee sees them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pdf_text import pdf_text
from sqlalchemy.orm import Session
from web_pages import activate_rules, form, json_headers, last_month, signed_in
from world import WebWorld, fresh_web_world

from server.db.models import AuditEntry, Stamp
from server.minutes import hours
from server.office.stamping import allowed_sources

# Piazza Duomo, Milano, and a point about 2 km away (Stazione Centrale).
DUOMO = (45.46416, 9.19199)
CENTRALE = (45.48540, 9.20410)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world


@pytest.fixture
def both(web_world: WebWorld) -> WebWorld:
    """The demo world on SQLite and on PostgreSQL (`db_url` is parametrized)."""
    return web_world


def _stamps(world: WebWorld, institution: str, source: str) -> list[Stamp]:
    with Session(world.engine) as session:
        return list(session.scalars(sa.select(Stamp).where(
            Stamp.institution_id == institution, Stamp.source == source)))


def test_summary_shows_the_months_figures_each_with_its_rule(world: WebWorld,
                                                            stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    me = world.ids[("university", "self_employee")]
    month = last_month()
    data = employee.get(f"/api/v1/summaries/{me}?month={month}").json()
    page = employee.get(f"/summaries?month={month}").text
    assert f"<summary>{hours(data['balance'])}</summary>" in page
    assert f"<summary>{data['meal_vouchers']}</summary>" in page
    # The recovery deadline of a negative balance and the rule that sets it (seed 002).
    assert "negative_balance" in data["deadlines"]
    deadline = data["deadlines"]["negative_balance"]
    assert f"{deadline[8:10]}/{deadline[5:7]}/{deadline[:4]}" in page
    assert "negative_balance end of next_month" in page and "university.rules:" in page
    # Allowances: entitled, used and left, with where the allowance is written.
    study = next(a for a in data["allowances"] if a["name"] == "study_leave")
    assert study["left"] == study["entitled"] - study["used_before"] - study["used"]
    assert study["label"] in page and study["source"] in page
    assert f'href="/timecard/{me}?month={month}"' in page


def test_the_monthly_report_downloads_as_a_pdf(world: WebWorld, stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    me = world.ids[("university", "self_employee")]
    response = employee.get(f"/summaries/{me}/report.pdf?month={last_month()}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response.headers["content-disposition"]
    assert "Firma del dipendente" in pdf_text(response.content)
    employee.cookies.set("timbra_lang", "en", domain="testserver.local")
    english = pdf_text(employee.get(f"/summaries/{me}/report.pdf?month={last_month()}").content)
    assert "Employee's signature" in english and "Firma" not in english
    colleague = world.ids[("university", "unit_colleague")]
    assert employee.get(f"/summaries/{colleague}/report.pdf").status_code == 404


def test_where_only_the_phone_may_stamp_no_button_form_or_api_stamps_without_the_position(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 002: "Le timbrature in entrata e uscita possono essere registrate solo all'atto
    di attivazione dell'APP da parte del/della dipendente" and "Nel momento in cui il/la
    dipendente si trova nell'area prevista è possibile effettuare la timbratura". The page
    has one pair of buttons, which send the position; the workstation's buttons that went
    round the area are gone, and a forged form or API call without the position is refused."""
    office = signed_in(world, stack, "university", "office")
    assert office.post("/office/areas", data=form(
        office, name="Duomo", latitude=str(DUOMO[0]), longitude=str(DUOMO[1]),
        radius_m="300"), follow_redirects=False).status_code == 303
    employee = signed_in(world, stack, "university", "employee")
    page = employee.get("/stamp").text
    assert page.count('name="direction"') == 2 and page.count("ENTRATA") == 1
    assert "Dalla tua postazione" not in page and 'id="phone"' in page
    assert 'name="latitude"' in page and "/static/stamp.js" in page
    forged = employee.post("/stamp", data=form(employee, direction="in"))
    assert forged.status_code == 403 and "chiedono la posizione" in forged.text
    by_api = employee.post("/api/v1/stamps", json={"direction": "in"},
                           headers=json_headers(employee))
    assert by_api.status_code == 403 and "posizione" in by_api.json()["detail"]
    half = employee.post("/stamp", data=form(employee, direction="in",
                                              latitude=str(DUOMO[0]), longitude=""))
    assert half.status_code == 400 and "Posizione non valida" in half.text
    assert _stamps(world, "university", "web") == [] and _stamps(world, "university", "app") == []
    me = world.ids[("university", "self_employee")]
    day = date.today().isoformat()
    timecard = employee.get(f"/api/v1/timecard/{me}?month={day[:7]}").json()
    assert next(d for d in timecard["days"] if d["date"] == day)["stamps"] == []


def test_the_rilevatore_page_lists_the_entrata_and_uscita_just_stamped(
        both: WebWorld, stack: ExitStack) -> None:
    """Seed 000: "alla funzione RILEVATORE, e digitare il tasto ENTRATA / USCITA" — the
    chamber's only way to stamp. After each button the page lists today's stamps with
    their times (it answered 500 as soon as there was one)."""
    employee = signed_in(both, stack, "chamber", "employee")
    assert "Nessuna timbratura oggi" in employee.get("/stamp").text
    for direction, word in (("in", "entrata"), ("out", "uscita")):
        done = employee.post("/stamp", data=form(employee, direction=direction))
        assert done.status_code == 200, done.text
        assert f"Timbratura registrata: {word} " in done.text
    with Session(both.engine) as session:
        rows = list(session.scalars(sa.select(Stamp).where(
            Stamp.institution_id == "chamber", Stamp.source == "web").order_by(Stamp.id)))
    assert [r.direction for r in rows] == ["in", "out"]
    page = employee.get("/stamp")
    assert page.status_code == 200
    listed = [f"{r.local_minute // 60:02d}:{r.local_minute % 60:02d} {word} · postazione web"
              for r, word in zip(rows, ("entrata", "uscita"), strict=True)]
    assert all(f"<li>{line}</li>" in page.text for line in listed), page.text
    assert "Nessuna timbratura oggi" not in page.text


def test_entrata_pressed_twice_is_one_stamp_and_the_page_says_so(
        both: WebWorld, stack: ExitStack) -> None:
    """A double click, or the form sent again from the browser's history, made two entries
    in the same minute: the second press answers with the first stamp. In, out, in within
    the minute stays three stamps."""
    employee = signed_in(both, stack, "chamber", "employee")
    for _ in range(2):
        done = employee.post("/stamp", data=form(employee, direction="in"))
        assert done.status_code == 200 and "Timbratura registrata: entrata " in done.text
    again = employee.post("/api/v1/stamps", json={"direction": "in"},
                          headers=json_headers(employee))
    assert again.status_code == 201 and again.json()["direction"] == "in"
    assert [s.direction for s in _web_rows(both)] == ["in"]
    for direction in ("out", "in"):
        assert employee.post("/stamp", data=form(employee, direction=direction)).status_code == 200
    assert [s.direction for s in _web_rows(both)] == ["in", "out", "in"]


def _web_rows(world: WebWorld) -> list[Stamp]:
    with Session(world.engine) as session:
        return list(session.scalars(sa.select(Stamp).where(
            Stamp.institution_id == "chamber", Stamp.source == "web").order_by(Stamp.id)))


def test_web_stamping_is_refused_where_the_rules_do_not_allow_it(world: WebWorld,
                                                                stack: ExitStack) -> None:
    """School (seed 003): stamps only at the terminal, or by hand from the emergency register."""
    employee = signed_in(world, stack, "school", "employee")
    page = employee.get("/stamp").text
    assert "ENTRATA" not in page and "timbra al terminale" in page
    refused = employee.post("/api/v1/stamps", json={"direction": "in"},
                            headers=json_headers(employee))
    assert refused.status_code == 403
    phone = employee.post("/api/v1/stamps", json={"direction": "in", "latitude": DUOMO[0],
                                                  "longitude": DUOMO[1]},
                          headers=json_headers(employee))
    assert phone.status_code == 403
    assert _stamps(world, "school", "web") == [] and _stamps(world, "school", "app") == []


def test_a_phone_stamps_only_inside_an_area_and_its_position_is_not_kept(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    # The office types the centre as an Italian keyboard writes it: a decimal comma.
    refused = office.post("/office/areas", data=form(
        office, name="Duomo", latitude="145,46416", longitude="9,19199", radius_m="300"))
    assert refused.status_code == 400
    assert "La latitudine 145,46416 è fuori intervallo: deve stare tra -90 e 90" in refused.text
    drawn = office.post("/office/areas", data=form(
        office, name="Duomo", latitude=f"{DUOMO[0]}".replace(".", ","),
        longitude=f"{DUOMO[1]}".replace(".", ","), radius_m="300"), follow_redirects=False)
    assert drawn.status_code == 303
    assert "45.46416, 9.19199" in office.get("/office/areas").text
    employee = signed_in(world, stack, "university", "employee")
    outside = employee.post("/api/v1/stamps", json={
        "direction": "in", "latitude": CENTRALE[0], "longitude": CENTRALE[1]},
        headers=json_headers(employee))
    assert outside.status_code == 403 and "fuori" in outside.json()["detail"]
    assert _stamps(world, "university", "app") == []
    inside = employee.post("/stamp", data=form(
        employee, direction="in", latitude=str(DUOMO[0] + 0.001), longitude=str(DUOMO[1])),
        follow_redirects=False)
    assert inside.status_code == 303
    [stamp] = _stamps(world, "university", "app")
    assert stamp.direction == "in"
    with Session(world.engine) as session:
        audit_text = " ".join(str(e.detail) for e in session.scalars(sa.select(AuditEntry)))
        stamp_text = " ".join(str(v) for v in vars(stamp).values())
    for kept in (audit_text, stamp_text):
        assert str(DUOMO[0] + 0.001)[:7] not in kept and "45.46" not in kept


def test_web_stamping_follows_the_activated_rule_file_not_the_plugins(
        world: WebWorld, stack: ExitStack) -> None:
    """The school's plugin file says `sources terminal, manual`; its administrator activates
    one that adds `web`: the page shows the buttons and the stamp is taken."""
    activate_rules(world, stack, "school",
                   lambda text: text.replace("sources terminal, manual",
                                             "sources terminal, web, manual", 1),
                   "liceo-web.rules")
    employee = signed_in(world, stack, "school", "employee")
    assert "ENTRATA" in employee.get("/stamp").text
    done = employee.post("/api/v1/stamps", json={"direction": "in"},
                         headers=json_headers(employee))
    assert done.status_code == 201, done.text
    assert done.json()["source"] == "web"
    [stamp] = _stamps(world, "school", "web")
    assert stamp.employee_id == world.ids[("school", "self_employee")]


def test_phone_stamping_follows_the_activated_rule_file_not_the_plugins(
        world: WebWorld, stack: ExitStack) -> None:
    """The university's plugin file allows `app` (seed 002); the activated file does not:
    even inside a drawn area the phone is refused, and the page offers no phone buttons."""
    office = signed_in(world, stack, "university", "office")
    assert office.post("/office/areas", data=form(
        office, name="Duomo", latitude=str(DUOMO[0]), longitude=str(DUOMO[1]),
        radius_m="300"), follow_redirects=False).status_code == 303
    activate_rules(world, stack, "university",
                   lambda text: text.replace("sources terminal, app, manual",
                                             "sources terminal, web, manual", 1),
                   "unimi-senza-app.rules")
    employee = signed_in(world, stack, "university", "employee")
    page = employee.get("/stamp").text
    assert "Dal telefono" not in page and "Dalla tua postazione" in page
    refused = employee.post("/api/v1/stamps", json={
        "direction": "in", "latitude": DUOMO[0], "longitude": DUOMO[1]},
        headers=json_headers(employee))
    assert refused.status_code == 403 and "telefono" in refused.json()["detail"]
    assert _stamps(world, "university", "app") == []


def test_from_local_midnight_of_the_1st_the_activated_file_decides_the_stamping_sources(
        world: WebWorld, stack: ExitStack) -> None:
    """An activated file applies from the 1st at midnight in the institution's time zone,
    when in Rome it is still the last day of the month before in UTC."""
    activate_rules(world, stack, "chamber",
                   lambda text: text.replace("sources web, manual", "sources manual", 1),
                   "camera-solo-manuale.rules")
    first = date.today().replace(day=1)
    half_past_midnight = datetime(first.year, first.month, 1, 0, 30,
                                  tzinfo=ZoneInfo("Europe/Rome")).astimezone(UTC)
    assert half_past_midnight.date() < first
    with Session(world.engine) as session:
        assert not allowed_sources(session, "chamber", half_past_midnight).web
        assert allowed_sources(session, "chamber", half_past_midnight - timedelta(hours=1)).web
