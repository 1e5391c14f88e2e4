"""Where timbra finds its database and its MQTT broker, from the environment.

`TIMBRA_DATABASE_URL`: a SQLAlchemy URL; defaults to a SQLite file under
`timbra-data/` in the working directory.
`TIMBRA_MQTT_URL`: `mqtt://user:password@host:port` of an external broker
(Mosquitto); unset means `make run` starts the embedded broker.
`TIMBRA_SSO_FILE`: the single sign-on settings of the institutions (docs/sso.md); unset
means local passwords only.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///timbra-data/timbra.db"


def database_url() -> str:
    return os.environ.get("TIMBRA_DATABASE_URL") or DEFAULT_DATABASE_URL


def mqtt_url() -> str | None:
    """The external broker's URL, or None for the embedded one."""
    return os.environ.get("TIMBRA_MQTT_URL") or None


def sso_file() -> Path | None:
    """The YAML file of the institutions' single sign-on, or None for none."""
    value = os.environ.get("TIMBRA_SSO_FILE")
    return Path(value) if value else None
