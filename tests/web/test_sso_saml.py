"""Sign-in through a SAML 2 identity provider (IDEM / Shibboleth style), SP-initiated, the
response by HTTP-POST through the real pages, against a real IdP (pysaml2's, started for this
module by `tests/support/saml_idp.py`, signing with xmlsec1).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from saml_idp import IdentityProvider, log_in_at_idp, make_keys, running_idp
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

from server.office.sso import saml
from server.office.sso.config import InstitutionSso, SamlSettings, SsoSettings

ACS = "/sso/university/saml/acs"
FAILED = "Accesso con le credenziali di Ateneo non riuscito"
PASSWORD = "Idem.2026!"


@dataclass
class Setup:
    world: WebWorld
    app: Litestar
    idp: IdentityProvider
    employee: str  # the university employee's username: their uid at the IdP


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("sso_saml")
    key, cert = make_keys(folder, "sp")
    made: dict[str, InstitutionSso] = {}

    def service_providers(idp_metadata: Path) -> list[str]:
        settings = SamlSettings(str(idp_metadata), str(key), str(cert))
        made["ours"] = InstitutionSso("university", BASE, saml=settings)
        # Another service of the same federation, for the wrong-audience case.
        other = InstitutionSso("other", "https://other-service.example", saml=settings)
        return [saml.metadata_xml(made["ours"]), saml.metadata_xml(other)]

    with fresh_web_world(folder) as world:
        employee = world.usernames[("university", "employee")]
        accounts = {"emp": (PASSWORD, {"uid": [employee]}),
                    "stranger": (PASSWORD, {"uid": ["estraneo"]})}
        with running_idp(folder, service_providers, accounts) as idp:
            app = sso_app(world, folder, SsoSettings({"university": made["ours"]}))
            yield Setup(world, app, idp, employee)


@pytest.fixture
def idp(setup: Setup) -> Iterator[IdentityProvider]:
    """The IdP, back to signing its answers after each test."""
    yield setup.idp
    setup.idp.mode = "signed"


def at_idp(client: TestClient[Litestar], login: str = "emp",
           next: str = "/") -> dict[str, str]:
    """Click "Accedi con le credenziali di Ateneo", log in at the IdP: the form it posts."""
    answer = client.get(f"/sso/university/saml?next={next}", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    action, fields = log_in_at_idp(answer.headers["location"], login, PASSWORD)
    assert action == f"{BASE}{ACS}"
    return fields


def post_back(client: TestClient[Litestar], fields: dict[str, str]) -> httpx.Response:
    """The IdP's page posting to timbra: cross-site, so without timbra's CSRF token."""
    return client.post(ACS, data=fields, follow_redirects=False)


def edited(fields: dict[str, str], old: str, new: str) -> dict[str, str]:
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert old in xml
    return {**fields, "SAMLResponse": base64.b64encode(xml.replace(old, new).encode()).decode()}


def test_the_login_page_offers_the_identity_provider(setup: Setup, stack: ExitStack) -> None:
    page = browser(setup.app, stack).get("/login")
    assert 'href="/sso/university/saml?next=/"' in page.text


def test_the_metadata_names_this_service_and_its_assertion_consumer(
        setup: Setup, stack: ExitStack) -> None:
    answer = browser(setup.app, stack).get("/sso/university/saml/metadata")
    assert answer.status_code == 200
    assert f'entityID="{BASE}/sso/university/saml/metadata"' in answer.text
    assert f'Location="{BASE}{ACS}"' in answer.text


def test_a_signed_response_logs_in(setup: Setup, idp: IdentityProvider,
                                   stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    answer = post_back(client, at_idp(client, next="/timecard"))
    assert answer.status_code == 303 and answer.headers["location"] == "/timecard"
    assert greeted(client) == display_name(setup.world, setup.employee)
    assert ("login", "university", {"method": "saml", "identity": setup.employee}) \
        in audit_since(setup.world, before)


def test_a_tampered_assertion_is_refused(setup: Setup, idp: IdentityProvider,
                                         stack: ExitStack) -> None:
    # Someone edits the signed uid to another person's: the signature no longer holds.
    client = browser(setup.app, stack)
    fields = edited(at_idp(client, "stranger"), ">estraneo<", f">{setup.employee}<")
    answer = post_back(client, fields)
    assert answer.status_code == 403 and FAILED in answer.text
    assert "Failed to verify signature" in answer.text
    assert greeted(client) is None


def test_an_unsigned_response_is_refused(setup: Setup, idp: IdentityProvider,
                                         stack: ExitStack) -> None:
    idp.mode = "unsigned"
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    answer = post_back(client, at_idp(client))
    assert answer.status_code == 403 and "Neither the response nor the assertions are signed" \
        in answer.text
    assert greeted(client) is None
    assert [a for a, _, _ in audit_since(setup.world, before)] == ["sso_failed"]


def test_a_response_for_another_service_is_refused(setup: Setup, idp: IdentityProvider,
                                                   stack: ExitStack) -> None:
    idp.mode = "other_audience"
    client = browser(setup.app, stack)
    answer = post_back(client, at_idp(client))
    assert answer.status_code == 403 and "AudienceRestrictions" in answer.text
    assert greeted(client) is None


def test_a_response_is_used_once(setup: Setup, idp: IdentityProvider,
                                 stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    fields = at_idp(client)
    assert post_back(client, fields).status_code == 303
    replay = browser(setup.app, stack)
    answer = post_back(replay, fields)
    assert answer.status_code == 403 and "unknown or used RelayState" in answer.text
    assert greeted(replay) is None


def test_a_response_to_another_request_is_refused(setup: Setup, idp: IdentityProvider,
                                                  stack: ExitStack) -> None:
    # Two sign-ins started; the first's response posted with the second's RelayState:
    # its InResponseTo is not the request that RelayState kept.
    client = browser(setup.app, stack)
    first, second = at_idp(client), at_idp(client)
    answer = post_back(client, {**first, "RelayState": second["RelayState"]})
    assert answer.status_code == 403 and "Unsolicited response" in answer.text
    assert greeted(client) is None


def test_an_identity_without_a_timbra_user_is_refused(setup: Setup, idp: IdentityProvider,
                                                      stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    answer = post_back(client, at_idp(client, "stranger"))
    assert answer.status_code == 403 and "non corrisponde a nessun utente" in answer.text
    assert greeted(client) is None
