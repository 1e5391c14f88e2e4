"""The employee's schedule on the web: the personnel office sets a schedule period on the
employee's page or through the API, and the rota of a month on the rota page or through
the API (one day, or a CSV file); the employee sees the day's schedule on their timecard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import day_of, form, json_headers, last_month, plain_days, signed_in
from world import WebWorld, fresh_web_world

from server.days import spans
from server.db.models import AuditEntry
from server.db.schedule_tables import RotaDay, SchedulePeriod

FULL_TIME_DUE, PART_TIME_DUE = 7 * 60 + 15, 6 * 60  # university.rules: due 7h15m / 6h


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world


def _count(world: WebWorld, table: type) -> int:
    with Session(world.engine) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def test_the_clerk_sets_a_period_on_the_employee_page_and_the_day_follows(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    first, second = (d["date"] for d in plain_days(office, me)[:2])
    page = office.get(f"/admin/employees/{me}").text
    assert f'action="/admin/employees/{me}/schedule"' in page and "Nessun periodo" in page
    done = office.post(f"/admin/employees/{me}/schedule", data=form(
        office, starts=first, ends=first, profile="part_time_6h",
        reason="cambio orario di una settimana"), follow_redirects=False)
    assert done.status_code == 303
    page = office.get(done.headers["location"]).text
    assert "Orario aggiornato" in page and "cambio orario di una settimana" in page
    day = day_of(office, me, first)
    assert (day["due"], day["profile"], day["chosen"]) == (PART_TIME_DUE, "part_time_6h", [])
    assert day_of(office, me, second)["due"] == FULL_TIME_DUE  # the period ended
    with Session(world.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "schedule_period_set",
            AuditEntry.target == f"employee:{me}")) == 1
    refused = office.post(f"/admin/employees/{me}/schedule", data=form(
        office, starts=first, profile="part_time_6h", d6="1"))
    assert refused.status_code == 400
    assert "non consente di scegliere i giorni 6" in refused.text
    assert _count(world, SchedulePeriod) == 1


def test_the_api_sets_and_lists_periods_within_the_institution(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    first = plain_days(office, me)[0]["date"]
    url = f"/api/v1/admin/employees/{me}/schedules"
    refused = office.post(url, json={"starts": first, "profile": "no_such"},
                          headers=json_headers(office))
    assert refused.status_code == 400 and "assente" in refused.json()["detail"]
    answer = office.post(url, json={"starts": first, "profile": "part_time_6h",
                                    "reason": "part time"}, headers=json_headers(office))
    assert answer.status_code == 201
    assert answer.json()["period"]["ends"] is None and answer.json()["marked"] >= 1
    assert [p["profile"] for p in office.get(url).json()] == ["part_time_6h"]
    assert day_of(office, me, first)["due"] == PART_TIME_DUE
    foreign = signed_in(world, stack, "school", "office")
    assert foreign.get(url).status_code == 404
    assert foreign.post(url, json={"starts": first, "profile": "full_time"},
                        headers=json_headers(foreign)).status_code == 404
    assert _count(world, SchedulePeriod) == 1


def test_the_rota_page_and_api_refuse_shifts_the_rules_do_not_define(
        world: WebWorld, stack: ExitStack) -> None:
    """The university's rules define no shifts: every shift is refused, nothing written."""
    office = signed_in(world, stack, "university", "office")
    page = office.get(f"/office/rota?month={last_month()}")
    assert page.status_code == 200 and "M001" in page.text and 'id="rota-import"' in page.text
    day = f"{last_month()}-10"
    refused = office.post("/office/rota", data=form(office, number="M001", day=day, shift="N"))
    assert refused.status_code == 400 and "non definito" in refused.text
    me = world.ids[("university", "self_employee")]
    year, month = (int(part) for part in last_month().split("-"))
    answer = office.post("/api/v1/office/rota", json={"year": year, "month": month, "entries": [
        {"employee_id": me, "day": day, "shift": "N"}]}, headers=json_headers(office))
    assert answer.status_code == 400 and "non definito" in answer.json()["detail"]
    imported = office.post("/api/v1/office/rota/import", json={
        "csv": f"matricola;data;turno\nM001;{day};N\nZZZ;{day};N\n"},
        headers=json_headers(office))
    assert imported.status_code == 400
    assert "riga 2" in imported.json()["detail"] and "riga 3" in imported.json()["detail"]
    # A lone carriage return inside a field (found by test_api_schema.py) was a 500.
    broken = office.post("/api/v1/office/rota/import", json={
        "csv": f"matricola;data;turno\nM001;{day};N\rX\n"}, headers=json_headers(office))
    assert broken.status_code == 400 and "va a capo fuori dalle virgolette" in broken.text
    assert _count(world, RotaDay) == 0
    manager = signed_in(world, stack, "university", "manager")
    assert manager.get(f"/api/v1/office/rota?month={last_month()}").json() == []
    assert 'id="rota-import"' not in manager.get("/office/rota").text


def test_the_employee_sees_the_rota_shift_on_their_timecard(
        world: WebWorld, stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a shift the rules define (a stand-in until the language has shifts), the day
    of the rota shows it to the employee, in the page and the API."""
    monkeypatch.setattr(spans, "shift_names", lambda plan: frozenset({"M"}))
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    day = plain_days(office, me)[0]["date"]
    upload = office.post("/office/rota/import", data={"_csrf_token": office.cookies.get(
        "timbra_csrf", "")}, files={"file": ("turni.csv", f"number,day,shift\nM001,{day},M\n")},
        follow_redirects=False)
    assert upload.status_code == 303
    assert office.get(f"/api/v1/office/rota?month={day[:7]}").json() == [
        {"employee_id": me, "number": "M001", "day": day, "shift": "M"}]
    employee = signed_in(world, stack, "university", "employee")
    assert day_of(employee, me, day)["shift"] == "M"
    page = employee.get(f"/timecard?month={day[:7]}").text
    assert "turno <b>M</b>" in page
