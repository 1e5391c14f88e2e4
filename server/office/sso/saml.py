"""SAML 2 Web SSO as a service provider (pysaml2, signatures by Debian's `xmlsec1`):
SP-initiated, the request by HTTP-Redirect, the response by HTTP-POST.

A response is accepted only when it answers the request this browser started (its
InResponseTo is the request id the web layer kept; unsolicited responses are refused), is
addressed to this service (audience), is within its validity, and its assertion is covered
by the identity provider's signature, on the assertion or on the whole response (Shibboleth
signs the response by default). The provider's keys come from its metadata only.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string

from server.office.sso import sign_in_failed
from server.office.sso.config import InstitutionSso, SamlSettings

XMLSEC = "/usr/bin/xmlsec1"
METADATA_SECONDS = 3600
_CONFIGS: dict[InstitutionSso, tuple[float, SPConfig]] = {}
_LOCK = threading.Lock()



@dataclass(frozen=True)
class SamlStart:
    url: str  # the identity provider's address, the request in its query
    request_id: str


def paths(institution_id: str) -> tuple[str, str]:
    """(entity id / metadata path, assertion consumer path) of an institution."""
    base = f"/sso/{institution_id}/saml"
    return f"{base}/metadata", f"{base}/acs"


def begin(sso: InstitutionSso, relay_state: str) -> SamlStart:
    client = _client(sso)
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        raise sign_in_failed(f"the metadata names {len(idps)} identity providers, not one")
    try:
        request_id, info = client.prepare_for_authenticate(
            entityid=idps[0], relay_state=relay_state, binding=BINDING_HTTP_REDIRECT)
    except Exception as exc:  # pysaml2 raises bare Exceptions for metadata problems
        raise sign_in_failed(str(exc)[:200]) from None
    location = dict(info["headers"])["Location"]
    return SamlStart(str(location), str(request_id))


def finish(sso: InstitutionSso, saml_response: str, request_id: str) -> str:
    """The value of the configured attribute in a response to `request_id`."""
    settings = _settings(sso)
    client = _client(sso)
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"})
    except Exception as exc:  # signature, audience, status, time: each its own class
        raise sign_in_failed(f"{type(exc).__name__}: {exc}"[:200]) from None
    if response is None or response.in_response_to != request_id:
        raise sign_in_failed("not an answer to this sign-in")
    values = (response.ava or {}).get(settings.attribute) or []
    if not values:
        raise sign_in_failed(f"no {settings.attribute!r} in the assertion")
    return str(values[0])


def metadata_xml(sso: InstitutionSso) -> str:
    """This service provider's metadata, for the federation or the IdP's administrator."""
    text = create_metadata_string(None, config=_loaded_config(sso), sign=False)
    return text.decode() if isinstance(text, bytes) else str(text)


def _settings(sso: InstitutionSso) -> SamlSettings:
    if sso.saml is None:
        raise sign_in_failed("SAML is not configured")
    return sso.saml


def _config(sso: InstitutionSso) -> SPConfig:
    settings = _settings(sso)
    entity_path, acs_path = paths(sso.institution_id)
    source = settings.idp_metadata
    remote = {"url": source, **({"cert": settings.idp_metadata_cert}
                                if settings.idp_metadata_cert else {})}
    metadata = ({"remote": [remote]} if source.startswith(("https://", "http://"))
                else {"local": [source]})
    config = SPConfig()
    config.load({
        "entityid": sso.url(entity_path),
        "key_file": settings.key_file,
        "cert_file": settings.cert_file,
        "xmlsec_binary": shutil.which("xmlsec1") or XMLSEC,
        "metadata": metadata,
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(sso.url(acs_path),
                                                          BINDING_HTTP_POST)]},
            "allow_unsolicited": False,
            "want_response_signed": False,
            "want_assertions_signed": False,
            "want_assertions_or_response_signed": True,
            "authn_requests_signed": False,
        }},
    })
    return config


def _client(sso: InstitutionSso) -> Saml2Client:
    return Saml2Client(config=_loaded_config(sso))


def _loaded_config(sso: InstitutionSso) -> SPConfig:
    """The institution's configuration, whose metadata (a federation's can be tens of
    megabytes) is loaded once an hour, not at every sign-in or metadata request."""
    now = time.monotonic()
    with _LOCK:
        loaded = _CONFIGS.get(sso)
        if loaded is None or now - loaded[0] > METADATA_SECONDS:
            try:
                loaded = _CONFIGS[sso] = (now, _config(sso))
            except Exception as exc:  # an unreadable key or metadata
                raise sign_in_failed(str(exc)[:200]) from None
    return loaded[1]
