"""How the ingest service reaches its broker, read from one URL.

`mqtt://user:password@host:1883?protocol=5&client_id=timbra-ingest`. The
password is never logged: `redacted()` is what goes to the log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qs, unquote, urlsplit

from server.db.directory import terminal_could_use


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class BrokerSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    protocol: int = 5  # 5 = MQTT 5, 4 = MQTT 3.1.1 (the embedded amqtt broker)
    client_id: str = "timbra-ingest"
    keepalive: int = 30
    session_expiry_s: int = 7 * 24 * 3600  # queued stamps wait this long for us

    def __post_init__(self) -> None:
        if terminal_could_use(self.client_id):
            raise SettingsError(
                f"client id {self.client_id!r} is one a terminal may take (a name with a dot, "
                f"or timbra-<institution>-<terminal>): a terminal connecting with it would "
                f"disconnect the ingest. Use e.g. timbra-ingest")

    @classmethod
    def from_url(cls, url: str) -> BrokerSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp"):
            raise SettingsError(f"broker URL must start with mqtt://, not {parts.scheme}://")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            port = parts.port or 1883
            protocol = int(query.get("protocol", "5"))
        except ValueError:
            raise SettingsError("broker URL: port and protocol must be numbers") from None
        if protocol not in (4, 5):
            raise SettingsError("broker URL: protocol is 5 (MQTT 5) or 4 (MQTT 3.1.1)")
        settings = cls(host=parts.hostname or "127.0.0.1", port=port,
                       username=unquote(parts.username) if parts.username else None,
                       password=unquote(parts.password) if parts.password else None,
                       protocol=protocol)
        if "client_id" in query:
            settings = replace(settings, client_id=query["client_id"])
        return settings

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        version = "5" if self.protocol == 5 else "3.1.1"
        return f"mqtt://{user}{self.host}:{self.port} (MQTT {version})"
