"""Sign-in with the institution's directory (LDAP / Active Directory bind) through the web
form, against a real OpenLDAP slapd started for this module (`tests/support/ldap_server.py`).

The university's directory knows: its own employee (whose uid is their timbra username),
a person with no timbra account, and a person whose uid is the school's employee's username.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ldap_server import Directory, Person, running_slapd
from litestar import Litestar
from litestar.testing import TestClient
from sso_pages import BASE, audit_since, browser, display_name, greeted, last_audit_id, sso_app
from world import WebWorld, fresh_web_world

from server.office.sso.config import InstitutionSso, LdapSettings, SsoSettings
from server.office.sso.ldap import DirectoryUnavailable, ldap_identity

PASSWORD = "Ateneo.2026!"
WRONG = "Nome utente o password errati"
NO_USER = "non corrisponde a nessun utente di timbra di questo ente"


@dataclass
class Setup:
    world: WebWorld
    app: Litestar
    employee: str  # the university employee's username, their uid in the directory
    foreign: str  # the school employee's username, also a uid in the university's directory
    directory: Directory
    folder: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("sso_ldap")
    with fresh_web_world(folder) as world:
        employee = world.usernames[("university", "employee")]
        foreign = world.usernames[("school", "employee")]
        people = [Person(employee, PASSWORD, "e@ateneo.test", "M001"),
                  Person("sconosciuto", PASSWORD, "s@ateneo.test", "X999"),
                  Person(foreign, PASSWORD, "f@ateneo.test", "M001")]
        with running_slapd(folder / "slapd", people) as directory:
            ldap = LdapSettings(url=directory.url, base_dn=directory.base_dn)
            sso = SsoSettings({"university": InstitutionSso("university", BASE, ldap=ldap)})
            yield Setup(world, sso_app(world, folder, sso), employee, foreign, directory,
                        folder)


def ldap_login(client: TestClient[Litestar], username: str, password: str,
               next: str = "/") -> Any:
    return client.post("/sso/university/ldap", data={
        "username": username, "password": password, "next": next,
        "_csrf_token": client.cookies.get("timbra_csrf", "")}, follow_redirects=False)


def test_the_login_page_offers_the_institution_credentials(setup: Setup,
                                                           stack: ExitStack) -> None:
    page = browser(setup.app, stack).get("/login?next=/timecard")
    assert "Accedi con le credenziali di Ateneo" in page.text
    assert 'href="/sso/university/ldap?next=/timecard"' in page.text
    assert "/sso/school/" not in page.text  # the school has no directory configured
    form = browser(setup.app, stack).get("/sso/university/ldap")
    assert form.status_code == 200 and 'action="/sso/university/ldap"' in form.text


def test_the_directory_password_logs_in_as_the_user_the_uid_names(setup: Setup,
                                                                  stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    answer = ldap_login(client, setup.employee, PASSWORD, next="/timecard")
    assert answer.status_code == 303 and answer.headers["location"] == "/timecard"
    assert greeted(client) == display_name(setup.world, setup.employee)
    assert ("login", "university", {"method": "ldap", "identity": setup.employee}) \
        in audit_since(setup.world, before)


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_a_wrong_or_empty_password_is_refused(setup: Setup, stack: ExitStack,
                                              password: str) -> None:
    # An empty password would be an anonymous bind, which LDAP accepts.
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    answer = ldap_login(client, setup.employee, password)
    assert answer.status_code == 401 and WRONG in answer.text
    assert greeted(client) is None
    assert [a for a, _, _ in audit_since(setup.world, before)] == ["sso_failed"]


def test_a_name_the_directory_does_not_know_is_refused(setup: Setup, stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    answer = ldap_login(client, "nessuno", PASSWORD)
    assert answer.status_code == 401 and WRONG in answer.text
    assert greeted(client) is None


@pytest.mark.parametrize("typed", ["{prefix}*", "*", "{prefix}*)(uid=*", "*)(|(uid=*"])
def test_filter_injection_in_the_username_finds_nobody(setup: Setup, stack: ExitStack,
                                                       typed: str) -> None:
    # Unescaped, "univ*" with the employee's password would match their entry alone and
    # bind as them. Escaped (RFC 4515), it is a name nobody has.
    client = browser(setup.app, stack)
    answer = ldap_login(client, typed.format(prefix=setup.employee[:4]), PASSWORD)
    assert answer.status_code == 401 and WRONG in answer.text
    assert greeted(client) is None


def test_a_directory_person_without_a_timbra_user_is_refused_and_audited(
        setup: Setup, stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    answer = ldap_login(client, "sconosciuto", PASSWORD)
    assert answer.status_code == 403 and NO_USER in answer.text
    assert greeted(client) is None
    assert ("sso_refused", "university", {"method": "ldap", "reason": "no user"}) \
        in audit_since(setup.world, before)


def test_an_identity_naming_another_institutions_user_is_refused(setup: Setup,
                                                                 stack: ExitStack) -> None:
    # The answer is the one for nobody: the school's usernames stay unknown to the
    # university's people; the audit keeps the reason.
    client = browser(setup.app, stack)
    before = last_audit_id(setup.world)
    answer = ldap_login(client, setup.foreign, PASSWORD)
    assert answer.status_code == 403 and NO_USER in answer.text
    assert greeted(client) is None
    assert ("sso_refused", "university",
            {"method": "ldap", "reason": "another institution's user"}) \
        in audit_since(setup.world, before)


def test_an_institution_without_a_directory_has_no_form(setup: Setup, stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    assert client.get("/sso/school/ldap").status_code == 404
    answer = client.post("/sso/school/ldap", data={
        "username": setup.foreign, "password": PASSWORD,
        "_csrf_token": client.cookies.get("timbra_csrf", "")}, follow_redirects=False)
    assert answer.status_code == 404 and greeted(client) is None


def test_local_passwords_still_work_beside_the_directory(setup: Setup,
                                                         stack: ExitStack) -> None:
    client = browser(setup.app, stack)
    assert setup.world.login(client, "university", "office").status_code == 303
    assert greeted(client) is not None


@pytest.mark.parametrize("how", ["ldaps", "start_tls"])
def test_over_tls_the_directory_certificate_is_verified(setup: Setup, how: str) -> None:
    directory = setup.directory
    url = directory.ldaps_url if how == "ldaps" else directory.url
    trusted = LdapSettings(url=url, base_dn=directory.base_dn, ca_file=directory.ca_file,
                           start_tls=how == "start_tls")
    assert ldap_identity(trusted, setup.employee, PASSWORD) == setup.employee
    # The same self-signed certificate, not in the system's trust: no password is sent.
    untrusted = LdapSettings(url=url, base_dn=directory.base_dn, start_tls=how == "start_tls")
    with pytest.raises(DirectoryUnavailable, match="non risponde"):
        ldap_identity(untrusted, setup.employee, PASSWORD)


def test_a_directory_that_does_not_answer_is_told_and_audited(setup: Setup,
                                                              stack: ExitStack) -> None:
    dead = LdapSettings(url="ldap://127.0.0.1:9", base_dn=setup.directory.base_dn, timeout=2)
    app = sso_app(setup.world, setup.folder,
                  SsoSettings({"university": InstitutionSso("university", BASE, ldap=dead)}))
    client = browser(app, stack)
    before = last_audit_id(setup.world)
    answer = ldap_login(client, setup.employee, PASSWORD)
    assert answer.status_code == 503 and "directory dell&#39;ente non risponde" in answer.text
    assert greeted(client) is None
    assert [a for a, _, _ in audit_since(setup.world, before)] == ["sso_failed"]
