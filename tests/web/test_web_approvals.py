"""The approvals page on a busy morning: search, pages, and the ticked requests decided at
once with one note, through the pages a manager uses, in Italian and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy.orm import Session
from web_pages import Client, form, plain_days, signed_in
from world import WebWorld, fresh_web_world

from server.db.models import Employee


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path_factory.mktemp("web_approvals")) as built:
        yield built


def file_missions(world: WebWorld, employee: Client, count: int, skip: int = 0) -> list[int]:
    """Code 20 "Missione oraria" after the day's work on `count` plain days (the first
    `skip` left to another test)."""
    days = [d["date"] for d in plain_days(employee, world.ids[("university", "self_employee")])]
    for day in days[skip:skip + count]:
        response = employee.post("/requests/justification", data=form(
            employee, code="20", day=day, start="18:00", end="19:00", notes="convegno"),
            files={"attachment": ("", b"", "application/octet-stream")},
            follow_redirects=False)
        assert response.status_code == 303, response.text
    mine = employee.get("/api/v1/requests").json()
    return sorted(int(r["id"]) for r in mine if r["code"] == "20" and r["state"] == "pending")


def rows_of(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="r(\d+)">', page)]


def test_the_manager_searches_pages_and_approves_the_ticked_requests_at_once(
        world: WebWorld, stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    filed = file_missions(world, employee, 3)
    assert len(filed) == 3
    manager = signed_in(world, stack, "university", "manager")
    page = manager.get("/approvals?q=20").text
    assert set(filed) <= set(rows_of(page))
    assert "Nome, matricola o codice" in page and "Approva selezionate" in page
    one = manager.get("/approvals?q=20&size=1").text
    assert len(rows_of(one)) == 1 and "pagina 1 di" in one and "q=20&amp;size=1&amp;page=2" in one
    assert manager.get("/approvals?size=1000").status_code == 400  # pages are bounded
    # Two ticked, plus one decided meanwhile by the office: listed, left as it is.
    office = signed_in(world, stack, "university", "office")
    assert office.post(f"/approvals/{filed[2]}/decide", data=form(
        office, decision="reject", note="doppione"), follow_redirects=False).status_code == 303
    done = manager.post("/approvals/bulk", data=form(
        manager, decision="approve", note="ok", ids=[str(i) for i in filed], q="20"))
    assert done.status_code == 200
    assert "Richieste decise: 2." in done.text
    assert f"Richiesta {filed[2]}:" in done.text and "già stata decisa o ritirata" in done.text
    states = {r["id"]: r["state"] for r in employee.get("/api/v1/requests").json()}
    assert [states[i] for i in filed] == ["approved", "approved", "rejected"]
    # Rejecting without a note is refused as a whole.
    refused = manager.post("/approvals/bulk", data=form(
        manager, decision="reject", note="", ids=[str(filed[0])]))
    assert refused.status_code == 400 and "Indica il motivo del rifiuto" in refused.text


def test_the_page_and_the_api_in_english(world: WebWorld, stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    filed = file_missions(world, employee, 1, skip=3)
    office = signed_in(world, stack, "university", "office")
    office.post("/language", data=form(office, lang="en", next="/approvals"))
    page = office.get("/approvals").text
    assert "Name, number or code" in page and "Approve selected" in page
    assert "Nome, matricola" not in page
    result = office.post("/api/v1/approvals/bulk", json={
        "decision": "reject", "note": "not needed", "ids": [filed[0], 10**30]},
        headers={"x-csrftoken": office.cookies.get("timbra_csrf", "")})
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["decided"] == [filed[0]] and [r["id"] for r in body["refused"]] == [10**30]


def test_the_managers_unit_is_searched_by_name_or_number(world: WebWorld,
                                                         stack: ExitStack) -> None:
    manager = signed_in(world, stack, "university", "manager")
    everyone = manager.get("/").text
    names = re.findall(r'<a href="/timecard/\d+">([^<]+)</a>', everyone)
    assert len(names) > 1 and "Nome o matricola" in everyone
    one = names[-1]
    found = manager.get("/", params={"who": one.split()[0].lower()}).text
    shown = re.findall(r'<a href="/timecard/\d+">([^<]+)</a>', found)
    assert one in shown and len(shown) < len(names) and "Persone trovate:" in found
    with Session(world.engine) as session:
        person = session.get(Employee, world.ids[("university", "unit_colleague")])
        assert person is not None
    by_number = manager.get("/", params={"who": person.number}).text
    assert person.name in re.findall(r'<a href="/timecard/\d+">([^<]+)</a>', by_number)
    nobody = manager.get("/", params={"who": "zzz-nessuno"}).text
    assert re.findall(r'<a href="/timecard/\d+">', nobody) == []
    assert "Persone trovate: 0" in nobody
