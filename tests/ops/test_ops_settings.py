"""`timbra web`'s settings from the environment: defaults, and each malformed value refused
naming its variable; JSON log lines stay one line whatever the message holds."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.ingest.settings import SettingsError
from server.observe.logs import REQUEST_ID, JsonFormatter
from server.web.production_settings import WebSettings

BASE = {"TIMBRA_DATABASE_URL": "postgresql://timbra@db/timbra", "TIMBRA_SECRET": "k" * 40}


def test_the_defaults_suit_a_machine_behind_a_tls_proxy() -> None:
    settings = WebSettings.from_environment(BASE)
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 2)
    assert settings.behind_tls and settings.trusted_proxies == "127.0.0.1"
    assert settings.broker is None and settings.metrics_token is None


def test_every_setting_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("f" * 48 + "\n")
    settings = WebSettings.from_environment({
        "TIMBRA_DATABASE_URL": "postgresql://timbra@db/timbra", "TIMBRA_SECRET_FILE":
        str(secret), "TIMBRA_BIND": "[::]:8443", "TIMBRA_WORKERS": "8",
        "TIMBRA_BEHIND_TLS": "false", "TIMBRA_TRUSTED_PROXIES": "10.0.0.0/8",
        "TIMBRA_MQTT_URL": "mqtt://timbra-server:pw@broker:1884", "TIMBRA_METRICS_TOKEN":
        "m" * 20})
    assert settings.secret == "f" * 48
    assert (settings.host, settings.port, settings.workers) == ("::", 8443, 8)
    assert not settings.behind_tls and settings.trusted_proxies == "10.0.0.0/8"
    assert settings.broker is not None and settings.broker.port == 1884
    assert settings.metrics_token == "m" * 20


@pytest.mark.parametrize(("change", "named"), [
    ({"TIMBRA_DATABASE_URL": ""}, "TIMBRA_DATABASE_URL"),
    ({"TIMBRA_SECRET": ""}, "TIMBRA_SECRET"),
    ({"TIMBRA_SECRET": "", "TIMBRA_SECRET_FILE": "/nonexistent/secret"}, "TIMBRA_SECRET_FILE"),
    ({"TIMBRA_SECRET": "short"}, "at least 32"),
    ({"TIMBRA_WORKERS": "0"}, "TIMBRA_WORKERS"),
    ({"TIMBRA_WORKERS": "65"}, "TIMBRA_WORKERS"),
    ({"TIMBRA_WORKERS": "two"}, "TIMBRA_WORKERS"),
    ({"TIMBRA_BIND": "8000"}, "TIMBRA_BIND"),
    ({"TIMBRA_BIND": "host:99999"}, "TIMBRA_BIND"),
    ({"TIMBRA_BEHIND_TLS": "maybe"}, "TIMBRA_BEHIND_TLS"),
    ({"TIMBRA_METRICS_TOKEN": "short"}, "TIMBRA_METRICS_TOKEN"),
    ({"TIMBRA_MQTT_URL": "http://broker"}, "mqtt://"),
])
def test_a_malformed_setting_is_refused_by_name(change: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        WebSettings.from_environment({**BASE, **change})


def test_timbra_web_refuses_an_unknown_log_format_before_anything_else() -> None:
    run = subprocess.run([sys.executable, "-m", "server.cli.main", "web"],
                         env={**os.environ, **BASE, "TIMBRA_LOG_FORMAT": "xml"},
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2 and "TIMBRA_LOG_FORMAT must be json or text" in run.stderr


def test_a_json_log_line_is_one_line_with_the_request_id_and_the_extras() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("timbra.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = REQUEST_ID.set("abc123def456")
    try:
        logger.info("two\nlines from %s", "a badge", extra={"route": "/x"})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "two\nlines from a badge" and first["route"] == "/x"
    assert first["request_id"] == second["request_id"] == "abc123def456"
    assert first["level"] == "info" and second["level"] == "error"
    assert "RuntimeError: boom" in second["exception"]
