"""schemathesis against the app's OpenAPI document: every /api/ operation, generated
requests, once with a logged-in session of each role of one institution (the CSRF header
included, so unsafe methods get past the CSRF check and reach the handlers). The app is
served by uvicorn on a free port and asked over HTTP, as payroll systems would.

Asserted: no 5xx, and every documented answer matches its schema and content type.
Answers the document does not list (403 for a role, 404 for another's record) are how
the access rules speak, checked by test_web_access.py, so their status is not judged here.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from world import WebWorld, fresh_web_world

from server.demo.users import demo_password
from server.web.serve import serve_web

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

INSTITUTION = "university"
ROLES = ("employee", "manager", "office", "admin")
EXAMPLES = 8  # per operation and role: the whole run stays well under a minute
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Resetting a password ends the sessions this test runs on; test_web_admin covers it.
SKIPPED = r"/reset$"
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    folder = tmp_path_factory.mktemp("api_schema")
    with fresh_web_world(folder) as world:
        yield world


@pytest.fixture(scope="module")
def base_url(world: WebWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with serve_web(world.engine, port=port, data_dir=tmp_path_factory.mktemp("api_data"),
                   secure_cookies=False) as url:
        yield url.rstrip("/")


def _session_headers(base_url: str, world: WebWorld, role: str) -> dict[str, str]:
    """A logged-in session as request headers: the cookies and the CSRF token."""
    with requests.Session() as http:
        http.get(f"{base_url}/login", timeout=10)
        answer = http.post(f"{base_url}/login", allow_redirects=False, timeout=10, data={
            "username": world.usernames[(INSTITUTION, role)],
            "password": demo_password(INSTITUTION, role),
            "_csrf_token": http.cookies.get("timbra_csrf", "")})
        assert answer.status_code == 303, answer.text
        session, csrf = http.cookies.get("timbra_session"), http.cookies.get("timbra_csrf")
    assert session and csrf
    return {"Cookie": f"timbra_session={session}; timbra_csrf={csrf}", "x-csrftoken": csrf}


@pytest.fixture(scope="module")
def cases(base_url: str) -> dict[str, list[Any] | str]:
    """Every /api/ operation's generated requests, or why none could be made. Made once:
    generating took half of each role's run, and `derandomize` made the same ones for
    every role anyway; each role's test sends all of them with its own session."""
    schema = (schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
              .include(path_regex="^/api/").exclude(path_regex=SKIPPED))
    made: dict[str, list[Any] | str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        try:
            made[label] = _drawn(operation)
        except Exception as exc:  # a role's test reports it, as it reports a failed answer
            made[label] = f"no requests generated: {exc}"
    return made


def _drawn(operation: Any) -> list[Any]:
    drawn: list[Any] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=True)
    def draw(case: Any) -> None:
        drawn.append(case)
    draw()
    return drawn


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_openapi_document(base_url: str, world: WebWorld, role: str,
                                              cases: dict[str, list[Any] | str]) -> None:
    assert len(cases) >= 15, "the API lost its operations from the document"
    headers = _session_headers(base_url, world, role)
    failures = []
    for label, drawn in cases.items():
        if isinstance(drawn, str):
            failures.append(f"{label}: {drawn}")
            continue
        assert drawn, f"{label}: no request generated"
        for case in drawn:
            try:
                response = case.call(base_url=base_url, headers=headers, timeout=30)
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # every operation's failure, not only the first
                failures.append(f"{label}: {exc}")
                break
    assert not failures, "\n\n".join(failures)


def test_the_strategies_are_hypothesis_strategies(base_url: str) -> None:
    """Guards the loop above against a schemathesis upgrade that silently runs nothing."""
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    first = next(iter(schema.get_all_operations())).ok()
    assert isinstance(first.as_strategy(), st.SearchStrategy)
