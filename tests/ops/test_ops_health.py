"""/healthz, /readyz and /metrics on the real app, and the request id a person quotes.

/readyz names the part that failed (database or broker) with a 503 and nothing more: no
host, no driver message. A 500 page shows the request id that its response header and
its JSON log line carry.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from fault_harness import free_port
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from litestar.types import Message, Receive, Scope, Send
from prometheus_client import REGISTRY
from services import mosquitto_address
from web_pages import signed_in
from world import WebWorld, fresh_web_world

from server.db import make_engine
from server.ingest.settings import BrokerSettings
from server.observe.logs import JsonFormatter
from server.web.app import create_app
from server.web.request_log import RequestLogMiddleware

TOKEN = "t" * 24


def client_of(app: Litestar, stack: ExitStack) -> TestClient[Litestar]:
    return stack.enter_context(TestClient(app, base_url="https://testserver.local"))


def app_with(engine: sa.Engine, broker: BrokerSettings | None, tmp_path: Path) -> Litestar:
    return create_app(engine, data_dir=tmp_path, session_store=MemoryStore(),
                      secret="x" * 40, broker=broker, metrics_token=TOKEN)


def mosquitto() -> BrokerSettings:
    host, port = mosquitto_address()
    return BrokerSettings(host=host, port=port)


def test_ready_when_the_database_and_the_broker_answer(
        db_engine: sa.Engine, tmp_path: Path, stack: ExitStack) -> None:
    client = client_of(app_with(db_engine, mosquitto(), tmp_path), stack)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_not_ready_names_the_part_that_failed_and_nothing_else(
        db_engine: sa.Engine, tmp_path: Path, stack: ExitStack) -> None:
    closed = BrokerSettings(host="127.0.0.1", port=free_port(), password="hidden-pass")
    client = client_of(app_with(db_engine, closed, tmp_path), stack)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready",
                            "checks": {"database": "ok", "broker": "unreachable"}}
    assert str(closed.port) not in ready.text and "hidden" not in ready.text
    assert client.get("/healthz").status_code == 200  # the process itself is fine

    dead = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    client = client_of(app_with(dead, mosquitto(), tmp_path), stack)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "unreachable", "broker": "ok"}


def test_not_ready_on_a_schema_behind_the_code(db_engine: sa.Engine, tmp_path: Path,
                                               stack: ExitStack) -> None:
    client = client_of(app_with(db_engine, mosquitto(), tmp_path), stack)
    with db_engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0007'"))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "schema out of date"


def test_metrics_want_the_token_and_do_not_exist_without_one(
        db_engine: sa.Engine, tmp_path: Path, stack: ExitStack) -> None:
    client = client_of(app_with(db_engine, None, tmp_path), stack)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
    client.get("/healthz")
    shown = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/plain")
    assert 'route="/healthz",status="200"' in shown.text
    assert "timbra_recompute_backlog_days" in shown.text
    # Without a token configured, the route does not exist for anyone.
    bare = create_app(db_engine, data_dir=tmp_path, session_store=MemoryStore(),
                      secret="x" * 40)
    assert client_of(bare, stack).get("/metrics").status_code == 404
    assert client_of(bare, stack).get("/readyz").json()["checks"]["broker"] == "not configured"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("timbra.web.errors")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_a_500_shows_the_request_id_its_log_line_carries(
        world: WebWorld, stack: ExitStack, json_log: io.StringIO) -> None:
    office = signed_in(world, stack, "university", "office")
    with world.engine.begin() as connection:  # a fault of ours: a table gone
        connection.execute(sa.text("ALTER TABLE institutions RENAME TO institutions_gone"))
    page = office.get("/")
    assert page.status_code == 500
    request_id = page.headers["x-request-id"]
    assert f'<code class="request-id">{request_id}</code>' in page.text
    logged = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert [line["request_id"] for line in logged if line["level"] == "error"] == [request_id]
    assert "institutions" in logged[-1]["exception"]  # the traceback is in the log...
    assert "institutions" not in page.text  # ...never on the page
    assert "Si è verificato un errore nel server" in page.text  # not "Internal Server Error"
    with world.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE users RENAME TO users_gone"))
    api = office.get("/api/v1/me")
    assert api.status_code == 500
    assert api.json()["request_id"] == api.headers["x-request-id"] != request_id
    assert "users" not in api.text
    assert api.json()["detail"] == "Si è verificato un errore nel server"


def test_a_request_id_from_the_proxy_is_kept_and_a_forged_one_replaced(
        world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    given = client.get("/login", headers={"x-request-id": "proxy-abc-12345"})
    assert given.headers["x-request-id"] == "proxy-abc-12345"
    forged = client.get("/login", headers={"x-request-id": 'x"\n{"level":"error"}'})
    assert forged.headers["x-request-id"] != 'x"\n{"level":"error"}'
    assert len(forged.headers["x-request-id"]) == 32


def test_an_answer_is_logged_and_counted_before_its_last_byte_leaves() -> None:
    """`timbra web`'s workers answer the same clients: whoever holds an answer may read the
    log or ask another worker for /metrics at once, and must find that answer there."""
    labels = {"method": "GET", "route": "/probe", "status": "200"}
    stream, logger = io.StringIO(), logging.getLogger("timbra.web.access")
    handler, level = logging.StreamHandler(stream), logger.level

    def counted() -> float:
        return REGISTRY.get_sample_value(
            "timbra_http_request_duration_seconds_count", labels) or 0.0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["path_template"] = "/probe"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok", "more_body": False})
        await anyio.sleep(0)  # the answer is out; the worker goes on with other work

    before, at_last_byte = counted(), []

    async def server_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            at_last_byte.append((stream.getvalue(), counted()))

    async def request() -> None:
        scope = {"type": "http", "method": "GET", "path": "/probe", "headers": []}
        await RequestLogMiddleware(app)(scope, None, server_send)  # type: ignore[arg-type]

    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        anyio.run(request)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    [(logged, samples)] = at_last_byte
    assert logged == "GET /probe 200\n" and samples == before + 1
    assert counted() == before + 1  # once, not again when the request ends
