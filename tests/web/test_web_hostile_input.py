"""Hostile input is refused at the edge with a 400 that says why, on both databases, and
changes nothing: a NUL character in any text field (the anonymous login included), JSON
nested beyond reason. A fault of ours (a 500) is logged with its traceback."""

from __future__ import annotations

import logging
from contextlib import ExitStack

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import Client, form, json_headers, plain_days, signed_in
from world import WebWorld, log_in

from server.db.models import Request as RequestRow
from server.db.models import User
from server.office import accounts


@pytest.fixture
def world(web_world: WebWorld) -> WebWorld:
    return web_world


def _requests(world: WebWorld) -> int:
    with Session(world.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(RequestRow)) or 0


def _day(world: WebWorld, employee: Client) -> str:
    return str(plain_days(employee, world.ids[("university", "self_employee")])[0]["date"])


def test_a_nul_in_the_anonymous_login_is_a_400_and_touches_no_account(
        world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    username = world.usernames[("university", "employee")]
    by_name = log_in(client, username + "\x00", "x")
    assert by_name.status_code == 400 and "NUL" in by_name.text
    by_password = log_in(client, username, "wrong\x00")
    assert by_password.status_code == 400
    with Session(world.engine) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        assert user is not None and user.failed_logins == 0


def test_a_nul_in_a_request_form_or_json_or_query_is_a_400_and_files_nothing(
        world: WebWorld, stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    day, before = _day(world, employee), _requests(world)
    page = employee.post("/requests/justification", data=form(
        employee, code="20", day=day, start="18:02", end="19:03", notes="a\x00b"),
        files={"attachment": ("", b"", "application/octet-stream")})
    assert page.status_code == 400
    assert "Il carattere NUL (0x00) non è ammesso" in page.text
    api = employee.post("/api/v1/requests", json={
        "kind": "justification", "day": day, "code": "20", "start": "18:02",
        "end": "19:03", "notes": "a\x00b"}, headers=json_headers(employee))
    assert api.status_code == 400 and "NUL" in api.json()["detail"]
    assert employee.get("/api/v1/requests", params={"state": "a\x00"}).status_code == 400
    assert _requests(world) == before


def test_a_file_may_hold_nul_bytes_but_its_name_may_not(world: WebWorld,
                                                        stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    fields = form(employee, code="23", day=_day(world, employee), start="14:00", end="15:00")
    named = employee.post("/requests/justification", data=fields, files={
        "attachment": ("referto\x00.pdf", b"%PDF", "application/pdf")})
    assert named.status_code == 400
    accepted = employee.post("/requests/justification", data=fields, files={
        "attachment": ("referto.pdf", b"%PDF-1.4\x00\x01\x00", "application/pdf")},
        follow_redirects=False)
    assert accepted.status_code == 303, accepted.text


def test_json_nested_a_thousand_deep_is_a_400_and_files_nothing(world: WebWorld,
                                                                stack: ExitStack) -> None:
    employee = signed_in(world, stack, "university", "employee")
    before = _requests(world)
    for deep in ("[" * 1000 + "]" * 1000, '{"notes":' + "[" * 40 + "]" * 40 + "}"):
        answer = employee.post("/api/v1/requests", content=deep, headers={
            **json_headers(employee), "content-type": "application/json"})
        assert answer.status_code == 400
        assert "annidato oltre 32 livelli" in answer.json()["detail"]
    assert _requests(world) == before


def test_a_fault_of_ours_is_a_500_logged_with_its_traceback(
        world: WebWorld, stack: ExitStack, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(accounts, "log_in", broken)
    client = world.client(stack)
    with caplog.at_level(logging.ERROR, logger="timbra.web.errors"):
        answer = log_in(client, "anyone", "x")
    assert answer.status_code == 500 and "disk on fire" not in answer.text
    logged = [r for r in caplog.records if r.name == "timbra.web.errors"]
    assert logged and "POST /login" in logged[0].getMessage()
    assert logged[0].exc_info is not None and "disk on fire" in str(logged[0].exc_info[1])


def test_a_request_too_far_ahead_or_with_a_huge_note_is_a_400_naming_the_field(
        world: WebWorld, stack: ExitStack) -> None:
    """9999-12-31 was accepted and approved; a 9 MB note made `/requests` 9 MB."""
    employee = signed_in(world, stack, "university", "employee")
    before = _requests(world)
    filing = {"kind": "justification", "code": "20", "start": "18:02", "end": "19:03"}
    far = employee.post("/api/v1/requests", json={**filing, "day": "9999-12-31"},
                        headers=json_headers(employee))
    assert far.status_code == 400 and far.json()["field"] == "day"
    assert "Data troppo lontana" in far.json()["detail"]
    huge = employee.post("/api/v1/requests", json={
        **filing, "day": _day(world, employee), "notes": "x" * 9_000_000},
        headers=json_headers(employee))
    assert huge.status_code == 400 and huge.json()["field"] == "notes"
    assert _requests(world) == before
