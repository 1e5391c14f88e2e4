"""On a phone: the installable web app (manifest, icons, theme colour), the folding menu,
the accessibility statement, and the month as a calendar of the same figures as the table."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from sqlalchemy.orm import Session
from web_pages import Client, last_month, plain_days, signed_in
from world import WebWorld, fresh_web_world

from server.days.results import refresh_days
from server.db.models import Stamp
from server.minutes import hours


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path_factory.mktemp("phone")) as world:
        yield world


@pytest.fixture(scope="module")
def employee(world: WebWorld) -> Iterator[Client]:
    with ExitStack() as stack:
        yield signed_in(world, stack, "university", "employee")


def test_the_manifest_installs_timbra_with_its_italian_name_icons_and_colour(
        world: WebWorld, employee: Client) -> None:
    with ExitStack() as stack:
        anonymous = world.client(stack)
        answer = anonymous.get("/manifest.webmanifest")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["name"] == "timbra — rilevazione presenze" and manifest["lang"] == "it"
        assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
        assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
        sizes = set()
        for icon in manifest["icons"]:
            png = anonymous.get(icon["src"])
            assert png.status_code == 200 and png.headers["content-type"] == "image/png"
            picture = Image.open(io.BytesIO(png.content))
            assert (picture.format, f"{picture.width}x{picture.height}") == ("PNG", icon["sizes"])
            sizes.add(picture.width)
        assert {192, 512} <= sizes  # what Chromium asks before it offers to install
        login = anonymous.get("/login").text
    home = employee.get("/").text
    for page in (login, home):
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page
        assert f'<meta name="theme-color" content="{manifest["theme_color"]}">' in page


def test_the_menu_folds_behind_a_button_that_says_whether_it_is_open(
        employee: Client) -> None:
    """The button is hidden without scripts (the menu then shows as a row); its script lives
    in static/, as the pages' CSP allows no inline code."""
    page = employee.get("/timecard").text
    button = re.search(r"<button[^>]*id=\"menu-button\"[^>]*>", page)
    assert button is not None
    assert 'aria-controls="menu"' in button.group(0) and "aria-expanded=" in button.group(0)
    assert re.search(r'<nav id="menu" aria-label="Menu">', page)
    assert '<script src="/static/menu.js"></script>' in page and "<script>" not in page
    css = employee.get("/static/timbra.css").text
    assert ".menu-button { display: none; }" in css and ".js header nav { display: none; }" in css
    script = employee.get("/static/menu.js")
    assert script.status_code == 200 and "aria-expanded" in script.text


def test_the_accessibility_statement_is_public_and_linked_from_every_footer(
        world: WebWorld, employee: Client) -> None:
    with ExitStack() as stack:
        anonymous = world.client(stack)
        statement = anonymous.get("/accessibility")
        login = anonymous.get("/login").text
    assert statement.status_code == 200
    assert "<h1>Dichiarazione di accessibilità</h1>" in statement.text
    assert "WCAG 2.1" in statement.text and "axe-core" in statement.text
    for page in (login, employee.get("/").text, statement.text):
        footer = page[page.index("<footer>"):]
        assert '<a href="/accessibility">Dichiarazione di accessibilità</a>' in footer


def test_the_calendar_shows_each_days_worked_balance_and_anomalies_as_the_table(
        world: WebWorld, employee: Client) -> None:
    """The calendar lays out the same `server.days.month` computation as the table and the
    API: each day's worked time and balance, and how many anomalies it has."""
    me = world.ids[("university", "self_employee")]
    month = last_month()
    _a_stamp_alone(world, me, plain_days(employee, me, month)[0]["date"])
    data = employee.get(f"/api/v1/timecard/{me}?month={month}").json()
    page = employee.get(f"/timecard?month={month}&view=calendar").text
    cells = dict(re.findall(r'href="/timecard\?month=[0-9-]+#d([0-9-]+)"[^>]*>\d+</a>(.*?)</td>',
                            page, re.S))
    assert len(cells) == len(data["days"])
    weeks = (_leading_blanks(data) + len(data["days"]) + 6) // 7
    assert page.count("<tr>") == 1 + weeks  # the heads, then Monday-to-Sunday rows
    for day in data["days"]:
        cell = cells[day["date"]]
        if day["computed"]:
            assert f"</span> {hours(day['worked'])}</span>" in cell
            assert f"</span> {hours(day['balance'])}</span>" in cell
        count = len(day["anomalies"])
        assert (f"Anomalie: {count}" in cell) == (count > 0), (day["date"], cell)
    assert any(d["anomalies"] for d in data["days"])  # the lone stamp's day at least
    assert 'aria-current="page">Calendario</a>' in page
    assert 'view=calendar" rel="prev"' in page  # the month links keep the calendar


def _a_stamp_alone(world: WebWorld, employee_id: int, day_text: str) -> None:
    """An extra "in" at 23:00 on a plain day: its stamps no longer pair up."""
    day, now = date.fromisoformat(day_text), datetime.now(UTC)
    with Session(world.engine) as session, session.begin():
        session.add(Stamp(institution_id="university", source="web", employee_id=employee_id,
                          terminal_time=now, received_at=now, local_date=day,
                          local_minute=23 * 60, direction="in", flags=""))
        session.flush()
        refresh_days(session, {("university", employee_id, day)}, now)


def _leading_blanks(data: dict[str, list[dict[str, str]]]) -> int:
    return date.fromisoformat(data["days"][0]["date"]).weekday()


def test_an_unknown_layout_is_refused_plainly(employee: Client) -> None:
    answer = employee.get("/timecard?view=grid")
    assert answer.status_code == 400 and "table o calendar" in answer.text
