"""Le mie richieste and the approval queue, through the pages a person uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import (
    Client,
    activate_rules,
    day_of,
    form,
    json_headers,
    plain_days,
    signed_in,
)
from world import WebWorld, fresh_web_world, log_in

from server.db.models import Request as RequestRow
from server.office.accounts import add_user
from server.web.request_views import version_today, web_codes

OTHER_MANAGER_PASSWORD = "altra-unita-1-password"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    folder = tmp_path_factory.mktemp("web_requests")
    with fresh_web_world(folder) as built:
        with Session(built.engine) as session, session.begin():
            # A manager of the unit the demo people are not in (the web world's "Altra unità").
            user = add_user(session, "university", "university.altra", "manager",
                            unit="Altra unità", password=OTHER_MANAGER_PASSWORD).user
            user.must_change_password = False
        yield built



def _days(world: WebWorld, client: Client) -> Iterator[str]:
    """A fresh plain day of last month for each test that files on one."""
    used: set[str] = world.__dict__.setdefault("used_days", set())
    for day in plain_days(client, world.ids[("university", "self_employee")]):
        if day["date"] not in used:
            used.add(day["date"])
            yield day["date"]


def _file(employee: Client, day: str, start: str = "18:02", end: str = "19:03") -> int:
    """Code 20 "Missione oraria" after the day's work: it can only add to the balance."""
    response = employee.post("/requests/justification", data=form(
        employee, code="20", day=day, start=start, end=end, notes="convegno a Pavia"),
        files={"attachment": ("", b"", "application/octet-stream")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    mine = employee.get("/api/v1/requests").json()
    return int(next(r["id"] for r in mine if r["day"] == day))


def test_an_employee_files_a_justification_and_sees_it_pending(world: WebWorld,
                                                              stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    day = next(_days(world, employee))
    request_id = _file(employee, day)
    page = employee.get("/requests").text
    row = page[page.index(f'href="/requests/{request_id}"'):]
    row = row[:row.index("</tr>")]
    # Seed 002: times rounded to 5 minutes (18:02 → 18:00, 19:03 → 19:05).
    assert "<b>20</b>" in row and "18:00–19:05" in row and "convegno a Pavia" in row
    assert "In attesa" in row and "Ritira" in row and "Pending" not in row
    # The code says what it is, as the rule file calls it: a bare 20 said nothing.
    assert "<b>20</b> Missione oraria" in row


def test_the_managers_approval_changes_the_employees_balance_for_that_day(
        world: WebWorld, stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    manager = signed_in(world, stack, "university", "manager")
    me = world.ids[("university", "self_employee")]
    day = next(_days(world, employee))
    before = day_of(employee, me, day)["balance"]
    request_id = _file(employee, day, "18:00", "19:00")
    queue = manager.get("/approvals").text
    assert f'id="r{request_id}"' in queue
    assert "<b>20</b> Missione oraria · 18:00–19:00" in queue
    decided = manager.post(f"/approvals/{request_id}/decide",
                           data=form(manager, decision="approve", note="ok"),
                           follow_redirects=False)
    assert decided.status_code == 303
    assert day_of(employee, me, day)["balance"] == before + 60
    mine = next(r for r in employee.get("/api/v1/requests").json() if r["id"] == request_id)
    assert (mine["state"], mine["decided_by"], mine["decision_note"]) == (
        "approved", "Giuseppe Bianchi", "ok")
    assert f'id="r{request_id}"' not in manager.get("/approvals").text


def test_a_manager_of_another_unit_cannot_see_or_decide_it(world: WebWorld,
                                                          stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    request_id = _file(employee, next(_days(world, employee)))
    other = world.client(stack)
    assert log_in(other, "university.altra", OTHER_MANAGER_PASSWORD).status_code == 303
    assert f'id="r{request_id}"' not in other.get("/approvals").text
    assert request_id not in [r["id"] for r in other.get("/api/v1/approvals").json()]
    assert other.get(f"/requests/{request_id}").status_code == 404
    assert other.post(f"/approvals/{request_id}/decide",
                      data=form(other, decision="approve")).status_code == 404
    assert other.post(f"/api/v1/requests/{request_id}/decision", json={"decision": "approve"},
                      headers=json_headers(other)).status_code == 404
    foreign = signed_in(world, stack, "school", "office")
    assert foreign.get(f"/api/v1/requests/{request_id}").status_code == 404
    mine = next(r for r in employee.get("/api/v1/requests").json() if r["id"] == request_id)
    assert mine["state"] == "pending"


def test_a_code_that_requires_an_attachment_is_refused_without_one(world: WebWorld,
                                                                  stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    day = next(_days(world, employee))
    fields = {"code": "23", "day": day, "start": "14:00", "end": "15:00"}
    refused = employee.post("/requests/justification", data=form(employee, **fields),
                            files={"attachment": ("", b"", "application/octet-stream")})
    assert refused.status_code == 400
    assert "Il codice 23 richiede un allegato" in refused.text
    assert 'value="14:00"' in refused.text  # what was typed is still there
    accepted = employee.post("/requests/justification", data=form(employee, **fields),
                             files={"attachment": ("referto.pdf", b"%PDF-1.4 referto",
                                                   "application/pdf")},
                             follow_redirects=False)
    assert accepted.status_code == 303
    filed = next(r for r in employee.get("/api/v1/requests").json()
                 if r["day"] == day and r["code"] == "23")
    download = employee.get(f"/requests/{filed['id']}/attachment")
    assert download.content == b"%PDF-1.4 referto"
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_missed_stamp_is_declared_with_its_circumstances_and_can_be_withdrawn(
        world: WebWorld, stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    without = employee.post("/requests/missed-stamp", data=form(
        employee, day=yesterday, time="07:58", direction="in", circumstances=" "))
    assert without.status_code == 400 and "circostanze" in without.text
    declared = employee.post("/requests/missed-stamp", data=form(
        employee, day=yesterday, time="07:58", direction="in",
        circumstances="badge dimenticato a casa"), follow_redirects=False)
    assert declared.status_code == 303
    filed = next(r for r in employee.get("/api/v1/requests").json()
                 if r["kind"] == "missed_stamp" and r["day"] == yesterday)
    assert (filed["start"], filed["direction"], filed["notes"]) == (
        "08:00", "in", "badge dimenticato a casa")
    assert employee.post(f"/requests/{filed['id']}/withdraw", data=form(employee),
                         follow_redirects=False).status_code == 303
    assert "Ritirata" in employee.get(f"/requests/{filed['id']}").text


def test_overtime_to_bank_waits_for_the_director_not_the_unit_manager(
        world: WebWorld, stack: ExitStack) -> None:
    """School codes need the DS/DSGA ("approval director"): the unit manager cannot."""
    employee = signed_in(world, stack, "school", "employee")
    filed = employee.post("/api/v1/requests", json={
        # asked the day before: overtime is "preventivamente autorizzato" (approval … prior)
        "kind": "overtime", "day": (date.today() + timedelta(days=1)).isoformat(),
        "mode": "banked", "start": "14:30", "end": "16:00", "notes": "scrutini"},
        headers=json_headers(employee))
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert (body["state"], body["overtime_mode"], body["approver"]) == (
        "pending", "banked", "director")
    manager = signed_in(world, stack, "school", "manager")
    refused = manager.post(f"/api/v1/requests/{body['id']}/decision",
                           json={"decision": "approve"}, headers=json_headers(manager))
    assert refused.status_code == 403
    office = signed_in(world, stack, "school", "office")
    rejected = office.post(f"/api/v1/requests/{body['id']}/decision",
                           json={"decision": "reject", "note": "non autorizzato prima"},
                           headers=json_headers(office))
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    with Session(world.engine) as session:
        row = session.get(RequestRow, body["id"])
        assert row is not None and row.decision_note == "non autorizzato prima"
        assert session.scalar(sa.select(sa.func.count()).select_from(RequestRow).where(
            RequestRow.state == "approved", RequestRow.id == body["id"])) == 0


def test_ids_too_big_for_any_row_are_not_found_not_a_server_error(world: WebWorld,
                                                                   stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    huge = 10**30
    for path in (f"/api/v1/requests/{huge}", f"/requests/{huge}", f"/api/v1/summaries/{huge}",
                 f"/api/v1/stamps/{huge}", f"/api/v1/requests?employee_id={huge}"):
        assert office.get(path).status_code == 404, path
    assert office.post(f"/api/v1/requests/{huge}/decision", json={"decision": "approve"},
                       headers=json_headers(office)).status_code == 404


def test_the_codes_offered_are_the_activated_rule_files(tmp_path: Path,
                                                         stack: ExitStack) -> None:
    """The university activates a file that renames code 20: the form offers the code as
    the file in force says it, from the 1st at local midnight."""
    own = stack.enter_context(fresh_web_world(tmp_path))
    employee = signed_in(own, stack, "university", "employee")
    assert ">20 · Missione oraria</option>" in employee.get("/requests").text
    activate_rules(own, stack, "university",
                   lambda text: text.replace('code "20" {\n        label "Missione oraria"',
                                             'code "20" {\n        label "Missione breve"', 1),
                   "unimi-codici.rules")
    page = employee.get("/requests").text
    assert ">20 · Missione breve</option>" in page and "Missione oraria" not in page
    first = date.today().replace(day=1)
    midnight = datetime(first.year, first.month, 1, tzinfo=ZoneInfo("Europe/Rome"))
    with Session(own.engine) as session:
        version, day = version_today(session, "university", midnight.astimezone(UTC))
        assert day == first and version is not None
        assert [c.label for c in web_codes(version) if c.code == "20"] == ["Missione breve"]
