"""From an identity the institution's provider vouches for to a timbra user, on SQLite and
PostgreSQL; and the SSO settings file, whose mistakes are told at start, by key.

The world's school has Ann (number ANN, user school.ann), Bob and Cat; the university has
its own Ann (user university.ann).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.db.models import AuditEntry, User
from server.office.accounts import may_log_in
from server.office.activation import deactivate_employee
from server.office.sso.config import (
    InstitutionSso,
    SsoConfigError,
    load_sso,
    parse_sso,
)
from server.office.sso.identities import IdentityRefused, sign_in


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        world(session, "university")
        yield world(session, "school")


def audited(session: Session, action: str) -> list[dict[str, object]]:
    return [dict(e.detail) for e in session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def by_username(inst: str = "school") -> InstitutionSso:
    return InstitutionSso(inst, "https://timbra.example")


def by_number(provision: bool = False) -> InstitutionSso:
    return InstitutionSso("school", "https://timbra.example", match="employee_number",
                          provision=provision)


def test_the_username_the_identity_names_is_logged_in_and_audited(school: World) -> None:
    user = sign_in(school.session, by_username(), "saml", "school.ann")
    assert user.id == school.users["ann"].id
    assert audited(school.session, "login")[-1] == {"method": "saml", "identity": "school.ann"}


def test_the_employee_number_finds_the_employees_account(school: World) -> None:
    user = sign_in(school.session, by_number(), "oidc", "BOB")
    assert user.id == school.users["bob"].id


def test_another_institutions_user_is_refused_like_nobody(school: World) -> None:
    with pytest.raises(IdentityRefused) as refused:
        sign_in(school.session, by_username(), "ldap", "university.ann")
    with pytest.raises(IdentityRefused) as nobody:
        sign_in(school.session, by_username(), "ldap", "school.nobody")
    assert str(refused.value).replace("university.ann", "X") == \
        str(nobody.value).replace("school.nobody", "X")
    reasons = [(d["reason"]) for d in audited(school.session, "sso_refused")]
    assert reasons == ["another institution's user", "no user"]


def test_an_employee_without_an_account_is_refused_unless_provisioning(school: World) -> None:
    school.employee("dan", number="D42", name="Dan Verdi")
    with pytest.raises(IdentityRefused):
        sign_in(school.session, by_number(), "oidc", "D42")
    assert school.session.scalar(sa.select(User).where(User.username == "school.D42")) is None
    user = sign_in(school.session, by_number(provision=True), "oidc", "D42")
    assert (user.username, user.role, user.display_name, user.employee_id) == \
        ("school.D42", "employee", "Dan Verdi", school.employees["dan"].id)
    assert not user.must_change_password
    assert audited(school.session, "user_provisioned") == [
        {"username": "school.D42", "employee": "D42"}]
    # The next sign-in finds the account made.
    assert sign_in(school.session, by_number(provision=True), "oidc", "D42").id == user.id


def test_provisioning_makes_no_account_for_a_number_nobody_has(school: World) -> None:
    with pytest.raises(IdentityRefused):
        sign_in(school.session, by_number(provision=True), "oidc", "NOBODY")
    assert audited(school.session, "user_provisioned") == []


def test_a_deactivated_employee_is_refused(school: World) -> None:
    deactivate_employee(school.session, school.users["office"], school.employees["cat"].id,
                        reason="left")
    assert not may_log_in(school.session, school.users["cat"])
    with pytest.raises(IdentityRefused, match="non è attivo"):
        sign_in(school.session, by_username(), "saml", "school.cat")


@pytest.mark.parametrize("value", ["", "   ", "x" * 201, "ann\x00"])
def test_an_unusable_identity_is_refused(school: World, value: str) -> None:
    with pytest.raises(IdentityRefused):
        sign_in(school.session, by_username(), "oidc", value)


# --- the settings file -------------------------------------------------------------------------

ENV = {"UNI_OIDC_SECRET": "s3cret", "UNI_LDAP_PASSWORD": "bind-pw"}


def test_a_full_block_is_read_with_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "sso.yaml"
    path.write_text("""
university:
  public_url: https://presenze.ateneo.it
  match: employee_number
  provision: true
  oidc: {issuer: https://idp.ateneo.it, client_id: timbra,
         client_secret_env: UNI_OIDC_SECRET, attribute: fiscal_number}
  saml: {idp_metadata: https://idem.it/metadata.xml, key_file: /k.pem, cert_file: /c.pem,
         idp_metadata_cert: /idem.crt}
  ldap: {url: ldaps://ldap.ateneo.it, base_dn: "ou=people,dc=ateneo,dc=it",
         bind_dn: "cn=timbra,dc=ateneo,dc=it", bind_password_env: UNI_LDAP_PASSWORD,
         login_attribute: sAMAccountName, attribute: employeeNumber}
""", encoding="utf-8")
    settings = load_sso(path, ENV)
    uni = settings.of("university")
    assert uni is not None and uni.methods == ("oidc", "saml", "ldap")
    assert uni.oidc is not None and uni.oidc.client_secret == "s3cret"
    assert uni.oidc.attribute == "fiscal_number"
    assert uni.ldap is not None and uni.ldap.bind_password == "bind-pw"
    assert uni.saml is not None and uni.saml.idp_metadata_cert == "/idem.crt"
    assert uni.url("/sso/university/oidc/callback") == \
        "https://presenze.ateneo.it/sso/university/oidc/callback"
    assert load_sso(None).institutions == {}


@pytest.mark.parametrize(("block", "message"), [
    ({"public_url": "https://t", "oidc": {"issuer": "https://i", "client_id": "c",
                                          "client_secret": "in-the-file"}},
     "secrets go in the environment: client_secret_env"),
    ({"public_url": "https://t", "oidc": {"issuer": "https://i", "client_id": "c",
                                          "client_secret_env": "UNSET_VARIABLE"}},
     "UNSET_VARIABLE is not set"),
    ({"public_url": "https://t", "match": "email"}, "use one of username, employee_number"),
    ({"public_url": "https://t", "provision": True}, "provision needs match: employee_number"),
    ({"public_url": "https://t", "ldap": {"url": "http://x", "base_dn": "dc=x"}},
     "ldap:// or ldaps://"),
    ({"public_url": "https://t", "ldap": {"url": "ldap://x"}}, "missing ['base_dn']"),
    ({"public_url": "https://t", "ldap": {"url": "ldap://x", "base_dn": "dc=x",
                                          "bind_dn": "cn=x"}},
     "bind_dn and bind_password_env go together"),
    ({"public_url": "ftp://t"}, "public_url"),
])
def test_a_mistake_in_the_file_names_the_key(block: dict[str, object], message: str) -> None:
    with pytest.raises(SsoConfigError) as error:
        parse_sso({"university": block}, ENV)
    assert message in str(error.value) and "university" in str(error.value)
