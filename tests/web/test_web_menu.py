"""The menu and the home page's links, as each role follows them: none leads to a "not
found". The demo's personnel office is an account linked to no employee; its menu offered
"Cartellino", which answered 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from web_pages import signed_in
from world import ROLES, WebWorld, fresh_web_world

INSTITUTION = "university"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    folder: Path = tmp_path_factory.mktemp("web_menu")
    with fresh_web_world(folder) as world:
        yield world


def _menu(page: str) -> list[str]:
    nav = page.split('<nav id="menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


@pytest.mark.parametrize("role", ROLES)
def test_every_link_of_the_menu_and_the_home_page_opens(world: WebWorld, role: str) -> None:
    with ExitStack() as stack:
        client = signed_in(world, stack, INSTITUTION, role)
        home = client.get("/").text
        menu = _menu(home)
        tiles = re.findall(r'<a href="(/[^"#]*)"', home.split('<main', 1)[1])
        assert menu, home
        for path in dict.fromkeys(menu + tiles):
            answer = client.get(path)
            assert answer.status_code == 200, (role, path, answer.status_code)


def test_an_account_without_an_employee_has_no_month_of_its_own_in_the_menu(
        world: WebWorld) -> None:
    with ExitStack() as stack:
        office = _menu(signed_in(world, stack, INSTITUTION, "office").get("/").text)
        assert "/timecard" not in office and "/approvals" in office
        employee = _menu(signed_in(world, stack, INSTITUTION, "employee").get("/").text)
        assert {"/timecard", "/stamp", "/requests", "/summaries"} <= set(employee)
