"""No dead end on justification codes: the chamber's employees file the codes of their
national contract, the academy's file the keypad codes they forgot at the terminal, and
choose which overtime they ask for, from the request page a person uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import pytest
from web_pages import Client, form, signed_in
from world import WebWorld, fresh_web_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path_factory.mktemp("web_codes")) as built:
        yield built


def weekday(start: date, step: int) -> date:
    """The first Tuesday-to-Thursday from `start` going `step` days at a time."""
    while start.weekday() not in (1, 2, 3):
        start += timedelta(days=step)
    return start


def file_justification(client: Client, **fields: str) -> int:
    return client.post("/requests/justification", data=form(client, **fields),
                       files={"attachment": ("", b"", "application/octet-stream")},
                       follow_redirects=False).status_code


def mine(client: Client) -> dict[str, dict[str, object]]:
    return {str(r["code"]): r for r in client.get("/api/v1/requests").json()}


def test_a_chamber_employee_files_the_contracts_leave_and_permits(world: WebWorld,
                                                                  stack: ExitStack) -> None:
    """Seed 000: «l'inserimento di giustificativi»; CCNL Funzioni Locali 2019-2021."""
    employee = signed_in(world, stack, "chamber", "employee")
    page = employee.get("/requests").text
    for option in (">FER · Ferie (art. 38 CCNL Funzioni Locali 2019-2021)",
                   ">PMPF · Permesso per motivi personali o familiari (art. 41 CCNL)",
                   ">VIS · Visita, terapia o esame diagnostico (art. 43 CCNL)",
                   ">L104 · Permesso L. 104/1992, giornata (art. 42 CCNL)",
                   ">MAL · Malattia (art. 44 CCNL)"):
        assert option in page, option
    # Ferie are asked beforehand ("approval manager prior"): a day next week.
    holiday = weekday(date.today() + timedelta(days=7), 1).isoformat()
    assert file_justification(employee, code="FER", day=holiday) == 303
    # A permit for personal reasons, afterwards, by the hour.
    past = weekday(date.today() - timedelta(days=7), -1).isoformat()
    assert file_justification(employee, code="PMPF", day=past, start="13:00",
                              end="15:12", notes="") == 303
    filed = mine(employee)
    assert (filed["FER"]["state"], filed["FER"]["approver"]) == ("pending", "manager")
    assert (filed["PMPF"]["start"], filed["PMPF"]["end"]) == ("13:00", "15:12")
    # Ferie for a day already begun are refused: they needed asking before.
    assert file_justification(employee, code="FER", day=past) == 400
    # Sick leave needs the certificate's number ("notes required").
    refused = employee.post("/requests/justification", data=form(
        employee, code="MAL", day=weekday(date.today() - timedelta(days=14), -1).isoformat()),
        files={"attachment": ("", b"", "application/octet-stream")})
    assert refused.status_code == 400 and "Il codice MAL richiede le note" in refused.text


def test_an_academy_employee_files_a_code_forgotten_at_the_keypad(world: WebWorld,
                                                                   stack: ExitStack) -> None:
    """Seed 004: «premere il codice d'interesse sul tastierino numerico del rilevatore»;
    forgotten there, the code is filed afterwards from the page."""
    employee = signed_in(world, stack, "academy", "employee")
    page = employee.get("/requests").text
    justification = page[:page.index('action="/requests/missed-stamp"')]
    for code in ("1 · Uscita per servizio", "2 · Permesso personale", "5 · Permesso retribuito",
                 "9 · Altro"):
        assert f">{code}" in justification, code
    # Overtime is not a justification: it is asked for in its own form, by its code.
    assert ">3 · Straordinario retribuito" not in justification
    overtime = page[page.index('action="/requests/overtime"'):]
    for code in ("3 · Straordinario retribuito (retribuito)",
                 "6 · Straordinario per bandi (retribuito)",
                 "8 · Straordinario per Erasmus (retribuito)",
                 "4 · Straordinario a recupero (a recupero)"):
        assert f">{code}</option>" in overtime, code
    past = weekday(date.today() - timedelta(days=7), -1).isoformat()
    assert file_justification(employee, code="2", day=past, start="10:00", end="11:00") == 303
    ahead = weekday(date.today() + timedelta(days=7), 1).isoformat()
    asked = employee.post("/requests/overtime", data=form(
        employee, day=ahead, mode="paid", code="8", start="15:00", end="17:00", notes="Erasmus"),
        follow_redirects=False)
    assert asked.status_code == 303
    filed = mine(employee)
    assert filed["2"]["state"] == "pending" and filed["2"]["approver"] == "director"
    assert filed["8"]["overtime_mode"] == "paid"


def test_the_overtime_code_is_offered_in_english_too(world: WebWorld, stack: ExitStack,
                                                     tmp_path: Path) -> None:
    employee = signed_in(world, stack, "academy", "employee")
    employee.post("/language", data=form(employee, lang="en", next="/requests"))
    page = employee.get("/requests").text
    assert ">6 · Straordinario per bandi (paid overtime)</option>" in page
    assert ">4 · Straordinario a recupero (banked overtime)</option>" in page
