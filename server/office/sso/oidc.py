"""OpenID Connect, authorisation code flow with PKCE, as a relying party (authlib's OAuth 2
client, joserfc for the ID token).

`begin` gives the provider's authorisation address and what the callback must be checked
against (state, nonce, PKCE verifier), which the web layer keeps for this browser only;
`finish` trades the code for tokens and returns the identity's value once the ID token's
signature (the provider's published keys), issuer, audience, expiry and nonce hold. What
a provider leaves out of the ID token (most put only `sub` there) is read from its userinfo
endpoint, whose `sub` must be the ID token's.
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass
from typing import Any, cast

import httpx
from authlib.oauth2.rfc6749 import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from server.office.sso import SignInFailed, sign_in_failed
from server.office.sso.config import OidcSettings

with warnings.catch_warnings():
    # authlib announces a move to httpx2 when this is imported; commands that merely load
    # the module (`timbra month` into a pipe) must not print it.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client

TIMEOUT = 10.0
SIGNING = ["RS256", "PS256", "ES256", "EdDSA"]


@dataclass(frozen=True)
class OidcStart:
    url: str  # where the browser goes to log in
    state: str
    nonce: str
    verifier: str


def begin(settings: OidcSettings, redirect_uri: str) -> OidcStart:
    meta = _metadata(settings)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier)
    return OidcStart(str(url), state, nonce, verifier)


def finish(settings: OidcSettings, redirect_uri: str, code: str, nonce: str,
           verifier: str) -> str:
    """The value of `settings.attribute` for the person the provider logged in."""
    meta = _metadata(settings)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(meta["token_endpoint"], code=code,
                                       code_verifier=verifier,
                                       grant_type="authorization_code")
            claims = _id_token_claims(settings, meta, str(token.get("id_token", "")), nonce)
            value = claims.get(settings.attribute)
            if value is None and "userinfo_endpoint" in meta:
                info = client.get(meta["userinfo_endpoint"]).raise_for_status().json()
                if info.get("sub") != claims.get("sub"):
                    raise sign_in_failed("userinfo names another subject")
                value = info.get(settings.attribute)
    except SignInFailed:
        raise
    except (OAuth2Error, httpx.HTTPError, ValueError) as exc:
        raise sign_in_failed(str(exc)[:200]) from None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise sign_in_failed(f"no {settings.attribute!r} in the identity")
    return str(value)


def _id_token_claims(settings: OidcSettings, meta: dict[str, Any], id_token: str,
                     nonce: str) -> dict[str, Any]:
    if not id_token:
        raise sign_in_failed("no ID token")
    keys = KeySet.import_key_set(cast(Any, _get_json(settings, meta["jwks_uri"])))
    try:
        token = jwt.decode(id_token, keys, algorithms=SIGNING)
        jwt.JWTClaimsRegistry(
            leeway=60, iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.client_id},
            sub={"essential": True}, exp={"essential": True},
            nonce={"essential": True, "value": nonce}).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise sign_in_failed(f"ID token refused: {exc}") from None
    return dict(token.claims)


def _metadata(settings: OidcSettings) -> dict[str, Any]:
    """The provider's discovery document; its issuer must be the configured one (a
    document served for another issuer would lend us its keys)."""
    meta = _get_json(settings, settings.issuer.rstrip("/") + "/.well-known/openid-configuration")
    if meta.get("issuer") != settings.issuer:
        raise sign_in_failed("the discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(key), str):
            raise sign_in_failed(f"the discovery document has no {key}")
    return meta


def _get_json(settings: OidcSettings, url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT, verify=settings.ca_file or True)
        data = response.raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise sign_in_failed(f"{url}: {exc}"[:200]) from None
    if not isinstance(data, dict):
        raise sign_in_failed(f"{url}: not a JSON object")
    return data


def _client(settings: OidcSettings, redirect_uri: str) -> OAuth2Client:
    return OAuth2Client(settings.client_id, settings.client_secret,
                        scope=" ".join(settings.scopes), redirect_uri=redirect_uri,
                        code_challenge_method="S256", timeout=TIMEOUT,
                        verify=settings.ca_file or True)
