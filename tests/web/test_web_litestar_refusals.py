"""Litestar's own refusals of a request's data speak the reader's language only: a body
value of the wrong type, a field left out, a query parameter that is not a number, a body
that is not JSON. The detail is the catalogue's, each `extra` item keeps its `key` and
`source` with a message of ours, and msgspec's English ("Expected `int`, got `str`") is
gone; a route's own refusal keeps its words. Italian by default, English by
`Accept-Language` for the API and by the language cookie for a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from html import unescape
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, JSONBody
from litestar.testing import TestClient
from test_web_one_language import leftovers
from web_pages import Client, json_headers, last_month, signed_in
from world import WebWorld, fresh_web_world

from server.i18n.current import gettext, use_locale
from server.web.errors import http_error
from server.web.litestar_refusals import INVALID_DATA, NOT_JSON, message_of

MSGSPEC_WORDS = ("Expected", "Object", "Invalid", "Validation failed", "`")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(Path(tmp_path_factory.mktemp("litestar_refusals"))) as world:
        yield world


def _refusals(world: WebWorld, office: Client, language: dict[str, str]) -> dict[str, Any]:
    """Each bad request's status and JSON, by what was wrong."""
    me = world.ids[("university", "self_employee")]
    where = f"/api/v1/admin/employees/{me}/allowance-openings"
    headers = {**json_headers(office), **language}
    opening = {"name": "overtime", "starts": f"{last_month()}-01"}
    asked = {
        "wrong type": office.post(where, headers=headers, json={**opening, "minutes": "abc"}),
        "missing field": office.post(where, headers=headers, json=opening),
        "bad query": office.get("/api/v1/requests?employee_id=tre", headers=language),
        "not JSON": office.post(where, headers={**headers, "content-type": "application/json"},
                                content=b'{"name": overtime}'),
        "route's own": office.post(where, headers=headers,
                                   json={**opening, "name": "x" * 61, "minutes": 60}),
    }
    return {what: (answer.status_code, answer.json()) for what, answer in asked.items()}


@pytest.fixture(scope="module")
def answers(world: WebWorld) -> Iterator[dict[str, Any]]:
    """The API's answers in Italian and English, and the error page of a bad query
    parameter in both (a page's language is the cookie's, not the browser's)."""
    with ExitStack() as stack:
        office = signed_in(world, stack, "university", "office")
        found: dict[str, Any] = {
            "it": _refusals(world, office, {}),
            "en": _refusals(world, office, {"accept-language": "en-GB,it;q=0.5"}),
            "it page": office.get("/approvals?page=due"),
        }
        office.cookies.set("timbra_lang", "en", domain="testserver.local")
        found["en page"] = office.get("/approvals?page=due")
        yield found


@pytest.mark.parametrize("language", ["it", "en"])
def test_each_refusal_is_the_catalogue_s_in_one_language(
        answers: dict[str, Any], language: str) -> None:
    """The detail is ours, every item's message too, and none of msgspec's English."""
    got = answers[language]
    assert {status for status, _ in got.values()} == {400}
    said = " | ".join([body["detail"] for _, body in got.values()] + [
        item["message"] for _, body in got.values() for item in body.get("extra", [])])
    assert leftovers(said, language) == [], said
    assert [w for w in MSGSPEC_WORDS if w in said] == [], said
    with use_locale(language):
        for what in ("wrong type", "missing field", "bad query"):
            assert got[what][1]["detail"] == gettext(INVALID_DATA)
        assert got["not JSON"][1] == {"status_code": 400, "detail": gettext(NOT_JSON)}
        assert got["route's own"][1]["detail"] == gettext("Fields too long")
    assert answers["it"]["wrong type"][1]["detail"] == "Dati della richiesta non validi"


@pytest.mark.parametrize("language", ["it", "en"])
def test_each_item_keeps_its_key_and_source(answers: dict[str, Any], language: str) -> None:
    """Which value was wrong and where it came from, as Litestar said; a field left out
    is named by its key (Litestar names the object that lacks it)."""
    got = {what: body.get("extra") for what, (_, body) in answers[language].items()}
    with use_locale(language):
        assert got["wrong type"] == [{"key": "minutes", "source": "body",
                                      "message": gettext("expected an integer")}]
        assert got["missing field"] == [{"key": "minutes", "source": "body",
                                         "message": gettext("required field missing")}]
        assert got["bad query"] == [{"key": "employee_id", "source": "query",
                                     "message": gettext("expected an integer")}]
    assert answers["it"]["wrong type"][1]["extra"][0]["message"] == "atteso un numero intero"


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_page_shows_the_same_detail_on_the_error_page(
        answers: dict[str, Any], language: str) -> None:
    page = answers[f"{language} page"]
    assert page.status_code == 400
    text = unescape(page.text)
    with use_locale(language):
        assert gettext(INVALID_DATA) in text
    assert "Validation failed" not in text and "Expected" not in text
    assert leftovers(page.text, language) == []


def _said(shape: Any, value: Any) -> str:
    """msgspec's own English for `value` converted to `shape`, as Litestar passes it on."""
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(value, shape)
    return str(refused.value).split(" - ", maxsplit=1)[0]


@pytest.mark.parametrize(("shape", "value", "italian"), [
    (int, "abc", "atteso un numero intero"),
    (int | None, "abc", "atteso un numero intero"),
    (float, "abc", "atteso un numero"),
    (str, 3, "atteso un testo"),
    (bool, "sì", "atteso vero o falso"),
    (list[int], {}, "attesa una lista"),
    (dict[str, int], [], "atteso un oggetto"),
    (int | date, [], "atteso un valore di un altro tipo"),
    (Annotated[str, msgspec.Meta(max_length=3)], "abcd", "troppo lungo (al massimo 3)"),
    (Annotated[list[int], msgspec.Meta(min_length=1)], [], "troppo corto (almeno 1)"),
    (Annotated[int, msgspec.Meta(ge=0)], -1, "fuori dall'intervallo consentito (≥ 0)"),
    (Annotated[int, msgspec.Meta(le=10)], 11, "fuori dall'intervallo consentito (≤ 10)"),
    (Annotated[float, msgspec.Meta(gt=0)], 0.0, "fuori dall'intervallo consentito (> 0.0)"),
    (date, "31/12/2026", "data non valida (AAAA-MM-GG)"),
    (Literal["ferie", "permesso"], "vacanza", "valore non valido"),
])
def test_msgspec_s_messages_become_ours(shape: Any, value: Any, italian: str) -> None:
    """Each message as msgspec words it today, so a change of its wording shows here."""
    said = _said(shape, value)
    with use_locale("it"):
        assert message_of(said) == italian, said
    with use_locale("en"):
        assert message_of(said) not in (said, italian)


class _Strict(msgspec.Struct, forbid_unknown_fields=True):
    minutes: int


@dataclass
class _Outer:
    inner: _Strict


@post("/api/strict", sync_to_thread=False)
def _strict(data: JSONBody[_Outer]) -> None:
    """An object inside an object, refusing fields it does not know."""


@get("/api/needed", sync_to_thread=False)
def _needed(year: FromQuery[int]) -> None:
    """A query parameter without a default."""


def test_a_nested_field_and_a_required_parameter_are_named_by_their_key() -> None:
    """What no route of timbra asks today but Litestar refuses alike: a field unknown
    or missing inside an object, a required query parameter left out."""
    app = Litestar([_strict, _needed], exception_handlers={HTTPException: http_error})
    with TestClient(app) as client:
        unknown = client.post("/api/strict", json={"inner": {"minutes": 1, "hours": 2}})
        missing = client.post("/api/strict", json={"inner": {}})
        needed = client.get("/api/needed")
    assert unknown.json()["extra"] == [{"key": "inner.hours", "source": "body",
                                        "message": "campo sconosciuto"}]
    assert missing.json()["extra"] == [{"key": "inner.minutes", "source": "body",
                                        "message": "campo obbligatorio mancante"}]
    assert needed.status_code == 400 and needed.json() == {
        "status_code": 400, "detail": "Dati della richiesta non validi",
        "extra": [{"key": "year", "source": "query", "message": "campo obbligatorio mancante"}]}
