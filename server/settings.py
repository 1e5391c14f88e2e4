"""Where timbra finds its database and its MQTT broker, from the environment.

`TIMBRA_DATABASE_URL`: a SQLAlchemy URL; defaults to a SQLite file under
`timbra-data/` in the working directory.
`TIMBRA_MQTT_URL`: `mqtt://user:password@host:port` of an external broker
(Mosquitto); unset means `make run` starts the embedded broker.
`TIMBRA_SSO_FILE`: the single sign-on settings of the institutions (docs/sso.md); unset
means local passwords only.
`TIMBRA_SMTP_HOST`, `TIMBRA_SMTP_PORT` (25), `TIMBRA_SMTP_STARTTLS` (`1`/`0`, off),
`TIMBRA_SMTP_USER`, `TIMBRA_SMTP_PASSWORD`, `TIMBRA_SMTP_FROM`: the mail server the
notifications are sent through (`timbra notify`); unset host means no e-mail is sent and
the outbox keeps them. `TIMBRA_PUBLIC_URL` (`https://presenze.example.it`): put before the
links in the mails.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///timbra-data/timbra.db"
DEFAULT_WEB_PORT = 8000  # `timbra run`'s web pages, on 127.0.0.1


def database_url() -> str:
    return os.environ.get("TIMBRA_DATABASE_URL") or DEFAULT_DATABASE_URL


def mqtt_url() -> str | None:
    """The external broker's URL, or None for the embedded one."""
    return os.environ.get("TIMBRA_MQTT_URL") or None


def sso_file() -> Path | None:
    """The YAML file of the institutions' single sign-on, or None for none."""
    value = os.environ.get("TIMBRA_SSO_FILE")
    return Path(value) if value else None


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str  # the From address
    public_url: str = ""  # the web pages' address, before the links in a mail


def smtp_settings(environ: Mapping[str, str] = os.environ) -> SmtpSettings | None:
    """The mail server, or None when `TIMBRA_SMTP_HOST` is unset. ValueError names a bad
    port."""
    host = environ.get("TIMBRA_SMTP_HOST")
    if not host:
        return None
    port_text = environ.get("TIMBRA_SMTP_PORT") or "25"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"TIMBRA_SMTP_PORT is not a port: {port_text!r}")
    return SmtpSettings(
        host=host, port=int(port_text),
        starttls=environ.get("TIMBRA_SMTP_STARTTLS", "0").lower() in ("1", "true", "yes"),
        user=environ.get("TIMBRA_SMTP_USER") or None,
        password=environ.get("TIMBRA_SMTP_PASSWORD") or None,
        sender=environ.get("TIMBRA_SMTP_FROM") or f"timbra@{host}",
        public_url=(environ.get("TIMBRA_PUBLIC_URL") or "").rstrip("/"))
