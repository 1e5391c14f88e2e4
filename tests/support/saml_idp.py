"""A real SAML 2 identity provider on a private port: pysaml2's IdP (`saml2.server.Server`)
behind a small HTTP server, with keys made by `openssl` and signatures by Debian's `xmlsec1`.

It takes the service provider's request by HTTP-Redirect, shows a login form, checks the
password of one of its accounts and answers by HTTP-POST, as Shibboleth does. `mode` makes it
answer the way a test needs: signed (default), unsigned, or addressed to another service.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fault_harness import free_port
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT
from saml2.server import Server

OTHER_SP = "https://other-service.example/sso/other/saml/metadata"  # the tests register it


def make_keys(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed RSA key and certificate (PEM) for one party."""
    key, cert = folder / f"{name}.key", folder / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return key, cert


@dataclass
class IdentityProvider:
    url: str
    metadata_file: Path
    server: Server
    accounts: dict[str, tuple[str, dict[str, list[str]]]]  # login → (password, attributes)
    mode: str = "signed"  # "signed", "unsigned", "other_audience"
    pending: dict[str, Any] = field(default_factory=dict)


def _config(url: str, key: Path, cert: Path, sp_metadata: list[str]) -> IdPConfig:
    config = IdPConfig()
    config.load({
        "entityid": f"{url}/metadata",
        "key_file": str(key), "cert_file": str(cert), "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"inline": sp_metadata} if sp_metadata else {},
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(f"{url}/sso", BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_TRANSIENT],
            "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI,
                                   "attribute_restrictions": None}},
        }},
    })
    return config


@contextmanager
def running_idp(folder: Path, sp_metadata: Any, accounts: dict[str, tuple[str, dict[str,
                list[str]]]]) -> Iterator[IdentityProvider]:
    """`sp_metadata(idp_metadata_file)` gives the service providers' metadata (XML strings)
    once the IdP's own is written: each side's metadata needs the other's."""
    key, cert = make_keys(folder, "idp")
    url = f"http://127.0.0.1:{free_port()}"
    metadata_file = folder / "idp-metadata.xml"
    own = create_metadata_string(None, config=_config(url, key, cert, []), sign=False)
    metadata_file.write_bytes(own if isinstance(own, bytes) else own.encode())
    server = Server(config=_config(url, key, cert, list(sp_metadata(metadata_file))))
    idp = IdentityProvider(url, metadata_file, server, accounts)
    http = ThreadingHTTPServer(("127.0.0.1", int(url.rsplit(":", 1)[1])), _handler(idp))
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        http.shutdown()
        http.server_close()


def _handler(idp: IdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # the SP's request, by HTTP-Redirect
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            request = idp.server.parse_authn_request(query["SAMLRequest"],
                                                     BINDING_HTTP_REDIRECT)
            ticket = secrets.token_urlsafe(16)
            idp.pending[ticket] = (request.message, query.get("RelayState", ""))
            self._page(f'<form method="post" action="/login">'
                       f'<input type="hidden" name="ticket" value="{ticket}">'
                       f'<input name="username"><input type="password" name="password">'
                       f'<button>Accedi</button></form>')

        def do_POST(self) -> None:  # the login form
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            message, relay_state = idp.pending.pop(form["ticket"])
            account = idp.accounts.get(form.get("username", ""))
            if account is None or account[0] != form.get("password"):
                self._page("<p>Credenziali errate</p>", 401)
                return
            self._page(_answer(idp, message, relay_state, form["username"], account[1]))

        def _page(self, html: str, status: int = 200) -> None:
            data = f"<!doctype html><html><body>{html}</body></html>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _answer(idp: IdentityProvider, message: Any, relay_state: str, login: str,
            attributes: dict[str, list[str]]) -> str:
    args = idp.server.response_args(message, [BINDING_HTTP_POST])
    signed = idp.mode != "unsigned"
    if idp.mode == "other_audience":
        args["sp_entity_id"] = OTHER_SP
    response = idp.server.create_authn_response(
        identity=attributes, userid=login, sign_response=signed, sign_assertion=signed,
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
               "authn_auth": idp.url}, **args)
    http = idp.server.apply_binding(BINDING_HTTP_POST, str(response), args["destination"],
                                    relay_state, response=True)
    return str(http["data"])


def post_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the (auto-submitting) form on a page."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action is not None, html[:300]
    fields = {unescape(n): unescape(v) for n, v in re.findall(
        r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    return unescape(action.group(1)), fields


def log_in_at_idp(redirect_url: str, username: str, password: str
                  ) -> tuple[str, dict[str, str]]:
    """The browser's part at the IdP: open the request, fill in the login form; the
    address and fields it then posts to the service provider."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(redirect_url)
        _, fields = post_form(page.text)
        base = redirect_url.split("/sso", 1)[0]
        answer = browser.post(f"{base}/login", data={
            "ticket": fields["ticket"], "username": username, "password": password})
        if answer.status_code != 200:
            raise AssertionError(f"the IdP refused the login: {answer.text[:200]}")
        return post_form(answer.text)


__all__ = ["OTHER_SP", "IdentityProvider", "log_in_at_idp", "make_keys", "post_form",
           "running_idp"]
