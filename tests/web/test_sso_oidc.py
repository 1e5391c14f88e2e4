"""Sign-in through an OpenID provider, the authorisation code flow through the real pages:
timbra's redirect, the login and consent pages of a real provider (panva's oidc-provider,
started for this module by `tests/support/oidc_provider.py`), the callback, the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from oidc_provider import log_in_at_provider, running_provider
from sso_pages import (
    BASE,
    audit_since,
    browser,
    display_name,
    greeted,
    last_audit_id,
    sso_app,
)
from world import WebWorld, fresh_web_world

from server.office.sso.config import InstitutionSso, OidcSettings, SsoSettings

CALLBACK = f"{BASE}/sso/university/oidc/callback"
FAILED = "Accesso con le credenziali di Ateneo non riuscito"


@dataclass
class Setup:
    world: WebWorld
    app: Litestar
    employee: str  # the university employee's username: their preferred_username


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("sso_oidc")
    with fresh_web_world(folder) as world:
        employee = world.usernames[("university", "employee")]
        accounts = {"emp": {"preferred_username": employee, "email": "e@ateneo.test"},
                    "stranger": {"preferred_username": "estraneo", "email": "x@ateneo.test"}}
        with running_provider([CALLBACK], accounts) as provider:
            oidc = OidcSettings(issuer=provider.issuer, client_id=provider.client_id,
                                client_secret=provider.client_secret)
            sso = SsoSettings({"university": InstitutionSso("university", BASE, oidc=oidc)})
            yield Setup(world, sso_app(world, folder, sso), employee)


def start(client: TestClient[Litestar], next: str = "/") -> str:
    """Click "Accedi con le credenziali di Ateneo": the provider's address."""
    answer = client.get(f"/sso/university/oidc?next={next}", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def back(client: TestClient[Litestar], callback: str) -> httpx.Response:
    """The browser arriving back at timbra's callback."""
    parts = urlsplit(callback)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_the_login_page_offers_the_provider(setup: Setup, stack: ExitStack) -> None:
    page = browser(setup.app, stack).get("/login")
    assert 'href="/sso/university/oidc?next=/"' in page.text
    assert "Accedi con le credenziali di Ateneo" in page.text


def test_the_code_flow_logs_in_through_the_providers_pages(setup: Setup,
                                                           stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    authorize = start(client, next="/timecard")
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    answer = back(client, log_in_at_provider(authorize, "emp"))
    assert answer.status_code == 303 and answer.headers["location"] == "/timecard"
    assert greeted(client) == display_name(setup.world, setup.employee)
    assert ("login", "university", {"method": "oidc", "identity": setup.employee}) \
        in audit_since(setup.world, before)


def test_a_tampered_state_is_refused(setup: Setup, stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    callback = log_in_at_provider(start(client), "emp")
    answer = back(client, with_param(callback, "state", "forged-state"))
    assert answer.status_code == 403 and "unknown or used state" in answer.text
    assert greeted(client) is None


def test_a_callback_is_used_once(setup: Setup, stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    callback = log_in_at_provider(start(client), "emp")
    assert back(client, callback).status_code == 303
    replay = browser(setup.app, stack)
    replay.cookies.update(client.cookies)
    replay.cookies.delete("timbra_session")
    answer = back(replay, callback)
    assert answer.status_code == 403 and "unknown or used state" in answer.text
    assert greeted(replay) is None


def test_a_tampered_nonce_is_refused(setup: Setup, stack: ExitStack) -> None:
    # The provider puts the nonce it was sent into the ID token; timbra compares it with
    # the one it kept for this sign-in.
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    authorize = with_param(start(client), "nonce", "a-nonce-timbra-never-made")
    answer = back(client, log_in_at_provider(authorize, "emp"))
    assert answer.status_code == 403 and FAILED in answer.text
    assert "nonce" in answer.text
    assert greeted(client) is None
    assert [a for a, _, _ in audit_since(setup.world, before)] == ["sso_failed"]


def test_a_callback_in_another_browser_is_refused(setup: Setup, stack: ExitStack) -> None:
    # Login CSRF: someone's callback address, opened in the victim's browser.
    attacker = browser(setup.app, stack)
    callback = log_in_at_provider(start(attacker), "emp")
    victim = browser(setup.app, stack)
    answer = back(victim, callback)
    assert answer.status_code == 403 and "started in another browser" in answer.text
    assert greeted(victim) is None


def test_an_identity_without_a_timbra_user_is_refused(setup: Setup, stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    answer = back(client, log_in_at_provider(start(client), "stranger"))
    assert answer.status_code == 403
    assert "non corrisponde a nessun utente" in answer.text
    assert greeted(client) is None
    assert ("sso_refused", "university", {"method": "oidc", "reason": "no user"}) \
        in audit_since(setup.world, before)
