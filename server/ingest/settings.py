"""How the ingest service reaches its broker, read from one URL.

`mqtt://user:password@host:1883?protocol=5&client_id=timbra-ingest&share=timbra`.
The password is never logged: `redacted()` is what goes to the log.

With `share=<group>` several ingest processes split the stamps between them through
an MQTT 5 shared subscription (`$share/<group>/timbra/+/+/stamp`): each then needs a
client id of its own (`client_id` becomes a prefix) and a clean session, see
docs/ingest.md.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, unquote, urlsplit

from server.db.directory import terminal_could_use

# A shared subscription's group is one topic level: no wildcard, no separator.
GROUP = re.compile(r"[A-Za-z0-9_-]{1,40}")


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
    share_group: str | None = None  # several ingests share the subscription (MQTT 5)

    def __post_init__(self) -> None:
        if terminal_could_use(self.client_id):
            raise SettingsError(
                f"client id {self.client_id!r} is one a terminal may take (a name with a dot, "
                f"or timbra-<institution>-<terminal>): a terminal connecting with it would "
                f"disconnect the ingest. Use e.g. timbra-ingest")
        if self.share_group is not None:
            if not GROUP.fullmatch(self.share_group):
                raise SettingsError("broker URL: share is 1-40 letters, digits, - or _")
            if self.protocol != 5:
                raise SettingsError("broker URL: shared subscriptions (share=) need MQTT 5, "
                                    "protocol=5")

    @property
    def shared(self) -> bool:
        return self.share_group is not None

    def process_client_id(self) -> str:
        """The client id this process connects with. Shared: the configured one as a
        prefix, then host, pid and a random suffix, so no two processes (containers
        included, where every pid may be 1) ever take each other's connection."""
        if not self.shared:
            return self.client_id
        host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40]
        return f"{self.client_id}-{host}-{os.getpid()}-{secrets.token_hex(3)}"

    @classmethod
    def from_url(cls, url: str) -> BrokerSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp"):
            raise SettingsError(f"broker URL must start with mqtt://, not {parts.scheme}://")
        # Blank values kept: an empty `share=` is a mistake to report, not to ignore.
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
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
        if query.get("client_id"):
            settings = replace(settings, client_id=query["client_id"])
        if "share" in query:
            settings = replace(settings, share_group=query["share"])
        return settings

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        version = "5" if self.protocol == 5 else "3.1.1"
        shared = f", shared by group {self.share_group}" if self.shared else ""
        return f"mqtt://{user}{self.host}:{self.port} (MQTT {version}{shared})"
