"""Leave in days where people see it: Riepiloghi (page and JSON), the monthly PDF and the
employee's home page show the same balances (seed 004 Art. 9.2: each employee sees "i
giorni/ore di ferie, festività soppresse, permessi retribuiti")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from pdf_text import pdf_text
from sqlalchemy.orm import Session
from web_pages import form, signed_in
from world import WebWorld, fresh_web_world

from server.db.directory import add_employee
from server.db.models import Request as RequestRow
from server.db.models import User
from server.office import leave


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """One world for the module: each test works on an employee of its own."""
    with fresh_web_world(tmp_path_factory.mktemp("leave")) as world:
        yield world


def text(html: str) -> str:
    main = html[html.index("<main"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_leave_balances_are_the_same_on_every_page(world: WebWorld,
                                                        stack: ExitStack) -> None:
    """Adopted on 1 January with 10 days of ferie left; one day approved since: 9 left of
    the 28 of the national contract, on the page, in the JSON, in the PDF and at home; no
    festività soppressa left, so the request page refuses one."""
    me = world.ids[("university", "self_employee")]
    year = world.today.year
    with Session(world.engine) as session, session.begin():
        office = session.scalars(sa.select(User).where(
            User.username == world.usernames[("university", "office")])).one()
        leave.record_opening(session, office, me, "ferie", date(year, 1, 1), left_halves=20)
        leave.record_opening(session, office, me, "festivita_soppresse", date(year, 1, 1),
                             left_halves=0)
        session.add(RequestRow(
            institution_id="university", employee_id=me, kind="justification", code="FER",
            day=date(year, 1, 13), state="approved", created_by=office.id,
            created_at=datetime.now(UTC), notes=""))
    employee = signed_in(world, stack, "university", "employee")
    month = f"{world.today:%Y-%m}"
    data = employee.get(f"/api/v1/summaries/{me}?month={month}").json()
    found = {y["name"]: y for y in data["leave"]}
    ferie = found["ferie"]
    assert (ferie["entitled"], ferie["taken"], ferie["total_left"]) == (28, 19, 9)
    assert ferie["explain"][0]["source"].startswith("university.rules:")
    assert found["festivita_soppresse"]["total_left"] == 0
    assert found["smart_working"]["month_cap"] == 7
    page = text(employee.get(f"/summaries?month={month}").text)
    assert "Ferie e permessi in giorni" in page
    assert re.search(r"Ferie .*? 28 — 19 9 ", page), page
    assert "Giornate di lavoro agile (Pila)" in page and "7 al mese" in page
    pdf = pdf_text(employee.get(f"/summaries/{me}/report.pdf?month={month}").content)
    assert f"Ferie {year}: spettanti 28, fruiti 19, residui 9 giorni" in pdf, pdf
    home = text(employee.get("/").text)
    assert "Ferie: 9 giorni su 28" in home and "Festività soppresse: 0 giorni su 4" in home
    # The request page refuses a day of festività soppresse beyond the balance, in Italian.
    today = world.today.isoformat()
    refused = employee.post("/requests/justification", data=form(employee, code="FS",
                                                                  day=today),
                            files={"attachment": ("", b"", "application/octet-stream")})
    assert refused.status_code == 400
    assert (f"Festività soppresse: saldo insufficiente per il {world.today:%d/%m/%Y}, "
            "restano 0 giorni") in text(refused.text)


def test_opening_balances_through_the_api(world: WebWorld, stack: ExitStack) -> None:
    """The office records an opening balance in days (halves as .5) and reads the balance
    through the API; bad amounts, another institution's employee and an employee's own
    attempt are refused."""
    me = world.ids[("university", "unit_colleague")]
    year = world.today.year
    office = signed_in(world, stack, "university", "office")
    token = office.cookies.get("timbra_csrf", "")
    url = f"/api/v1/employees/{me}/leave/openings"
    body = {"leave": "ferie", "on": f"{year}-01-01", "left": 12.5, "carried": 2,
            "reason": "saldo al 31/12 dal sistema precedente"}
    created = office.post(url, json=body, headers={"x-csrftoken": token})
    assert created.status_code == 201, created.text
    assert created.json()["left"] == 12.5
    refused = office.post(url, json={**body, "left": 3.25}, headers={"x-csrftoken": token})
    assert refused.status_code == 400 and "mezza giornata" in refused.text
    foreign = world.ids[("school", "self_employee")]
    assert office.post(f"/api/v1/employees/{foreign}/leave/openings", json=body,
                       headers={"x-csrftoken": token}).status_code == 404
    found = {y["name"]: y for y in office.get(
        f"/api/v1/employees/{me}/leave?on={year}-01-02").json()}
    assert (found["ferie"]["left"], found["ferie"]["carried_in"]) == (12.5, 2)
    employee = signed_in(world, stack, "university", "employee")
    assert employee.post(url, json=body, headers={
        "x-csrftoken": employee.cookies.get("timbra_csrf", "")}).status_code == 403


def test_a_month_under_contract_reads_as_one_month_in_each_language(
        world: WebWorld, stack: ExitStack) -> None:
    """Hired on 1 December: one month of the year under contract, half a day of festività
    soppresse (4 × 1/12, to the nearest half). Riepiloghi explained the proration as "1 mesi
    del … sotto contratto" ("1 months" in English): each language says the count in its
    own form."""
    year = world.today.year - 1
    with Session(world.engine) as session, session.begin():
        hired = add_employee(session, "university", "DIC1", "Assunta Dicembre",
                             start=date(year, 12, 1)).id
    office = signed_in(world, stack, "university", "office")
    page = text(office.get(f"/summaries/{hired}?month={year}-12").text)
    assert f"1 mese del {year} sotto contratto" in page, page
    assert "riproporzionato ai mesi sotto contratto: ½ giorno" in page
    assert "riproporzionati ai mesi sotto contratto: 2 giorni" in page  # the ferie
    assert "1 mesi" not in page and "½ giorni" not in page
    office.post("/language", data=form(office, lang="en", next="/"))
    english = text(office.get(f"/summaries/{hired}?month={year}-12").text)
    assert f"1 month of {year} under contract" in english, english
    assert "prorated by the months under contract: ½ day" in english
    assert "prorated by the months under contract: 2 days" in english
    assert "1 months" not in english and "½ days" not in english
