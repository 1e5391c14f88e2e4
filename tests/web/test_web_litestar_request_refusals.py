"""Litestar's refusals of the request itself speak the reader's language too, as its
refusals of the data do (test_web_litestar_refusals.py): a Content-Length that is not a
number, a body announced beyond the limit, a multipart form it cannot parse, a form
without its CSRF token, a method or path no route has. Each detail is the catalogue's,
Italian by default, English by `Accept-Language` for the API and by the language cookie
for a page; none of Litestar's English ("Invalid content-length: 'abc'") is left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.exceptions import HTTPException
from litestar.testing import TestClient
from test_web_one_language import leftovers
from web_pages import Client, json_headers, signed_in
from world import WebWorld, fresh_web_world

from server.i18n.current import gettext, use_locale
from server.web.errors import http_error
from server.web.guards import access_guard
from server.web.input_guard import MAX_BODY
from server.web.litestar_refusals import (
    BAD_LENGTH,
    CSRF_REFUSED,
    NOT_MULTIPART,
    TOO_LARGE,
)

LITESTAR_WORDS = ("Invalid", "content-length", "Entity", "CSRF token verification",
                  "Method Not Allowed", "Not Found", "Unexpected eof")
# Parts whose boundary never closes them, as a truncated upload sends them.
BROKEN_MULTIPART = (b'--XX\r\nContent-Disposition: form-data; name="reason"\r\n\r\nferie'
                    b'\r\n--YY--\r\n')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(Path(tmp_path_factory.mktemp("request_refusals"))) as world:
        yield world


def _api(employee: Client, anonymous: Client, language: dict[str, str]) -> dict[str, Any]:
    """Each bad API request's status and JSON, by what was wrong."""
    headers = {**json_headers(employee), **language, "content-type": "application/json"}
    asked = {
        "bad length": employee.post("/api/v1/requests", content=b"{}",
                                    headers={**headers, "content-length": "abc"}),
        "announced too large": employee.post(
            "/api/v1/requests", content=b"{}",
            headers={**headers, "content-length": str(MAX_BODY * 2)}),
        "too large": employee.post("/api/v1/requests", content=b" " * (MAX_BODY + 1),
                                   headers=headers),
        "no CSRF token": employee.post("/api/v1/requests", json={}, headers=language),
        "no CSRF token, anonymous": anonymous.post("/api/v1/requests", json={},
                                                   headers=language),
        "wrong method": employee.delete("/api/v1/requests", headers=language),
        "no such path": employee.get("/api/v1/nowhere", headers=language),
    }
    return {what: (answer.status_code, answer.json()) for what, answer in asked.items()}


def _pages(employee: Client) -> dict[str, Any]:
    """Each bad form's status and error page, in the language of the client's cookie."""
    token = json_headers(employee)
    multipart = {"content-type": "multipart/form-data; boundary=XX"}
    asked = {
        "bad length": employee.post("/requests/overtime", content=b"minutes=60",
                                    headers={**token, "content-length": "abc"}),
        "broken multipart": employee.post("/requests/justification", content=BROKEN_MULTIPART,
                                          headers={**token, **multipart}),
        # Without the header the CSRF check reads the form for its token first.
        "broken multipart, token in it": employee.post(
            "/requests/justification", content=BROKEN_MULTIPART, headers=multipart),
    }
    return {what: (answer.status_code, unescape(answer.text)) for what, answer in asked.items()}


@pytest.fixture(scope="module")
def answers(world: WebWorld) -> Iterator[dict[str, Any]]:
    with ExitStack() as stack:
        employee = signed_in(world, stack, "university", "employee")
        anonymous = world.client(stack)
        found: dict[str, Any] = {
            "it": _api(employee, anonymous, {}),
            "en": _api(employee, anonymous, {"accept-language": "en-GB,it;q=0.5"}),
            "it page": _pages(employee),
        }
        employee.cookies.set("timbra_lang", "en", domain="testserver.local")
        found["en page"] = _pages(employee)
        yield found


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_api_s_refusals_of_the_request_are_the_catalogue_s(
        answers: dict[str, Any], language: str) -> None:
    got = answers[language]
    assert {what: status for what, (status, _) in got.items()} == {
        "bad length": 400, "announced too large": 413, "too large": 413,
        "no CSRF token": 403, "no CSRF token, anonymous": 403, "wrong method": 405,
        "no such path": 404}
    said = " | ".join(body["detail"] for _, body in got.values())
    assert [w for w in LITESTAR_WORDS if w in said] == [], said
    assert leftovers(said, language) == [], said
    with use_locale(language):
        assert got["bad length"][1] == {"status_code": 400, "detail": gettext(BAD_LENGTH)}
        for what in ("announced too large", "too large"):
            assert got[what][1]["detail"] == gettext(TOO_LARGE)
        for what in ("no CSRF token", "no CSRF token, anonymous"):
            assert got[what][1]["detail"] == gettext(CSRF_REFUSED)
        assert got["wrong method"][1]["detail"] == gettext("Method not allowed")
        assert got["no such path"][1]["detail"] == gettext("Not found")


def test_in_italian_the_api_s_words_are_italian(answers: dict[str, Any]) -> None:
    details = {what: body["detail"] for what, (_, body) in answers["it"].items()}
    assert details["bad length"] == ("L'intestazione Content-Length della richiesta non è "
                                     "una lunghezza valida")
    assert details["announced too large"] == "Richiesta troppo grande"
    assert details["no CSRF token"].startswith("Il codice di sicurezza del modulo")
    assert all(details[w] != answers["en"][w][1]["detail"] for w in details)


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_page_s_bad_form_shows_the_catalogue_s_words(
        answers: dict[str, Any], language: str) -> None:
    got = answers[f"{language} page"]
    assert {status for status, _ in got.values()} == {400}
    with use_locale(language):
        assert gettext(BAD_LENGTH) in got["bad length"][1]
        for what in ("broken multipart", "broken multipart, token in it"):
            assert gettext(NOT_MULTIPART) in got[what][1], what
    for what, (_, page) in got.items():
        assert [w for w in LITESTAR_WORDS if w in page] == [], what
        assert leftovers(page, language) == [], what
    if language == "it":
        assert ("Il modulo della richiesta non è un multipart/form-data valido"
                in got["broken multipart"][1])


@get("/api/undeclared", sync_to_thread=False)
def _undeclared() -> None:
    """A route that declares no roles: `create_app` refuses to start with one."""


def test_a_route_that_declares_no_roles_is_refused_in_the_reader_s_words() -> None:
    app = Litestar([_undeclared], guards=[access_guard],
                   exception_handlers={HTTPException: http_error})
    with TestClient(app) as client:
        refused = client.get("/api/undeclared")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Non consentito"
