"""Single sign-on settings, one block per institution, read from the YAML file named by
`TIMBRA_SSO_FILE` (see docs/sso.md).

Secrets are never written in the file: a block names the environment variable that holds
each one (`client_secret_env`, `bind_password_env`), so the file can be kept in a repository.
Every key is checked at start: a misspelled key or a missing secret is an `SsoConfigError`
naming the institution and the key, not a login that fails later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MATCHES = ("username", "employee_number")


class SsoConfigError(ValueError):
    """The SSO file cannot be used as written."""


@dataclass(frozen=True)
class OidcSettings:
    """An OpenID Connect provider (Keycloak, a SPID/CIE gateway, Shibboleth's OIDC)."""

    issuer: str  # its discovery document is `issuer/.well-known/openid-configuration`
    client_id: str
    client_secret: str
    attribute: str = "preferred_username"  # the ID token claim naming the person
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    ca_file: str | None = None  # a private CA for the provider's TLS certificate


@dataclass(frozen=True)
class SamlSettings:
    """A SAML 2 identity provider (IDEM federation, Shibboleth)."""

    idp_metadata: str  # a URL or a file path
    key_file: str  # the service provider's signing key and certificate (PEM)
    cert_file: str
    attribute: str = "uid"  # the assertion's attribute (friendly name or OID) naming the person
    # The federation's certificate that signs metadata fetched from a URL (IDEM publishes
    # one): without it, whoever answers at that URL decides which keys are trusted.
    idp_metadata_cert: str | None = None


@dataclass(frozen=True)
class LdapSettings:
    """An LDAP directory or Active Directory the login form binds to."""

    url: str  # ldap://host:389 or ldaps://host:636
    base_dn: str
    login_attribute: str = "uid"  # what the person types (AD: sAMAccountName)
    attribute: str = "uid"  # what maps to the timbra user (uid, mail, a fiscal code)
    bind_dn: str | None = None  # a service account for the search; None: anonymous search
    bind_password: str | None = None
    start_tls: bool = False
    ca_file: str | None = None
    timeout: int = 5


@dataclass(frozen=True)
class InstitutionSso:
    """How one institution's people sign in besides timbra's own passwords.

    `match` says which timbra field the identity's value is compared with: `username`, or
    `employee_number` (the matricola). `provision`: an identity matching an employee number
    with no account yet gets an employee account (only with `match: employee_number`).
    """

    institution_id: str
    public_url: str  # where people reach timbra: the base of the callback addresses
    match: str = "username"
    provision: bool = False
    oidc: OidcSettings | None = None
    saml: SamlSettings | None = None
    ldap: LdapSettings | None = None

    def url(self, path: str) -> str:
        return self.public_url.rstrip("/") + path

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(m for m in ("oidc", "saml", "ldap") if getattr(self, m) is not None)


@dataclass(frozen=True)
class SsoSettings:
    institutions: dict[str, InstitutionSso] = field(default_factory=dict)

    def of(self, institution_id: str) -> InstitutionSso | None:
        return self.institutions.get(institution_id)


def load_sso(path: Path | None, env: Mapping[str, str] | None = None) -> SsoSettings:
    """The file's settings; no file: no single sign-on."""
    if path is None:
        return SsoSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SsoConfigError(f"{path}: {exc}") from None
    return parse_sso(data, os.environ if env is None else env)


def parse_sso(data: Any, env: Mapping[str, str]) -> SsoSettings:
    if not isinstance(data, dict):
        raise SsoConfigError("the SSO file must map institution ids to their settings")
    return SsoSettings({str(inst): _institution(str(inst), block, env)
                        for inst, block in data.items()})


def _institution(inst: str, block: Any, env: Mapping[str, str]) -> InstitutionSso:
    fields = _fields(inst, block, required={"public_url"},
                     optional={"match", "provision", "oidc", "saml", "ldap"})
    match = fields.get("match", "username")
    if match not in MATCHES:
        raise SsoConfigError(f"{inst}.match: {match!r}, use one of {', '.join(MATCHES)}")
    provision = fields.get("provision", False) is True
    if provision and match != "employee_number":
        raise SsoConfigError(f"{inst}.provision needs match: employee_number")
    public_url = str(fields["public_url"])
    if not public_url.startswith(("https://", "http://")):
        raise SsoConfigError(f"{inst}.public_url: an http(s) address")
    oidc = saml = ldap = None
    if "oidc" in fields:
        oidc = _oidc(f"{inst}.oidc", fields["oidc"], env)
    if "saml" in fields:
        f = _fields(f"{inst}.saml", fields["saml"], required={"idp_metadata", "key_file",
                                                              "cert_file"},
                    optional={"attribute", "idp_metadata_cert"})
        saml = SamlSettings(**{k: str(v) for k, v in f.items()})
    if "ldap" in fields:
        ldap = _ldap(f"{inst}.ldap", fields["ldap"], env)
    return InstitutionSso(inst, public_url, match, provision, oidc, saml, ldap)


def _oidc(where: str, block: Any, env: Mapping[str, str]) -> OidcSettings:
    f = _fields(where, block, required={"issuer", "client_id", "client_secret_env"},
                optional={"attribute", "scopes", "ca_file"})
    secret = _secret(where, f.pop("client_secret_env"), env)
    scopes = tuple(str(s) for s in f.pop("scopes", ["openid", "profile", "email"]))
    if "openid" not in scopes:
        raise SsoConfigError(f"{where}.scopes must include openid")
    return OidcSettings(client_secret=secret, scopes=scopes, **{k: str(v) for k, v in f.items()})


def _ldap(where: str, block: Any, env: Mapping[str, str]) -> LdapSettings:
    f = _fields(where, block, required={"url", "base_dn"},
                optional={"login_attribute", "attribute", "bind_dn", "bind_password_env",
                          "start_tls", "ca_file", "timeout"})
    if not str(f["url"]).startswith(("ldap://", "ldaps://")):
        raise SsoConfigError(f"{where}.url: ldap:// or ldaps://")
    password = None
    if "bind_password_env" in f:
        password = _secret(where, f.pop("bind_password_env"), env)
    if ("bind_dn" in f) != (password is not None):
        raise SsoConfigError(f"{where}: bind_dn and bind_password_env go together")
    start_tls = f.pop("start_tls", False) is True
    timeout = int(f.pop("timeout", 5))
    return LdapSettings(bind_password=password, start_tls=start_tls, timeout=timeout,
                        **{k: str(v) for k, v in f.items()})


def _fields(where: str, block: Any, *, required: set[str], optional: set[str]
            ) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise SsoConfigError(f"{where}: a block of keys")
    unknown = set(block) - required - optional
    if unknown:
        secrets = sorted(k for k in unknown if "secret" in k or "password" in k)
        hint = f" (secrets go in the environment: {secrets[0]}_env)" if secrets else ""
        raise SsoConfigError(f"{where}: unknown keys {sorted(unknown)}{hint}")
    missing = required - set(block)
    if missing:
        raise SsoConfigError(f"{where}: missing {sorted(missing)}")
    return dict(block)


def _secret(where: str, variable: Any, env: Mapping[str, str]) -> str:
    value = env.get(str(variable))
    if not value:
        raise SsoConfigError(f"{where}: the environment variable {variable} is not set")
    return value
