"""`timbra web` as production runs it: a real uvicorn with two worker processes against
PostgreSQL, settings from the environment, sessions in the database, JSON logs.

What a person checks: logged in by one worker, the next request answered by another
worker still knows them; cookies are Secure behind TLS; /healthz, /readyz and /metrics
answer; the metrics of both workers add up. And what an operator checks: it refuses to
start without a secret or on a schema `timbra db upgrade` has not brought up to date.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from fault_harness import free_port, wait_for
from services import mosquitto_address
from sqlalchemy.orm import Session

from server.db import upgrade
from server.db.directory import ensure_institution
from server.db.migrate import alembic_config, schema_state
from server.db.models import User
from server.office.passwords import hash_password

PASSWORD = "Una-password-lunga-1!"
TOKEN = secrets.token_urlsafe(24)
PROXY = {"x-forwarded-proto": "https"}  # as the TLS proxy in front of it says


def environment(db_url: str, port: int, **more: str) -> dict[str, str]:
    host, mqtt_port = mosquitto_address()
    return {**os.environ, "TIMBRA_DATABASE_URL": db_url, "TIMBRA_SECRET": "s" * 48,
            "TIMBRA_BIND": f"127.0.0.1:{port}", "TIMBRA_WORKERS": "2",
            "TIMBRA_TRUSTED_PROXIES": "127.0.0.1", "TIMBRA_MQTT_URL": f"mqtt://{host}:{mqtt_port}",
            "TIMBRA_METRICS_TOKEN": TOKEN, "TIMBRA_LOG_FORMAT": "json", **more}


def timbra(*args: str, env: dict[str, str],
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def add_office_user(engine: sa.Engine) -> None:
    with Session(engine) as session, session.begin():
        ensure_institution(session, "school", "Liceo")
        session.add(User(institution_id="school", username="school.office",
                         display_name="Ufficio", role="office",
                         password_hash=hash_password(PASSWORD), must_change_password=False,
                         password_changed_at=datetime.now(UTC), failed_logins=0,
                         active=True, created_at=datetime.now(UTC)))


@pytest.fixture
def served(db_url: str, db_engine: sa.Engine, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    add_office_user(db_engine)
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", "server.cli.main", "web"],
                                   env=environment(db_url, port), stdout=err, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base) or process.poll() is not None, 120,
                 "timbra web to answer /healthz")
        assert process.poll() is None, log.read_text()
        # The first worker up answers /healthz; the other may still be importing, and
        # until it is up every request goes to the first.
        wait_for(lambda: log.read_text().count("Application startup complete") >= 2, 60,
                 "both workers to start")
        yield base, log
    finally:
        process.terminate()
        process.wait(30)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _cookie(response: httpx.Response, name: str) -> tuple[str, str]:
    """(value, the whole Set-Cookie line) of one cookie the response sets."""
    for line in response.headers.get_list("set-cookie"):
        if line.startswith(f"{name}="):
            return line.split(";", 1)[0].split("=", 1)[1], line
    raise AssertionError(f"no {name} cookie in {response.headers}")


def _log_lines(log: Path) -> list[dict[str, object]]:
    """Every line the master and its workers wrote: each must be one JSON object."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _log_in(base: str) -> tuple[str, str]:
    """Log in as the TLS proxy would forward it: (session cookie, the login's request id)."""
    page = httpx.get(f"{base}/login", headers=PROXY)
    csrf, _ = _cookie(page, "timbra_csrf")
    login = httpx.post(f"{base}/login", headers={**PROXY, "cookie": f"timbra_csrf={csrf}"},
                       data={"username": "school.office", "password": PASSWORD,
                             "_csrf_token": csrf})
    assert login.status_code == 303, login.text
    session, line = _cookie(login, "timbra_session")
    # Behind TLS the session cookie is Secure and out of scripts' reach.
    assert "Secure" in line and "HttpOnly" in line, line
    return session, login.headers["x-request-id"]


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_workers_share_the_session_the_metrics_and_answer_health(
        served: tuple[str, Path]) -> None:
    base, log = served
    session, login_id = _log_in(base)
    answered: dict[str, int] = {}  # request id → status
    for _ in range(40):  # a new connection each time: the kernel picks the worker
        me = httpx.get(f"{base}/api/v1/me", headers={**PROXY,
                                                     "cookie": f"timbra_session={session}"})
        assert me.status_code == 200 and me.json()["username"] == "school.office", me.text
        answered[me.headers["x-request-id"]] = me.status_code
    lines = _log_lines(log)
    pid_of = {line["request_id"]: line["pid"] for line in lines
              if line.get("logger") == "timbra.web.access"}
    assert login_id in pid_of and set(answered) <= set(pid_of)
    others = [rid for rid in answered if pid_of[rid] != pid_of[login_id]]
    assert others, f"every request went to the login's worker {pid_of[login_id]}"
    assert len({pid_of[rid] for rid in answered} | {pid_of[login_id]}) == 2

    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
    assert httpx.get(f"{base}/metrics").status_code == 401
    metrics = httpx.get(f"{base}/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert metrics.status_code == 200
    # Forty answers from two processes, added up: the count is the count sent.
    count = re.search(r'timbra_http_request_duration_seconds_count\{method="GET",'
                      r'route="/api/v1/me",status="200"\} (\S+)', metrics.text)
    assert count and float(count.group(1)) == 40.0, metrics.text
    assert "timbra_recompute_backlog_days 0.0" in metrics.text


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_it_refuses_to_start_without_a_secret_or_on_an_old_schema(
        db_url: str, db_engine: sa.Engine, tmp_path: Path) -> None:
    env = environment(db_url, free_port())
    no_secret = timbra("web", env={**env, "TIMBRA_SECRET": ""})
    assert no_secret.returncode == 2 and "set TIMBRA_SECRET" in no_secret.stderr
    short = timbra("web", env={**env, "TIMBRA_SECRET": "short"})
    assert short.returncode == 2 and "at least 32 characters" in short.stderr

    command.downgrade(alembic_config(db_engine), "-1")  # a database left one version behind
    behind = schema_state(db_engine)
    old = timbra("web", env=env)
    assert old.returncode == 2
    assert f"at revision {behind.current}" in old.stderr and "timbra db upgrade" in old.stderr
    current = timbra("db", "current", env=env)
    assert current.returncode == 1 and "behind" in current.stdout
    upgraded = timbra("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded from {behind.current} to {behind.head}" in upgraded.stdout
    assert timbra("db", "current", env=env).returncode == 0
    upgrade(db_engine)  # nothing left to do: the same head
