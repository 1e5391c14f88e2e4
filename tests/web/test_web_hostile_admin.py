"""What an administrator (or an employee) could learn or slip through, as issue 12 found it:
adding a user told another institution's usernames ("'university.admin' is already
taken"); Unicode digits satisfied "require a digit"; the rule check API checked the first
512 KB of a file that the upload refuses, and called it valid."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import Client, json_headers, signed_in
from world import WebWorld, fresh_web_world

from server.db.models import User
from server.demo.users import demo_password
from server.office.passwords import PasswordRules


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path_factory.mktemp("hostile_admin")) as world:
        yield world


def _add_user(admin: Client, username: str) -> Any:
    return admin.post("/api/v1/admin/users", json={"username": username, "role": "office"},
                      headers=json_headers(admin))


def _users(world: WebWorld) -> int:
    with Session(world.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def test_adding_a_user_tells_nothing_about_another_institutions_usernames(
        world: WebWorld, stack: ExitStack) -> None:
    admin = signed_in(world, stack, "school", "admin")
    before = _users(world)
    taken = _add_user(admin, world.usernames[("university", "admin")])
    free = _add_user(admin, "university.nessuno")
    # On main: "'university.admin' is already taken", and the second one was created.
    assert taken.status_code == free.status_code == 400
    assert taken.json()["detail"].replace("university.admin", "?") == (
        free.json()["detail"].replace("university.nessuno", "?"))
    assert "taken" not in taken.json()["detail"] and "school." in taken.json()["detail"]
    assert _users(world) == before
    assert _add_user(admin, "school.nuova").status_code == 201


@pytest.mark.parametrize(("need", "lookalike"), [
    ("digit", "²"), ("digit", "٣"), ("digit", "７"),  # superscript, Arabic-Indic, full-width
    ("uppercase", "É"), ("uppercase", "Ⅻ"), ("uppercase", "Ａ"),
    ("letter", "é"), ("letter", "ß"),
])
def test_only_ascii_digits_and_letters_count_for_the_password_rules(
        need: str, lookalike: str) -> None:
    """Decided: the rules' "cifra", "lettera", "maiuscola" are 0-9, a-z, A-Z, what any
    keyboard types; on main `str.isdigit`/`isupper` let these through."""
    rules = PasswordRules(min_length=1, require=(need,), source="x.rules:1")
    [problem] = rules.problems(f"!!{lookalike}!!", "someone")
    assert problem.startswith("Manca ")
    assert rules.problems({"digit": "7", "uppercase": "Q", "letter": "q"}[need] + "!",
                          "someone") == []


def test_a_superscript_digit_does_not_pass_the_chamber_rule_on_the_page(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 000: «La password dovrà contenere un minimo di otto caratteri, con la presenza
    di almeno un carattere numerico ed uno alfabetico» (chamber.rules: `require digit`)."""
    client = signed_in(world, stack, "chamber", "employee")
    answer = client.post("/password", data={
        "current": demo_password("chamber", "employee"), "new": "abcdefghij²",
        "confirm": "abcdefghij²", "_csrf_token": client.cookies["timbra_csrf"]})
    assert answer.status_code == 400 and "Manca una cifra (0-9)" in answer.text


def test_the_rule_check_refuses_what_the_upload_refuses(world: WebWorld,
                                                         stack: ExitStack) -> None:
    admin = signed_in(world, stack, "university", "admin")
    big = "# " + "x" * (600 * 1024) + "\n"
    for url in ("/api/v1/admin/rules/check", "/api/v1/admin/rules"):
        answer = admin.post(url, json={"text": big, "file_name": "big.rules"},
                            headers=json_headers(admin))
        # On main the check answered 200 about the first 512 KB.
        assert answer.status_code == 413, url
        assert "File troppo grande (massimo 512 KB)" in answer.json()["detail"]
    # 512 KB counted in bytes: 300,000 "è" are 600,000 bytes.
    accented = admin.post("/api/v1/admin/rules/check", json={"text": "#" + "è" * 300_000,
                                                           "file_name": "big.rules"},
                          headers=json_headers(admin))
    assert accented.status_code == 413
