"""An API refusal speaks one language, the reader's: its `detail` was "Italiano / English"
in one string; now Italian by default, English with `Accept-Language: en` (a client without
the language cookie) or with the cookie the pages set. Status and JSON shape unchanged.

The one-language check is tests/web/test_web_one_language.py's: no sentence of the other
language's catalogue in the detail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from test_web_one_language import leftovers
from web_pages import Client, json_headers, last_month, signed_in
from world import WebWorld, fresh_web_world

from server.i18n.current import gettext, use_locale

LONG = "x" * 501  # beyond the 500 characters a reason may have


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(Path(tmp_path_factory.mktemp("api_language"))) as world:
        yield world


def _refusals(world: WebWorld, office: Client, admin: Client,
              language: dict[str, str]) -> dict[str, Any]:
    """Bad input to several endpoints, each answer's JSON by what was wrong."""
    me = world.ids[("university", "self_employee")]
    office_headers, admin_headers = ({**json_headers(c), **language} for c in (office, admin))
    asked = {
        "month": office.get(f"/api/v1/timecard/{me}?month=2026-13", headers=language),
        "rota month": office.get("/api/v1/office/rota?month=tredici", headers=language),
        "date": admin.get("/api/v1/admin/audit?since=ieri", headers=language),
        "audit page": admin.get("/api/v1/admin/audit?page=0", headers=language),
        "long reason": office.post(
            f"/api/v1/employees/{me}/leave/openings", headers=office_headers,
            json={"leave": "ferie", "on": f"{last_month()}-01", "left": 1, "reason": LONG}),
        "import line": admin.post(
            "/api/v1/admin/employees/import", headers=admin_headers,
            json={"csv": "matricola;nome;profilo\nM001;Doppione;full_time\n"}),
        "openings import line": office.post(
            "/api/v1/admin/openings/import", headers=office_headers,
            json={"csv": "matricola;data;saldo ore\nNESSUNO;01/01/2026;1:00\n"}),
        "long allowance name": office.post(
            f"/api/v1/admin/employees/{me}/allowance-openings", headers=office_headers,
            json={"name": "x" * 61, "starts": f"{last_month()}-01", "minutes": 60}),
        "NUL": office.post(f"/api/v1/employees/{me}/leave/openings", headers=office_headers,
                           json={"leave": "fe\x00rie", "on": f"{last_month()}-01",
                                 "left": 1}),
    }
    return {what: (answer.status_code, answer.json()) for what, answer in asked.items()}


@pytest.fixture(scope="module")
def answers(world: WebWorld) -> Iterator[dict[str, dict[str, Any]]]:
    """The same bad requests in Italian (no header), English (`Accept-Language`), and
    English by the cookie the pages' language switch sets."""
    with ExitStack() as stack:
        office = signed_in(world, stack, "university", "office")
        admin = signed_in(world, stack, "university", "admin")
        found = {"it": _refusals(world, office, admin, {}),
                 "en": _refusals(world, office, admin, {"accept-language": "en-GB,it;q=0.5"})}
        for client in (office, admin):
            client.cookies.set("timbra_lang", "en", domain="testserver.local")
        found["en cookie"] = _refusals(world, office, admin,
                                       {"accept-language": "it"})  # the choice wins
        yield found


@pytest.mark.parametrize("language", ["it", "en", "en cookie"])
def test_each_refusal_is_in_the_reader_s_language_only(
        answers: dict[str, dict[str, Any]], language: str) -> None:
    """A bad month, a bad date, a reason too long, a line already on file, a NUL: the
    detail holds no sentence of the other language, and the status is the same in both."""
    details = " | ".join(body["detail"] for _, body in answers[language].values())
    assert leftovers(details, language.split()[0]) == [], details
    assert {w: status for w, (status, _) in answers[language].items()} == {
        w: status for w, (status, _) in answers["it"].items()}
    assert all(status == 400 for status, _ in answers[language].values()), answers[language]


def test_the_refusals_are_the_catalogue_s_words_in_that_language(
        answers: dict[str, dict[str, Any]]) -> None:
    """Each detail is its message in the reader's language: the same request's words differ
    between Italian and English, and the import names its line as each language does."""
    for locale in ("it", "en"):
        got = {what: body["detail"] for what, (_, body) in answers[locale].items()}
        with use_locale(locale):
            assert got["long reason"] == gettext("Fields too long")
            assert got["month"] == gettext("month: use YYYY-MM")
            assert got["date"] == gettext("%(name)s: use YYYY-MM-DD", name="since")
            assert got["audit page"] == gettext("page: from 1 to %(last)s", last=10_000)
            assert got["long allowance name"] == gettext("Fields too long")
            for imported in ("import line", "openings import line"):
                assert got[imported].startswith(gettext(
                    "Import refused, nothing was written: %(lines)s", lines=gettext(
                        "line %(line)s: %(problem)s", line=2, problem="")))
            assert got["import line"].startswith(gettext(
                "Import refused, nothing was written: %(lines)s", lines=gettext(
                    "line %(line)s: %(problem)s", line=2, problem="")))
    italian, english = answers["it"], answers["en"]
    assert italian["audit page"][1]["detail"] == "pagina: da 1 a 10000"
    assert all(italian[what][1]["detail"] != english[what][1]["detail"] for what in italian)
    # The office's refusal keeps its field beside the detail, as before.
    assert italian["rota month"][1]["field"] == english["rota month"][1]["field"] == "month"
