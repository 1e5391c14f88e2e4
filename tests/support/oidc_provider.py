"""A real OpenID provider on a private port: panva's `oidc-provider` (npm, certified by the
OpenID Foundation) run by Node from `tests/support/oidc_op/` (`make oidc-op` installs it),
and the browser's part of a login there, done with httpx as a person would click through.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
from fault_harness import free_port

HERE = Path(__file__).resolve().parent / "oidc_op"


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str


@contextmanager
def running_provider(redirect_uris: list[str], accounts: dict[str, dict[str, str]]
                     ) -> Iterator[Provider]:
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(f"oidc-provider is not installed in {HERE}: run `make oidc-op`")
    port = free_port()
    provider = Provider(f"http://127.0.0.1:{port}", "timbra-test", "client-secret-for-tests")
    config = {"port": port, "client_id": provider.client_id,
              "client_secret": provider.client_secret, "redirect_uris": redirect_uris,
              "accounts": accounts}
    process = subprocess.Popen(["node", "provider.mjs"], cwd=HERE,
                               env={"OP_CONFIG": json.dumps(config), "PATH": "/usr/bin:/bin"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_ready(provider, process)
        yield provider
    finally:
        process.terminate()
        process.wait(10)


def _wait_ready(provider: Provider, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oidc-provider stopped: {process.stderr and process.stderr.read()}")
        try:
            httpx.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("oidc-provider did not start within 30 s")


def log_in_at_provider(authorize_url: str, login: str) -> str:
    """Follow the provider's pages from the authorisation address: the login form, then
    the consent form; the address it finally sends the browser back to (the callback)."""
    with httpx.Client(timeout=10) as browser:
        url = authorize_url
        for _ in range(12):
            response = browser.get(url)
            if response.is_redirect:
                target = urljoin(url, response.headers["location"])
                if not target.startswith(authorize_url.split("/auth")[0]):
                    return target
                url = target
                continue
            response = _submit_form(browser, url, response.text, login)
            if not response.is_redirect:
                raise AssertionError(f"the provider answered {response.status_code}: "
                                     f"{response.text[:300]}")
            url = urljoin(url, response.headers["location"])
            if not url.startswith(authorize_url.split("/auth")[0]):
                return url
    raise AssertionError("the provider never sent the browser back")


def _submit_form(browser: httpx.Client, url: str, page: str, login: str) -> httpx.Response:
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>(.*?)</form>', page,
                     re.S)
    if form is None:
        raise AssertionError(f"no form on the provider's page: {page[:300]}")
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                             form.group(2)))
    if 'name="login"' in form.group(2):
        fields.update(login=login, password="anything")
    return browser.post(urljoin(url, unescape(form.group(1))), data=fields)
