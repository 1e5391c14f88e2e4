"""`timbra web`'s settings: every one from one environment variable (a systemd
`EnvironmentFile`, a compose `environment:`), read by `WebSettings.from_environment`, which
refuses anything missing or malformed with the variable's name.

Apart from the app (production.py) so that `timbra web` checks them, and refuses, without
first importing the whole web stack (seconds); the worker processes read them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from server.ingest.settings import BrokerSettings, SettingsError

MIN_SECRET = 32
MAX_WORKERS = 64


@dataclass(frozen=True)
class WebSettings:
    """What `timbra web` needs; the variable that sets each is named beside it."""

    database_url: str  # TIMBRA_DATABASE_URL, required: production names its database
    secret: str  # TIMBRA_SECRET, or the file named by TIMBRA_SECRET_FILE; ≥ 32 characters
    host: str = "127.0.0.1"  # TIMBRA_BIND, host:port; behind a reverse proxy
    port: int = 8000
    workers: int = 2  # TIMBRA_WORKERS, uvicorn worker processes (1-64)
    # TIMBRA_BEHIND_TLS (true/false, default true): Secure cookies, as browsers reach us
    # over https at the proxy. False only for plain http on a test machine.
    behind_tls: bool = True
    # TIMBRA_TRUSTED_PROXIES: comma-separated addresses whose X-Forwarded-For/-Proto are
    # believed (the client's address and https); "*" trusts every peer.
    trusted_proxies: str = "127.0.0.1"
    broker: BrokerSettings | None = None  # TIMBRA_MQTT_URL: the broker /readyz checks
    metrics_token: str | None = None  # TIMBRA_METRICS_TOKEN: /metrics exists only with it

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> WebSettings:
        database = env.get("TIMBRA_DATABASE_URL", "").strip()
        if not database:
            raise SettingsError("set TIMBRA_DATABASE_URL (e.g. postgresql://timbra@db/timbra)")
        host, port = _bind(env.get("TIMBRA_BIND") or "127.0.0.1:8000")
        mqtt = env.get("TIMBRA_MQTT_URL")
        token = env.get("TIMBRA_METRICS_TOKEN") or None
        if token is not None and len(token) < 16:
            raise SettingsError("TIMBRA_METRICS_TOKEN must be at least 16 characters")
        return cls(database_url=database, secret=_secret(env), host=host, port=port,
                   workers=_workers(env.get("TIMBRA_WORKERS") or "2"),
                   behind_tls=_flag(env, "TIMBRA_BEHIND_TLS", default=True),
                   trusted_proxies=env.get("TIMBRA_TRUSTED_PROXIES") or "127.0.0.1",
                   broker=BrokerSettings.from_url(mqtt) if mqtt else None,
                   metrics_token=token)


def _secret(env: Mapping[str, str]) -> str:
    secret = env.get("TIMBRA_SECRET", "")
    if not secret and env.get("TIMBRA_SECRET_FILE"):
        try:
            secret = Path(env["TIMBRA_SECRET_FILE"]).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"TIMBRA_SECRET_FILE cannot be read: {exc.strerror}") from None
    secret = secret.strip()
    if not secret:
        raise SettingsError("set TIMBRA_SECRET (or TIMBRA_SECRET_FILE): the key of sessions "
                            "and CSRF tokens, the same for every worker and machine; make "
                            "one with: python3 -c 'import secrets; "
                            "print(secrets.token_urlsafe(48))'")
    if len(secret) < MIN_SECRET:
        raise SettingsError(f"TIMBRA_SECRET must be at least {MIN_SECRET} characters")
    return secret


def _bind(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"TIMBRA_BIND must be host:port, not {text!r}")
    return host.strip("[]"), int(port)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise SettingsError(f"TIMBRA_WORKERS must be a number from 1 to {MAX_WORKERS}")
    return int(text)


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise SettingsError(f"{name} must be true or false, not {text!r}")
