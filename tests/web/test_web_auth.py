"""Login, logout, lockout, first-login password change, CSRF and cookies, as a person
using the pages would meet them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from sqlalchemy.orm import Session
from web_pages import activate_rules
from world import WebWorld, fresh_web_world

from dsl.vocabulary import PASSWORD_REQUIREMENTS
from server.db import make_engine
from server.db.models import AuditEntry, User
from server.demo.users import demo_password
from server.office.activation import deactivate_employee
from server.office.passwords import PasswordRules, password_rules
from server.web.app import create_app

WRONG = "Nome utente o password errati"
REFUSED = "Nome utente o password errati, oppure troppi tentativi"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """One world for the module: each test works with its own demo users."""
    folder = tmp_path_factory.mktemp("web_auth")
    with fresh_web_world(folder) as world:
        yield world



def audit_actions(world: WebWorld, username: str) -> list[tuple[str, dict[str, object]]]:
    """The audit entries about one user, oldest first."""
    with Session(world.engine) as session:
        user_id = session.scalar(sa.select(User.id).where(User.username == username))
        return [(e.action, e.detail) for e in session.scalars(
            sa.select(AuditEntry).where(AuditEntry.target == f"user:{user_id}")
            .order_by(AuditEntry.id))]


def test_login_shows_home_and_logout_ends_the_session(world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    response = world.login(client, "university", "employee")
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Maria Rossi" in home.text
    session_cookie = client.cookies["timbra_session"]
    out = client.post("/logout", data={"_csrf_token": client.cookies["timbra_csrf"]},
                      follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    # The old session id is dead on the server, not only forgotten by this browser.
    replay = world.client(stack)
    replay.cookies.set("timbra_session", session_cookie)
    assert replay.get("/", follow_redirects=False).status_code == 302
    assert [a for a, _ in audit_actions(world, "university.dipendente")][-2:] == [
        "login", "logout"]


def test_login_takes_you_back_to_the_page_you_asked_for_but_never_off_site(
        world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    asked = client.get("/timecard?month=2026-01", follow_redirects=False)
    assert asked.headers["location"] == "/login?next=%2Ftimecard%3Fmonth%3D2026-01"
    for target, lands in (("/timecard?month=2026-01", "/timecard?month=2026-01"),
                          ("//evil.example/x", "/"), ("https://evil.example/", "/")):
        answer = client.post("/login", data={
            "username": "university.dipendente",
            "password": demo_password("university", "employee"),
            "next": target, "_csrf_token": client.cookies["timbra_csrf"]}, follow_redirects=False)
        assert answer.headers["location"] == lands


def test_wrong_password_and_unknown_user_get_the_same_answer_and_are_audited(
        world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    wrong = world.login(client, "university", "employee", password="not-the-password-9")
    unknown = client.post("/login", data={"username": "nobody", "password": "x",
                                          "_csrf_token": client.cookies["timbra_csrf"]})
    for answer in (wrong, unknown):
        assert answer.status_code == 401 and WRONG in answer.text
    assert "timbra_session" not in client.cookies
    entries = audit_actions(world, "university.dipendente")
    assert entries[-1][0] == "login_failed"
    with Session(world.engine) as session:
        unknown_entry = session.scalar(sa.select(AuditEntry).where(
            AuditEntry.target == "username:nobody"))
        assert unknown_entry is not None and unknown_entry.action == "login_failed"
        everything = [(e.target, e.detail) for e in session.scalars(sa.select(AuditEntry))]
    assert "not-the-password-9" not in str(everything)


def _lock_minutes(world: WebWorld, username: str) -> float:
    with Session(world.engine) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        assert user is not None and user.locked_until is not None
        return (user.locked_until - datetime.now(UTC)) / timedelta(minutes=1)


def _lift_lock(world: WebWorld, username: str) -> None:
    """As if the lock's time had passed."""
    with Session(world.engine) as session, session.begin():
        session.execute(sa.update(User).where(User.username == username).values(
            locked_until=datetime.now(UTC) - timedelta(seconds=1)))


def test_five_failures_lock_the_account_each_lock_twice_as_long(world: WebWorld,
                                                                 stack: ExitStack) -> None:
    client = world.client(stack)
    username = "school.responsabile"
    wrong_answers = [world.login(client, "school", "manager", password="wrong-guess-1")
                     for _ in range(5)]
    refused = world.login(client, "school", "manager")  # the right password, while locked
    # The locked account answers exactly like a wrong password: nothing tells it exists.
    assert refused.status_code == 401 and REFUSED in refused.text
    assert all(a.status_code == 401 and REFUSED in a.text for a in wrong_answers)
    assert 0.9 < _lock_minutes(world, username) <= 1  # the first lock: one minute
    actions = [a for a, _ in audit_actions(world, username)]
    assert actions.count("login_failed") == 5 and "login_locked" in actions
    assert actions[-1] == "login_refused_locked"
    _lift_lock(world, username)
    for _ in range(5):
        world.login(client, "school", "manager", password="wrong-guess-1")
    assert 1.9 < _lock_minutes(world, username) <= 2  # the second in a row: twice as long
    _lift_lock(world, username)
    assert world.login(client, "school", "manager").status_code == 303
    with Session(world.engine) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        assert user is not None and (user.failed_logins, user.lockouts) == (0, 0)
    # Four failures do not lock.
    other = world.client(stack)
    for _ in range(4):
        world.login(other, "school", "office", password="wrong-guess-1")
    assert world.login(other, "school", "office").status_code == 303


def _change(client: TestClient[Any], current: str, new: str,
            confirm: str | None = None) -> httpx.Response:
    return client.post("/password", data={
        "current": current, "new": new, "confirm": new if confirm is None else confirm,
        "_csrf_token": client.cookies["timbra_csrf"]}, follow_redirects=False)


def test_first_login_forces_a_password_change_with_the_chamber_policy(
        world: WebWorld, stack: ExitStack) -> None:
    world.set_must_change("chamber", "employee", True)
    old = demo_password("chamber", "employee")
    client = world.client(stack)
    assert world.login(client, "chamber", "employee").headers["location"] == "/password"
    assert client.get("/timecard", follow_redirects=False).headers["location"] == "/password"
    page = client.get("/password")
    assert "Almeno 8 caratteri, con una cifra (0-9) e una lettera (a-z)" in page.text
    assert "chamber.rules:227" in page.text
    # Seed 000: at least eight characters, a digit and a letter.
    assert "Manca una cifra" in _change(client, old, "abcdefgh").text
    assert "Manca una lettera" in _change(client, old, "12345678").text
    assert "Troppo corta" in _change(client, old, "abc1234").text
    assert "non coincidono" in _change(client, old, "abcd1234", "abcd1235").text
    assert "attuale non è corretta" in _change(client, "wrong", "abcd1234").text
    assert _change(client, old, "abcd1234").status_code == 303
    assert client.get("/timecard").status_code == 200
    again = world.client(stack)
    assert world.login(again, "chamber", "employee").status_code == 401
    assert world.login(again, "chamber", "employee", password="abcd1234").headers[
        "location"] == "/"
    assert any(a == "password_changed" and d.get("rule") == "chamber.rules:227"
               for a, d in audit_actions(world, "chamber.dipendente"))


def test_the_password_policy_is_the_activated_rule_files(tmp_path: Path,
                                                          stack: ExitStack) -> None:
    """The chamber's administrator activates a file whose `password` block asks for 12
    characters and an upper-case letter, instead of seed 000's "minimo di otto caratteri,
    con la presenza di almeno un carattere numerico ed uno alfabetico": the page says so,
    and passwords the plugin's file allowed are refused."""
    world = stack.enter_context(fresh_web_world(tmp_path))
    world.set_must_change("chamber", "employee", True)
    old = demo_password("chamber", "employee")
    client = world.client(stack)
    world.login(client, "chamber", "employee")
    assert "Almeno 8 caratteri" in client.get("/password").text
    activate_rules(world, stack, "chamber",
                   lambda text: text.replace("min_length 8", "min_length 12", 1).replace(
                       "require letter", "require letter\n        require uppercase", 1),
                   "camera-2027.rules")
    page = client.get("/password")
    assert page.status_code == 200
    assert ("Almeno 12 caratteri, con una cifra (0-9) e una lettera (a-z) e una maiuscola "
            "(A-Z)") in page.text
    assert "camera-2027.rules:227" in page.text and 'minlength="12"' in page.text
    refused = _change(client, old, "abcd123456")
    assert refused.status_code == 400
    assert "Troppo corta: servono almeno 12 caratteri" in refused.text
    no_capital = _change(client, old, "abcd12345678")
    assert no_capital.status_code == 400 and "Manca una maiuscola" in no_capital.text
    for tried in ("abcd123456", "abcd12345678"):
        assert world.login(world.client(stack), "chamber", "employee", password=tried
                           ).status_code == 401  # the password did not change
    assert _change(client, old, "Abcd12345678").status_code == 303
    assert any(a == "password_changed" and d.get("rule") == "camera-2027.rules:227"
               for a, d in audit_actions(world, "chamber.dipendente"))
    # In force from the 1st at local midnight, still the month before in UTC.
    first = date.today().replace(day=1)
    midnight = datetime(first.year, first.month, 1, tzinfo=ZoneInfo("Europe/Rome"))
    with Session(world.engine) as session:
        assert password_rules(session, "chamber", midnight.astimezone(UTC)).min_length == 12
        assert password_rules(session, "chamber", midnight - timedelta(minutes=1)
                              ).min_length == 8


@pytest.mark.parametrize("need", sorted(PASSWORD_REQUIREMENTS))
def test_every_requirement_a_rule_file_may_write_is_enforced(need: str) -> None:
    """The checker accepts `require NAME` for these names; each must refuse a password
    without it and be said on the page, not be accepted in the file and then ignored."""
    rules = PasswordRules(min_length=1, require=(need,), source="x.rules:1")
    lacking = {"digit": "abcDEF!", "letter": "1234!", "uppercase": "abc1!",
               "symbol": "abC1"}[need]
    [problem] = rules.problems(lacking, "someone")
    assert problem.startswith("Manca ")
    assert problem.removeprefix("Manca ").split(".")[0] in rules.describe()
    assert rules.problems("aB1!", "someone") == []


def test_an_institution_without_a_password_block_gets_the_default(
        world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    world.login(client, "university", "office")
    old = demo_password("university", "office")
    assert "Troppo corta" in _change(client, old, "abcd1234").text  # 8 is enough for chamber
    assert _change(client, old, "abcd123456").status_code == 303


def test_changing_the_password_ends_the_other_sessions(world: WebWorld, stack: ExitStack) -> None:
    here, there = world.client(stack), world.client(stack)
    world.login(here, "school", "employee")
    world.login(there, "school", "employee")
    assert _change(here, demo_password("school", "employee"), "nuova-password-7").status_code == 303
    assert here.get("/").status_code == 200
    assert there.get("/", follow_redirects=False).status_code == 302


def test_forged_posts_without_the_csrf_token_are_refused(world: WebWorld, stack: ExitStack) -> None:
    victim, attacker = world.client(stack), world.client(stack)
    world.login(victim, "university", "employee")
    # No token at all, then the attacker's own (valid for the attacker's cookie only).
    for data in ({}, {"_csrf_token": attacker.cookies["timbra_csrf"]}):
        forged = victim.post("/logout", data=data, follow_redirects=False)
        assert forged.status_code == 403
        assert victim.get("/").status_code == 200  # still logged in: the POST did nothing
    forged_change = victim.post("/password", data={"current": "x", "new": "y", "confirm": "y"})
    assert forged_change.status_code == 403
    assert victim.post("/login", data={"username": "a", "password": "b"}).status_code == 403
    # A JSON client sends the token in the x-csrftoken header.
    ok = victim.post("/logout", headers={"x-csrftoken": victim.cookies["timbra_csrf"]},
                     follow_redirects=False)
    assert ok.status_code == 303


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def test_cookies_are_secure_http_only_and_same_site_lax(world: WebWorld, stack: ExitStack) -> None:
    client = stack.enter_context(TestClient(world.app, base_url="https://testserver.local"))
    csrf = _set_cookies(client.get("/login"))["timbra_csrf"]
    session = _set_cookies(world.login(client, "university", "employee"))["timbra_session"]
    for header in (csrf, session):
        flags = {part.strip().lower() for part in header.split(";")}
        assert {"secure", "httponly", "samesite=lax"} <= flags, header
    # Anonymous visits leave no session behind.
    assert "timbra_session" not in _set_cookies(
        stack.enter_context(TestClient(world.app, base_url="https://x.local")).get("/login"))


def test_without_secure_cookies_for_plain_http_on_this_machine(tmp_path: Path) -> None:
    app = create_app(make_engine(f"sqlite:///{tmp_path}/t.db"), data_dir=tmp_path,
                     session_store=MemoryStore(), secure_cookies=False)
    with TestClient(app) as client:
        csrf = _set_cookies(client.get("/login"))["timbra_csrf"]
    assert "secure" not in csrf.lower() and "httponly" in csrf.lower()


def test_session_id_changes_at_login(world: WebWorld, stack: ExitStack) -> None:
    """Session fixation: an id planted before login never becomes a logged-in session."""
    client = world.client(stack)
    client.cookies.set("timbra_session", "planted-by-an-attacker", domain="testserver.local")
    answer = world.login(client, "university", "employee")
    given = _set_cookies(answer)["timbra_session"].split(";")[0].split("=", 1)[1]
    assert given != "planted-by-an-attacker" and len(given) >= 64
    assert client.get("/").status_code == 200
    attacker = world.client(stack)
    attacker.cookies.set("timbra_session", "planted-by-an-attacker")
    assert attacker.get("/", follow_redirects=False).status_code == 302


def test_the_web_secret_is_made_once_and_private(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    create_app(engine, data_dir=tmp_path / "data")
    secret = tmp_path / "data" / "web-secret"
    first = secret.read_text()
    create_app(engine, data_dir=tmp_path / "data")
    assert secret.read_text() == first and len(first.strip()) >= 32
    assert secret.stat().st_mode & 0o077 == 0


def test_a_deactivated_employee_is_logged_out_and_refused_like_a_wrong_password(
        world: WebWorld, stack: ExitStack) -> None:
    """Only the academy's employee user is touched: the other tests of the module do not
    use it."""
    inside = world.client(stack)
    assert world.login(inside, "academy", "employee").status_code == 303
    with Session(world.engine) as session:
        office = session.scalars(sa.select(User).where(
            User.username == world.usernames[("academy", "office")])).one()
        user = session.scalars(sa.select(User).where(
            User.username == world.usernames[("academy", "employee")])).one()
        assert user.employee_id is not None
        deactivate_employee(session, office, user.employee_id)
        session.commit()
    assert inside.get("/", follow_redirects=False).headers["location"].startswith("/login")
    client = world.client(stack)
    refused = world.login(client, "academy", "employee")
    wrong = world.login(world.client(stack), "academy", "employee", password="not-it-9")
    assert refused.status_code == wrong.status_code == 401
    def without_token(text: str) -> str:
        return re.sub(r'name="_csrf_token" value="[^"]*"', "", text)
    assert WRONG in refused.text and without_token(refused.text) == without_token(wrong.text)
