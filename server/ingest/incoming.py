"""A message as it arrived, before anything is decided about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    received_at: datetime  # aware, UTC
    mid: int = 0  # the MQTT packet id, acknowledged after the commit
    qos: int = 0
    retain: bool = False  # a retained message is old news: its clock says nothing of now

    def printable_payload(self, limit: int = 4096) -> str:
        """The payload for the rejected-messages table: bounded, never undecodable.

        NUL is escaped too: PostgreSQL text cannot hold it.
        """
        text = self.payload[:limit].decode("utf-8", errors="backslashreplace")
        return text.replace("\x00", "\\x00")
