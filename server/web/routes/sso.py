"""Sign-in with the institution's credentials ("le credenziali di Ateneo"): the redirects to
the identity provider and back, and the directory's login form.

    GET  /sso/{inst}/oidc           → the OpenID provider     GET /sso/{inst}/oidc/callback
    GET  /sso/{inst}/saml           → the SAML IdP            POST /sso/{inst}/saml/acs
    GET  /sso/{inst}/saml/metadata  this service provider's metadata
    GET|POST /sso/{inst}/ldap       username and password, checked by the directory

What a sign-in under way must be checked against (OIDC state, nonce and PKCE verifier; the
SAML request id) is kept server-side in the `sso` store for ten minutes and used once. An
OIDC callback must also come from the browser that started it (the `timbra_sso` cookie); a
SAML response arrives by a cross-site POST, which carries no SameSite cookie, so it is
bound by its InResponseTo alone, and the ACS is exempt from the CSRF token it cannot have.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.stores.base import Store
from sqlalchemy.orm import Session

from server.db.models import Institution, User
from server.i18n.current import N_, gettext
from server.office.sso import SignInFailed, oidc, saml
from server.office.sso.config import InstitutionSso
from server.office.sso.identities import IdentityRefused, record_failure, sign_in
from server.office.sso.ldap import DirectoryUnavailable, ldap_identity
from server.web.dependencies import DbSession
from server.web.guards import PUBLIC
from server.web.identity import ROTATE_SESSION, session_for
from server.web.language import said
from server.web.routes.auth import safe_next
from server.web.routing import FORM, together

PENDING_SECONDS = 600
BROWSER_COOKIE = "timbra_sso"
MAX_PARAM = 2048  # a code, a state: far shorter in practice
MAX_SAML = 256 * 1024  # a signed response with its certificate is a few kilobytes
SAML_ACS = {**PUBLIC, "exclude_from_csrf": True}
Code = Annotated[str, QueryParameter(name="code", max_length=MAX_PARAM)]
# `state` is Litestar's own parameter name: the provider's state arrives under another.
ReturnedState = Annotated[str, QueryParameter(name="state", max_length=MAX_PARAM)]
ProviderError = Annotated[str, QueryParameter(name="error", max_length=200)]
Issuer = Annotated[str, QueryParameter(name="iss", max_length=MAX_PARAM)]
WRONG = N_("Wrong username or password.")


@dataclass
class LdapForm:
    username: str = ""
    password: str = ""
    next: str = "/"


@dataclass
class SamlPost:
    SAMLResponse: str = ""  # the binding names its fields so
    RelayState: str = ""


def configured(state: State, institution: str, method: str) -> InstitutionSso:
    """The institution's settings when `method` is configured for it; else a 404."""
    sso: InstitutionSso | None = state.sso.of(institution)
    if sso is None or method not in sso.methods:
        raise NotFoundException(gettext("Sign-in not configured"))
    return sso


# --- the directory's form -------------------------------------------------------------------


@get("/sso/{institution:str}/ldap", opt=PUBLIC, sync_to_thread=True)
def ldap_page(state: State, db: DbSession, institution: FromPath[str],
              next: FromQuery[str | None] = None) -> Template:
    configured(state, institution, "ldap")
    return _ldap_form(db, institution, safe_next(next), None, 200)


@post("/sso/{institution:str}/ldap", opt=PUBLIC, sync_to_thread=True, status_code=303)
def ldap_login(request: Request[Any, Any, Any], state: State, db: DbSession,
               institution: FromPath[str], data: Annotated[LdapForm, FORM]) -> Template | Redirect:
    sso = configured(state, institution, "ldap")
    assert sso.ldap is not None
    target = safe_next(data.next)
    try:
        value = ldap_identity(sso.ldap, data.username, data.password)
        if value is None:
            record_failure(db, institution, "ldap", "the directory refused the credentials",
                           data.username)
            return _ldap_form(db, institution, target, gettext(WRONG), 401)
        user = sign_in(db, sso, "ldap", value)
    except (SignInFailed, IdentityRefused) as error:
        if isinstance(error, SignInFailed):
            record_failure(db, institution, "ldap", error.english, data.username)
        down = isinstance(error, DirectoryUnavailable)
        return _ldap_form(db, institution, target, said(error), 503 if down else 403)
    return _logged_in(request, state, user, target)


def _ldap_form(db: Session, institution: str, target: str, error: str | None,
               status: int) -> Template:
    row = db.get(Institution, institution)
    return Template("sso_ldap.html", status_code=status, context={
        "institution": institution, "name": row.name if row else institution,
        "next": target, "error": error})


# --- OpenID Connect -------------------------------------------------------------------------


@get("/sso/{institution:str}/oidc", opt=PUBLIC)
async def oidc_start(request: Request[Any, Any, Any], state: State, institution: FromPath[str],
                     next: FromQuery[str | None] = None
                     ) -> Redirect | Template:
    sso = configured(state, institution, "oidc")
    assert sso.oidc is not None
    settings, callback = sso.oidc, sso.url(f"/sso/{institution}/oidc/callback")
    try:
        start = await to_thread.run_sync(oidc.begin, settings, callback)
    except SignInFailed as error:
        return _refused(said(error), 502)
    browser = secrets.token_urlsafe(32)
    await _keep(request, f"oidc:{start.state}", {
        "institution": institution, "nonce": start.nonce, "verifier": start.verifier,
        "next": safe_next(next), "browser": _digest(browser)})
    return Redirect(start.url, status_code=303, cookies=[Cookie(
        key=BROWSER_COOKIE, value=browser, max_age=PENDING_SECONDS, path="/sso",
        secure=state.secure_cookies, httponly=True, samesite="lax")])


@get("/sso/{institution:str}/oidc/callback", opt=PUBLIC)
async def oidc_callback(request: Request[Any, Any, Any], state: State, db: DbSession,
                        institution: FromPath[str],
                        code: Code = "", returned: ReturnedState = "",
                        error: ProviderError = "", iss: Issuer = "",
                        ) -> Redirect | Template:
    sso = configured(state, institution, "oidc")
    assert sso.oidc is not None
    pending = await _take(request, f"oidc:{returned}") if returned else None
    problem = _callback_problem(pending, institution, request.cookies.get(BROWSER_COOKIE, ""),
                                code, error, iss, sso.oidc.issuer)
    if problem is not None or pending is None:
        return await _failed(db, institution, "oidc", problem or "no pending sign-in")
    callback = sso.url(f"/sso/{institution}/oidc/callback")
    try:
        value = await to_thread.run_sync(oidc.finish, sso.oidc, callback, code,
                                         pending["nonce"], pending["verifier"])
    except SignInFailed as failure:
        return await _failed(db, institution, "oidc", failure.english)
    return await _signed_in(request, state, db, sso, "oidc", value, pending["next"])


def _callback_problem(pending: dict[str, Any] | None, institution: str, browser: str,
                      code: str, error: str, iss: str, issuer: str) -> str | None:
    """Why a callback cannot go on, or None. `iss` (RFC 9207), when the provider sends
    it, must be the configured issuer: a callback from another provider is a mix-up."""
    if error:
        return f"the provider refused: {error}"
    if pending is None:
        return "unknown or used state"
    if pending["institution"] != institution:
        return "another institution's sign-in"
    if not secrets.compare_digest(pending["browser"], _digest(browser)):
        return "started in another browser"
    if iss and iss != issuer:
        return "answered by another issuer"
    return None if code else "no code"


# --- SAML 2 ---------------------------------------------------------------------------------


@get("/sso/{institution:str}/saml", opt=PUBLIC)
async def saml_start(request: Request[Any, Any, Any], state: State, institution: FromPath[str],
                     next: FromQuery[str | None] = None
                     ) -> Redirect | Template:
    sso = configured(state, institution, "saml")
    relay = secrets.token_urlsafe(24)
    try:
        start = await to_thread.run_sync(saml.begin, sso, relay)
    except SignInFailed as error:
        return _refused(said(error), 502)
    await _keep(request, f"saml:{relay}", {"institution": institution,
                                           "request_id": start.request_id,
                                           "next": safe_next(next)})
    return Redirect(start.url, status_code=303)


@post("/sso/{institution:str}/saml/acs", opt=SAML_ACS, status_code=303)
async def saml_acs(request: Request[Any, Any, Any], state: State, db: DbSession,
                   institution: FromPath[str], data: Annotated[SamlPost, FORM]
                   ) -> Redirect | Template:
    sso = configured(state, institution, "saml")
    if not data.SAMLResponse or len(data.SAMLResponse) > MAX_SAML \
            or len(data.RelayState) > MAX_PARAM:
        return await _failed(db, institution, "saml", "no response, or one too large")
    pending = await _take(request, f"saml:{data.RelayState}") if data.RelayState else None
    if pending is None or pending["institution"] != institution:
        return await _failed(db, institution, "saml", "unknown or used RelayState")
    try:
        value = await to_thread.run_sync(saml.finish, sso, data.SAMLResponse,
                                         pending["request_id"])
    except SignInFailed as failure:
        return await _failed(db, institution, "saml", failure.english)
    return await _signed_in(request, state, db, sso, "saml", value, pending["next"])


@get("/sso/{institution:str}/saml/metadata", opt=PUBLIC, media_type="application/xml")
async def saml_metadata(state: State, institution: FromPath[str]) -> Response[str]:
    sso = configured(state, institution, "saml")
    return Response(await to_thread.run_sync(saml.metadata_xml, sso),
                    media_type="application/samlmetadata+xml")


# --- shared ---------------------------------------------------------------------------------


async def _signed_in(request: Request[Any, Any, Any], state: State, db: Session,
                     sso: InstitutionSso, method: str, value: str,
                     target: str) -> Redirect | Template:
    try:
        user = await to_thread.run_sync(sign_in, db, sso, method, value)
    except IdentityRefused as error:
        return _refused(said(error), 403)
    return _logged_in(request, state, user, target)


def _logged_in(request: Request[Any, Any, Any], state: State, user: User,
               target: str) -> Redirect:
    request.set_session(session_for(state.secret, user))
    request.state[ROTATE_SESSION] = True
    return Redirect(safe_next(target), status_code=303)


async def _failed(db: Session, institution: str, method: str, reason: str) -> Template:
    await to_thread.run_sync(record_failure, db, institution, method, reason)
    # The reason is the protocol's own diagnostic, kept as the audit log records it.
    return _refused(gettext("Sign-in with the institution's credentials failed "
                            "(%(reason)s).", reason=reason), 403)


def _refused(message: str, status: int) -> Template:
    return Template("login.html", status_code=status,
                    context={"next": "/", "error": message, "sso": []})


async def _keep(request: Request[Any, Any, Any], key: str, value: dict[str, Any]) -> None:
    await _store(request).set(key, json.dumps(value), expires_in=PENDING_SECONDS)


async def _take(request: Request[Any, Any, Any], key: str) -> dict[str, Any] | None:
    """The pending sign-in under `key`, removed: a second callback finds nothing."""
    store = _store(request)
    raw = await store.get(key)
    await store.delete(key)
    return dict(json.loads(raw)) if raw else None


def _store(request: Request[Any, Any, Any]) -> Store:
    return request.app.stores.get("sso")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


ROUTES = together(ldap_page, ldap_login, oidc_start, oidc_callback, saml_start, saml_acs,
                  saml_metadata, tag="Single sign-on")
