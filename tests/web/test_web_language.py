"""Italian first: pages in Italian by default, English when the person chooses it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session
from web_pages import form, last_month, signed_in
from world import WebWorld, fresh_web_world

from server.db.directory import add_employee
from server.i18n.catalogues import read_catalogue


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world


def _english_only() -> set[str]:
    """The English words of the catalogue that Italian says differently."""
    return {m.id for m in read_catalogue("it") if m.id and m.string and m.string != m.id}


def test_the_login_page_is_italian_until_english_is_chosen(world: WebWorld,
                                                          stack: ExitStack) -> None:
    client = world.client(stack)
    page = client.get("/login").text
    assert '<html lang="it">' in page
    assert "Accesso" in page and "Nome utente" in page and "Entra" in page
    assert "Log in" not in page and "Username" not in page
    chosen = client.post("/language", data=form(client, lang="en", next="/login"))
    assert chosen.status_code == 200 and chosen.url.path == "/login"
    english = chosen.text
    assert '<html lang="en">' in english and "Username" in english
    assert "Nome utente" not in english
    back = client.post("/language", data=form(client, lang="it", next="/login"))
    assert "Nome utente" in back.text


def test_an_employee_s_menu_shows_no_english_word_in_italian(world: WebWorld,
                                                             stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    page = office.get("/").text
    menu = re.split(r'<nav[^>]*aria-label="Menu">', page, maxsplit=1)[1].split("</nav>", 1)[0]
    assert "Da approvare" in menu and "Chiusura mese" in menu
    leaked = [word for word in _english_only() if f">{word}<" in page]
    assert leaked == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_language_switch_sends_back_only_to_our_own_pages(
        world: WebWorld, stack: ExitStack, target: str) -> None:
    client = world.client(stack)
    client.get("/login")
    answer = client.post("/language", data=form(client, lang="en", next=target),
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_an_unknown_language_is_italian(world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    client.get("/login")
    page = client.post("/language", data=form(client, lang="xx", next="/login")).text
    assert "Nome utente" in page


def test_the_timecard_explains_in_the_reader_s_language(world: WebWorld,
                                                         stack: ExitStack) -> None:
    """The engine's explanations and anomalies are message ids: "7h15 dovute in un giorno
    lavorativo" in Italian, "7h15 due on a working day" in English, never mixed."""
    employee = signed_in(world, stack, "university", "employee")
    page = employee.get(f"/timecard?month={last_month()}").text
    assert "dovute in un giorno lavorativo" in page
    assert "due on a working day" not in page
    employee.post("/language", data=form(employee, lang="en", next="/"))
    english = employee.get(f"/timecard?month={last_month()}").text
    assert "due on a working day" in english
    assert "dovute in un giorno lavorativo" not in english


def test_times_are_shown_in_the_institution_s_time_zone_not_utc(world: WebWorld,
                                                                stack: ExitStack) -> None:
    """The audit log showed "2026-12-03 20:30:00" in UTC: now 21:30, Rome's time, Italian
    format."""
    admin = signed_in(world, stack, "university", "admin")
    page = admin.get("/admin/audit").text
    now = datetime.now(UTC)
    rome = [(now + timedelta(minutes=d)).astimezone(ZoneInfo("Europe/Rome"))
            for d in (-1, 0, 1)]
    assert any(t.strftime("%d/%m/%Y %H:%M") in page for t in rome), page[-3000:]
    utc = [(now + timedelta(minutes=d)).strftime("%Y-%m-%d %H:%M") for d in (-1, 0, 1)]
    assert not any(t in page for t in utc)


def test_a_month_s_deadlines_are_worded_for_a_person_in_each_language(
        world: WebWorld, stack: ExitStack) -> None:
    """Riepiloghi explained a deadline as "negative_balance: 2025-05-31", the rule file's
    name and an ISO date, on the Italian page too. Hired on 1 December and never stamped,
    the month is negative and full of anomalies: both deadlines read as people say them."""
    year = world.today.year - 1
    with Session(world.engine) as session, session.begin():
        hired = add_employee(session, "university", "DIC2", "Dina Dicembre",
                             start=date(year, 12, 1)).id
    office = signed_in(world, stack, "university", "office")
    page = office.get(f"/summaries/{hired}?month={year}-12").text
    assert f"saldo negativo da recuperare entro il 31 gennaio {year + 1}" in page
    assert f"anomalie da correggere entro il 3 gennaio {year + 1}" in page
    assert "negative_balance:" not in page and "anomaly_fix:" not in page
    office.post("/language", data=form(office, lang="en", next="/"))
    english = office.get(f"/summaries/{hired}?month={year}-12").text
    assert f"negative balance to recover by 31 January {year + 1}" in english
    assert f"anomalies to fix by 3 January {year + 1}" in english
    assert "saldo negativo da" not in english and "negative_balance:" not in english
