"""Sessions, cookies, headers and files against an attacker, as issue 12 found them: the
CSRF token was not bound to the session (a pair made by the attacker and planted as the
victim's cookie was accepted); the SQLite database was created world-readable; no CSP,
X-Frame-Options or HSTS; cookies were never `Secure` from `timbra run`, even behind TLS."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from web_pages import Client, signed_in
from world import WebWorld, fresh_web_world

from server.broker.embedded import free_port
from server.db import make_engine, upgrade
from server.web.app import create_app
from server.web.secret import FILE_NAME
from server.web.serve import serve_web


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path_factory.mktemp("hostile_session")) as world:
        yield world


def _logout(client: Client, token: str) -> int:
    return client.post("/logout", data={"_csrf_token": token},
                       follow_redirects=False).status_code


def _plant(client: Client, token: str) -> None:
    """What cookie tossing from a sibling subdomain, or a plain-http answer, does."""
    client.cookies.delete("timbra_csrf")
    client.cookies.set("timbra_csrf", token, domain="testserver.local")


def test_a_csrf_pair_from_another_browser_is_refused_in_a_logged_in_session(
        world: WebWorld, stack: ExitStack) -> None:
    victim = signed_in(world, stack, "university", "employee")
    anonymous = world.client(stack)  # the attacker's own pair, made without logging in
    attacker = signed_in(world, stack, "school", "employee")  # and one of his session
    for token in (anonymous.cookies["timbra_csrf"], attacker.cookies["timbra_csrf"]):
        _plant(victim, token)
        # On main: 303, the victim logged out by a page of the attacker's.
        assert _logout(victim, token) == 403
        assert victim.get("/").status_code == 200


def test_the_token_changes_at_login_and_a_lost_cookie_comes_back(
        world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    before = client.cookies["timbra_csrf"]
    assert world.login(client, "school", "office").status_code == 303
    after = client.cookies["timbra_csrf"]
    assert after != before
    _plant(client, before)
    assert _logout(client, before) == 403  # the token of before the login is dead
    client.cookies.delete("timbra_csrf")
    page = client.get("/")  # the session's own token comes back with any page
    assert page.status_code == 200 and client.cookies["timbra_csrf"] == after
    assert f'value="{after}"' in client.get("/password").text
    assert _logout(client, after) == 303


def test_pages_carry_the_security_headers_and_hsts_only_over_tls(
        world: WebWorld, stack: ExitStack) -> None:
    for page in ("/login", "/static/timbra.css", "/nowhere"):
        answer = world.client(stack).get(page)
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
    plain = stack.enter_context(TestClient(world.app, base_url="http://testserver.local"))
    assert "strict-transport-security" not in plain.get("/login").headers
    # The CSP allows no inline code: no page may have any left.
    office = signed_in(world, stack, "university", "office")
    for path in ("/office/close", "/office/areas", "/"):
        text = office.get(path).text
        assert "<script>" not in text and " onchange=" not in text and " style=" not in text


def _plain_http_app(folder: Path) -> Litestar:
    engine = make_engine(f"sqlite:///{folder}/t.db")
    upgrade(engine)
    return create_app(engine, data_dir=folder, session_store=MemoryStore(),
                      secure_cookies=False)


def test_behind_tls_the_cookies_are_secure_even_when_not_forced(tmp_path: Path) -> None:
    """`timbra run` serves plain http (secure_cookies=False); behind a TLS proxy the
    scheme is https (uvicorn takes X-Forwarded-Proto from a trusted proxy), and then
    its cookies are Secure. On main they never were."""
    app = _plain_http_app(tmp_path)
    with TestClient(app, base_url="https://timbra.example") as client:
        cookie = client.get("/login").headers["set-cookie"]
    parts = {p.strip().lower() for p in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= parts
    with TestClient(app, base_url="http://127.0.0.1") as client:
        cookie = client.get("/login").headers["set-cookie"]
    assert "secure" not in cookie.lower()


def test_behind_a_tls_proxy_on_this_machine_uvicorn_reports_https(tmp_path: Path) -> None:
    """`timbra run`'s uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (its default
    `forwarded_allow_ips`): a reverse proxy there terminating TLS gets Secure cookies and
    HSTS; a plain-http request does not."""
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    upgrade(engine)
    with serve_web(engine, port=free_port(), data_dir=tmp_path, secure_cookies=False) as url:
        proxied = httpx.get(f"{url}login", headers={"x-forwarded-proto": "https"})
        plain = httpx.get(f"{url}login")
    assert "secure" in proxied.headers["set-cookie"].lower()
    assert proxied.headers["strict-transport-security"] == "max-age=31536000"
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers
    engine.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_secret_and_session_folder_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "timbra-data"
    engine = make_engine(f"sqlite:///{data}/timbra.db")
    upgrade(engine)  # writes, so the -wal file exists too
    create_app(engine, data_dir=data)
    assert _mode(data / "timbra.db") == 0o600  # on main: 0644, anyone could copy it
    assert _mode(data / "timbra.db-wal") == 0o600
    assert _mode(data / FILE_NAME) == 0o600
    assert _mode(data) == 0o700 and _mode(data / "sessions") == 0o700
    engine.dispose()


def test_a_database_left_readable_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600
